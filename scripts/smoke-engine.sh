#!/usr/bin/env bash
# smoke-engine.sh — end-to-end check of the offline "real engine" tier:
# a throwaway TypeScript program OUTSIDE the repo (Namespace + ConfigMap via an
# explicit k8s.Provider, plus a command:local:Command) is taken through
# stack init, up, a second up that must change nothing, destroy, stack rm —
# with the local file backend and the loopback cluster.
#
# Usage: scripts/smoke-engine.sh   (builds/starts what is missing; stops the
#        cluster again only if it started it)
# Env:   ECO2_SMOKE_DIR (default: a new dir under ${TMPDIR:-/tmp}), plus those
#        of engine.sh, cluster.sh and env.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

out="$("$here/engine.sh" 2>&1)" || { echo "$out" >&2; exit 1; }
# shellcheck source=scripts/env.sh
source "$here/env.sh"

started_cluster=false
if ! "$here/cluster.sh" status >/dev/null 2>&1; then
  "$here/cluster.sh" start >/dev/null
  started_cluster=true
fi
eval "$("$here/cluster.sh" env)"

smoke="${ECO2_SMOKE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/eco2-smoke.XXXXXX")}"
mkdir -p "$smoke"
stack="smoke$$"
cleanup() {
  (cd "$smoke" && pulumi destroy --yes --non-interactive -s "$stack" >/dev/null 2>&1 &&
    pulumi stack rm --yes --non-interactive -s "$stack" >/dev/null 2>&1) || true
  if $started_cluster; then "$here/cluster.sh" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# The repo's node_modules: exactly the SDK versions the project pins.
ln -sfn "$ECO2_REPO/node_modules" "$smoke/node_modules"
printf 'name: eco2-engine-smoke\nruntime: nodejs\n' >"$smoke/Pulumi.yaml"
printf '{ "name": "eco2-engine-smoke", "private": true, "main": "index.ts" }\n' >"$smoke/package.json"
cat >"$smoke/tsconfig.json" <<'EOF'
{ "compilerOptions": { "strict": true, "target": "es2020", "module": "commonjs",
    "moduleResolution": "node", "esModuleInterop": true, "skipLibCheck": true },
  "files": ["index.ts"] }
EOF
cat >"$smoke/index.ts" <<'EOF'
import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";

const provider = new k8s.Provider("local", {
    kubeconfig: fs.readFileSync(process.env.KUBECONFIG!, "utf8"),
});
const ns = new k8s.core.v1.Namespace("smoke", { metadata: { name: "eco2-smoke" } }, { provider });
const cm = new k8s.core.v1.ConfigMap("smoke", {
    metadata: { namespace: ns.metadata.name, name: "smoke" },
    data: { hello: "world" },
}, { provider });
const hello = new command.local.Command("hello", { create: "echo hello-from-command", delete: "true" });

export const namespace = ns.metadata.name;
export const configMap = cm.metadata.name;
export const helloOut = hello.stdout;
EOF

cd "$smoke"
step() { # <label> <cmd...>
  local label="$1" start=$SECONDS
  shift
  "$@" >"$smoke/$label.log" 2>&1 || { echo "FAIL: $label (log: $smoke/$label.log)" >&2; tail -n 40 "$smoke/$label.log" >&2; exit 1; }
  echo "ok: $label ($((SECONDS - start))s)"
}
step init pulumi stack init "$stack" --non-interactive
step up pulumi up --yes --non-interactive --skip-preview -s "$stack"
grep -q 'helloOut *: *"hello-from-command"' up.log || { echo "FAIL: command output missing" >&2; exit 1; }
step up-again pulumi up --yes --non-interactive -s "$stack" --expect-no-changes
step destroy pulumi destroy --yes --non-interactive -s "$stack"
# The namespace must really be gone (controller-manager finalizes it).
for _ in $(seq 1 60); do
  code="$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$ECO2_CLUSTER_DIR/pki/ca.crt" \
    -H "Authorization: Bearer $(sed -n 's/^ADMIN_TOKEN=//p' "$ECO2_CLUSTER_DIR/cluster.env")" \
    "$(sed -n 's/^ *server: //p' "$KUBECONFIG")/api/v1/namespaces/eco2-smoke")"
  [[ "$code" == 404 ]] && break
  sleep 1
done
[[ "$code" == 404 ]] || { echo "FAIL: namespace eco2-smoke still present after destroy" >&2; exit 1; }
step stack-rm pulumi stack rm --yes --non-interactive -s "$stack"
echo "1 passed, 0 failed"
