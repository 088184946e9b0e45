#!/usr/bin/env bash
# `pulumi preview --stack local` against a floor program of the same size on the same engine,
# provider and cluster: N bare ConfigMaps, N = the local stack's resource count. Each program
# is deployed once, then previewed 3 times (no changes); the median wall times go to a JSON
# file that `npm run bench` reads (ECO2_BENCH_PREVIEW). Usage: bash scripts/bench-preview.sh [out.json]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.bench/preview.json}"
mkdir -p "$(dirname "$out")"
bash scripts/engine.sh >/dev/null
work="$(mktemp -d "${TMPDIR:-/tmp}/eco2-bench-preview-XXXXXX")"
cluster="$work/cluster"
# quiet <cmd...>: runs a step with its output kept aside, shown only when the step fails.
quiet() {
  if ! "$@" >"$work/step.log" 2>&1; then
    echo "bench-preview: failed: $*" >&2
    tail -40 "$work/step.log" >&2
    return 1
  fi
}
trap 'ECO2_CLUSTER_DIR="$cluster" bash scripts/cluster.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export ECO2_STATE="$work/state"
unset PULUMI_BACKEND_URL # its own throwaway backend, whatever the calling shell uses
# shellcheck source=scripts/env.sh disable=SC1091
source scripts/env.sh >/dev/null
ECO2_CLUSTER_DIR="$cluster" quiet bash scripts/cluster.sh start
kubeconfig="$cluster/kubeconfig"

# The program: the committed local stack pointed at this cluster.
node -e '
const Y=require("yaml"),fs=require("fs");const d=Y.parse(fs.readFileSync("Pulumi.local.yaml","utf8"));
d.config["eco2-mesh:cluster"]={...(d.config["eco2-mesh:cluster"]||{}),kubeconfigPath:process.argv[1]};
fs.writeFileSync(process.argv[2],Y.stringify(d));' "$kubeconfig" "$work/program.yaml"
quiet pulumi stack init local --non-interactive
quiet pulumi up --stack local --yes --skip-preview --non-interactive --config-file "$work/program.yaml"
n=$(pulumi stack export --stack local | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).deployment.resources;console.log(r.filter(x=>x.custom&&!x.type.startsWith("pulumi:providers:")).length)})')

# The floor: n ConfigMaps through the same provider, TypeScript like the program.
floor="$work/floor"
mkdir -p "$floor"
ln -s "$PWD/node_modules" "$floor/node_modules"
printf '{"name":"eco2-floor","private":true}\n' >"$floor/package.json"
printf 'name: eco2-floor\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n' >"$floor/Pulumi.yaml"
# Same runtime options as the program (tsconfig.pulumi.json: no type check at deploy time).
printf '{"compilerOptions":{"strict":true,"noCheck":true,"target":"es2022","module":"commonjs","moduleResolution":"node","esModuleInterop":true,"skipLibCheck":true}}\n' >"$floor/tsconfig.json"
cat >"$floor/index.ts" <<TS
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
const provider = new k8s.Provider("cluster", { kubeconfig: pulumi.secret(fs.readFileSync("$kubeconfig", "utf8")), enableServerSideApply: true });
for (let i = 0; i < $n; i++) new k8s.core.v1.ConfigMap(\`floor-\${i}\`, { metadata: { name: \`floor-\${i}\`, namespace: "default" }, data: { i: String(i) } }, { provider });
TS
(cd "$floor" && quiet pulumi stack init floor --non-interactive && quiet pulumi up --stack floor --yes --skip-preview --non-interactive)

# A second floor that carries the payload the local stack cannot shed: the pinned release's 14
# CRDs (renamed into groups of their own, the program's are in the cluster already) plus
# ConfigMaps up to the same count. The program against it is the program's own cost.
version=$(node -e 'const Y=require("yaml");const d=Y.parse(require("fs").readFileSync("Pulumi.local.yaml","utf8"));console.log((d.config["eco2-mesh:istio"]||{}).version||"1.24.1")')
crds="${ECO2_ISTIO_DATA:-$PWD/../shared/data/istio}/$version/crd-all.gen.yaml"
floorcrd="$work/floorcrd"
mkdir -p "$floorcrd"
ln -s "$PWD/node_modules" "$floorcrd/node_modules"
cp "$floor/package.json" "$floor/tsconfig.json" "$floorcrd/"
printf 'name: eco2-floorcrd\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n' >"$floorcrd/Pulumi.yaml"
cat >"$floorcrd/index.ts" <<TS
import * as fs from "fs";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
const provider = new k8s.Provider("cluster", { kubeconfig: pulumi.secret(fs.readFileSync("$kubeconfig", "utf8")), enableServerSideApply: true });
const crds = YAML.parseAllDocuments(fs.readFileSync("$crds", "utf8")).map((d) => d.toJS()).filter((d) => d && d.kind === "CustomResourceDefinition");
for (const c of crds) {
    const group = \`\${c.spec.group.replace(/\.io\$/, "")}.floor.io\`;
    const name = \`\${c.spec.names.plural}.\${group}\`;
    new k8s.apiextensions.v1.CustomResourceDefinition(name, { ...c, metadata: { name }, spec: { ...c.spec, group } }, { provider });
}
for (let i = 0; i < $n - crds.length; i++) new k8s.core.v1.ConfigMap(\`floor-\${i}\`, { metadata: { name: \`floorcrd-\${i}\`, namespace: "default" }, data: { i: String(i) } }, { provider });
TS
(cd "$floorcrd" && quiet pulumi stack init floorcrd --non-interactive && quiet pulumi up --stack floorcrd --yes --skip-preview --non-interactive)

median_ms() { # <dir> <stack> [args...]: median of 3 previews, in ms
  local dir="$1" stack="$2" t=()
  shift 2
  for _ in 1 2 3; do
    local s e
    s=$(date +%s%N)
    (cd "$dir" && quiet pulumi preview --stack "$stack" --non-interactive --expect-no-changes "$@")
    e=$(date +%s%N)
    t+=($(((e - s) / 1000000)))
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n 2p
}
program_ms=$(median_ms "$PWD" local --config-file "$work/program.yaml")
floor_ms=$(median_ms "$floor" floor)
floorcrd_ms=$(median_ms "$floorcrd" floorcrd)
printf '{"programMs": %s, "floorMs": %s, "floorCrdMs": %s, "resources": %s}\n' "$program_ms" "$floor_ms" "$floorcrd_ms" "$n" | tee "$out"
