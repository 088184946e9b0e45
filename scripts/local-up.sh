#!/usr/bin/env bash
# npm run local — the main job on the embedded default: bring the engine, start the loopback
# control plane (unless ECO2_KUBECONFIG names a cluster of yours), `pulumi up --stack local`,
# then print the outputs and where the state lives.
#
# Usage: npm run local [-- up|preview|destroy|outputs]     (default: up)
# Env:   ECO2_KUBECONFIG  kubeconfig of an existing cluster (kind, minikube, a real one)
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

pulumi stack select local --non-interactive 2>/dev/null || pulumi stack init local --non-interactive
case "$action" in
  up) pulumi up --stack local --yes --non-interactive ;;
  preview) pulumi preview --stack local --non-interactive ;;
  destroy) pulumi destroy --stack local --yes --non-interactive ;;
  outputs) ;;
esac

echo
echo "== stack outputs (local)"
pulumi stack output --stack local --non-interactive || true
echo
echo "state: ${PULUMI_BACKEND_URL} (stack 'local'; ECO2_STATE moves it)"
echo "note: the local stack waits for no workload — an API server without kubelets never runs Pods;"
echo "      the Istio Helm releases are off offline (set istio.chartDir to unpacked charts to install them)."
