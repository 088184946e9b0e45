#!/usr/bin/env bash
# npm run local — the main job on the embedded default: bring the engine, start the loopback
# control plane (unless ECO2_KUBECONFIG names a cluster of yours), `pulumi up --stack local`,
# then print the outputs and where the state lives.
#
# Usage: npm run local [-- up|preview|destroy|outputs]     (default: up)
# Env:   ECO2_KUBECONFIG  kubeconfig of an existing cluster (kind, minikube, a real one)
#        ECO2_ISTIO_CHARTS auto (default: Helm charts when their repository answers, else the
#                         CRDs from the pinned release's file), on, or off
#        ECO2_STATE, ECO2_CACHE, PULUMI_CONFIG_PASSPHRASE   (see scripts/env.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
action="${1:-up}"
case "$action" in up|preview|destroy|outputs) ;; *) echo "usage: npm run local [-- up|preview|destroy|outputs]" >&2; exit 2 ;; esac

bash scripts/engine.sh
# shellcheck source=scripts/env.sh disable=SC1091
source scripts/env.sh

# The local stack reads its kubeconfig from .eco2/local/kubeconfig (Pulumi.local.yaml): a link
# to the cluster chosen here, so the stack never falls back to an ambient kubeconfig.
if [[ -n "${ECO2_KUBECONFIG:-}" ]]; then
  kubeconfig="$(readlink -f "$ECO2_KUBECONFIG")"
  [[ -f "$kubeconfig" ]] || { echo "ECO2_KUBECONFIG=$ECO2_KUBECONFIG: no such file" >&2; exit 1; }
  echo "local stack → your cluster: $kubeconfig"
else
  bash scripts/cluster.sh start >/dev/null
  eval "$(bash scripts/cluster.sh env)"
  kubeconfig="${KUBECONFIG:?cluster.sh env did not set KUBECONFIG}"
  echo "local stack → embedded control plane: $kubeconfig (stop it with: bash scripts/cluster.sh stop)"
fi
mkdir -p .eco2/local
ln -sfn "$kubeconfig" .eco2/local/kubeconfig

# Istio: the base, istiod and gateway charts (CRDs from base) when the chart repository answers,
# else only the CRDs of the pinned release from its crd-all.gen.yaml (the committed stack file).
# The choice goes into a derived stack file under .eco2/local/; the committed one is never edited.
config_file=Pulumi.local.yaml
repo="$(node -e '
  const Y = require("yaml"); const d = Y.parse(require("fs").readFileSync("Pulumi.local.yaml", "utf8"));
  console.log((d.config["eco2-mesh:istio"] || {}).chartRepository || "https://istio-release.storage.googleapis.com/charts");')"
charts="${ECO2_ISTIO_CHARTS:-auto}"
case "$charts" in
  auto) if [[ "$repo" == https://* ]] && curl -sf --max-time 5 -o /dev/null "${repo%/}/index.yaml"; then charts=on; else charts=off; fi ;;
  on|off) ;;
  *) echo "ECO2_ISTIO_CHARTS=$charts: use auto, on or off" >&2; exit 2 ;;
esac
if [[ "$charts" == on ]]; then
  config_file=.eco2/local/Pulumi.local.yaml
  node -e '
    const Y = require("yaml"), fs = require("fs");
    const d = Y.parse(fs.readFileSync("Pulumi.local.yaml", "utf8"));
    const istio = d.config["eco2-mesh:istio"] = d.config["eco2-mesh:istio"] || {};
    istio.crds = { ...(istio.crds || {}), source: "chart" };
    istio.releases = { base: true, istiod: true, gateway: true };
    fs.writeFileSync(process.argv[1], Y.stringify(d));' "$config_file"
  echo "Istio: chart repository $repo answers → Helm releases base, istiod, gateway (CRDs from base)"
else
  echo "Istio: chart repository $repo not used ($([[ "${ECO2_ISTIO_CHARTS:-auto}" == off ]] && echo "ECO2_ISTIO_CHARTS=off" || echo "unreachable")) → CRDs of the pinned release from its crd-all.gen.yaml, no Helm release"
fi

pulumi stack select local --non-interactive 2>/dev/null || pulumi stack init local --non-interactive
case "$action" in
  up) pulumi up --stack local --yes --non-interactive --config-file "$config_file" ;;
  preview) pulumi preview --stack local --non-interactive --config-file "$config_file" ;;
  destroy) pulumi destroy --stack local --yes --non-interactive --config-file "$config_file" ;;
  outputs) ;;
esac

echo
echo "== stack outputs (local)"
pulumi stack output --stack local --non-interactive || true
echo
echo "state: ${PULUMI_BACKEND_URL} (stack 'local'; ECO2_STATE moves it)"
case "$action" in
  destroy) echo "note: the Istio CRDs and the istio-system namespace are kept (istio.crds.retainOnDelete); the objects of this stack are gone." ;;
  *)
    if [[ "$charts" == on ]]; then
      echo "note: the local stack waits for no workload (istio.skipAwait): istiod and the gateway are installed,"
      echo "      but an API server without kubelets (the embedded one) never starts their Pods."
    else
      echo "note: no Helm release and no workload in this stack offline: only the Istio CRDs and the mesh, routing,"
      echo "      auth and telemetry objects, which need no kubelet. Unpacked charts in istio.chartDir install istiod and the gateway."
    fi ;;
esac
