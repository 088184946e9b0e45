#!/usr/bin/env bash
# build-kube.sh — build etcd, kube-apiserver and kube-controller-manager from
# Go modules (no containers, no release downloads), once per version.
#
# Usage: scripts/build-kube.sh        (prints the bin dir on stdout)
# Env:   ECO2_KUBE_VERSION (default in lib.sh), ECO2_CACHE
#
# Why a wrapper module: k8s.io/kubernetes requires its staging modules at
# v0.0.0 with replaces to ./staging; as a dependency those replaces are ignored,
# so we replace every k8s.io/<staging> with the published v0.<minor>.<patch>.
# etcd's server is built from the same module graph, at the exact version that
# Kubernetes itself selects, so client and server match.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
eco2_go_env

KUBE_VERSION="$ECO2_KUBE_VERSION"   # default in lib.sh
minor_patch="${KUBE_VERSION#v1.}"          # 36.3
staging_version="v0.$minor_patch"          # v0.36.3
major=1
minor="${minor_patch%%.*}"                  # 36

dir="$ECO2_TOOLCHAIN/kube-$KUBE_VERSION"
bin="$dir/bin"
want="kube $KUBE_VERSION"
if [[ -x "$bin/kube-apiserver" && -x "$bin/kube-controller-manager" && -x "$bin/etcd" && -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$want" ]]; then
  eco2_log "kube: $KUBE_VERSION cached in $bin"
  echo "$bin"; exit 0
fi

mkdir -p "$dir/src" "$bin"
cd "$dir/src"

# Learn the staging list from Kubernetes' own go.mod rather than hard-coding
# it: it changes between minors (e.g. cri-streaming appeared in 1.36).
kmod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | node -e '
  let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s); if(j.Error){console.error(j.Error);process.exit(1)} console.log(j.GoMod)})')"
mapfile -t staging < <(grep -E '^\s+k8s\.io/[^ ]+ v0\.0\.0$' "$kmod" | awk '{print $1}')
((${#staging[@]} > 0)) || { echo "error: no staging modules found in $kmod" >&2; exit 1; }

{
  echo "module eco2.local/kube"
  echo
  echo "go 1.26.0"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"; done
  echo ")"
} >go.mod

eco2_timed "kube: resolve modules (k8s.io/kubernetes $KUBE_VERSION, ${#staging[@]} staging modules at $staging_version)" \
  go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBE_VERSION"
etcd_version="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
eco2_timed "kube: resolve etcd server $etcd_version" go get "go.etcd.io/etcd/server/v3@$etcd_version"

# /version must report the real release: Helm kubeVersion checks and the
# Kubernetes provider's version-dependent behaviour read it.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

eco2_timed "kube: build kube-apiserver $KUBE_VERSION" \
  go build -ldflags "$ldflags" -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
eco2_timed "kube: build kube-controller-manager $KUBE_VERSION" \
  go build -ldflags "$ldflags" -o "$bin/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
eco2_timed "kube: build etcd $etcd_version" \
  go build -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3

echo "$want" >"$dir/.stamp"
echo "$bin"
