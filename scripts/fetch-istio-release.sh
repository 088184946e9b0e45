#!/usr/bin/env bash
# Fetches the files the conformance tier reads for one Istio release into
# ${ECO2_ISTIO_DATA:-../shared/data/istio}/<version>/: the CRDs and the base, istiod and
# gateway chart values (+ the gateway chart's values.schema.json), unchanged from the release.
# Needs network access to GitHub; on the project's offline machines the data is already in
# ../shared/data/istio.
# Usage: bash scripts/fetch-istio-release.sh 1.24.1
#        bash scripts/fetch-istio-release.sh --conformance   (every release the tier checks:
#        CONFORMANCE_ISTIO_VERSIONS in config/defaults.ts)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ ${1:-} == --conformance ]]; then
  line=$(grep -E '^export const CONFORMANCE_ISTIO_VERSIONS' "$root/config/defaults.ts")
  versions=$(grep -oE '"1\.[0-9]+\.[0-9]+"' <<<"$line" | tr -d '"')
  [[ -n $versions ]] || { echo "no versions in CONFORMANCE_ISTIO_VERSIONS ($root/config/defaults.ts)" >&2; exit 1; }
  for v in $versions; do bash "$0" "$v"; done
  exit 0
fi
version=${1:?usage: fetch-istio-release.sh <istio version, e.g. 1.24.1> | --conformance}
[[ $version =~ ^1\.[0-9]+\.[0-9]+$ ]] || { echo "not an Istio release: $version" >&2; exit 2; }
dest=${ECO2_ISTIO_DATA:-$root/../shared/data/istio}/$version
raw=https://raw.githubusercontent.com/istio/istio/$version/manifests/charts
mkdir -p "$dest"
fetch() { # <url> <file>
  echo "fetching $2"
  curl -fsSL --retry 2 --connect-timeout 10 -o "$dest/$2.tmp" "$1"
  mv "$dest/$2.tmp" "$dest/$2"
}
fetch "$raw/base/files/crd-all.gen.yaml" crd-all.gen.yaml
fetch "$raw/base/values.yaml" base.values.yaml
fetch "$raw/istio-control/istio-discovery/values.yaml" istiod.values.yaml
fetch "$raw/gateway/values.yaml" gateway.values.yaml
fetch "$raw/gateway/values.schema.json" gateway.values.schema.json
echo "Istio $version release files in $dest"
