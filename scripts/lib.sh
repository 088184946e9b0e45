# shellcheck shell=bash
# Shared helpers for the offline toolchain scripts (engine.sh, build-kube.sh,
# cluster.sh, env.sh). Sourced, never executed.
#
# Why one file: the versions must come from exactly one place (node_modules),
# and the cache layout must be identical for the builder and for env.sh.

# shellcheck disable=SC2034 # used by the scripts that source this file
ECO2_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ECO2_CACHE="${ECO2_CACHE:-$HOME/.cache/eco2-mesh}"
ECO2_TOOLCHAIN="$ECO2_CACHE/toolchain"
# One directory that holds (symlinks to) every binary: the CLI finds the
# language host beside itself and providers on PATH.
ECO2_BIN="$ECO2_TOOLCHAIN/bin"
ECO2_STATE="${ECO2_STATE:-$HOME/.local/state/eco2-mesh}"
# Kubernetes release for the loopback control plane: v1.36.x is the newest
# minor whose go.mod (go 1.26.0) builds with this machine's Go 1.26.
ECO2_KUBE_VERSION="${ECO2_KUBE_VERSION:-v1.36.3}"

# Read a field from an installed npm package's package.json. node_modules is
# the single source of truth for versions (package.json pins them).
eco2_npm_field() { # <package> <js expression on p>
  local pkg="$1" expr="$2" file="$ECO2_REPO/node_modules/$1/package.json"
  if [[ ! -f "$file" ]]; then
    echo "error: $file missing: run 'npm ci' in $ECO2_REPO first" >&2
    return 1
  fi
  node -e "const p=require(process.argv[1]); const v=($expr); if(!v){process.exit(1)} console.log(v)" "$file" ||
    { echo "error: cannot read $expr from $pkg" >&2; return 1; }
}

eco2_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Run a long command, printing a heartbeat with elapsed seconds so that a CI
# log shows progress instead of minutes of silence.
eco2_timed() { # <label> <cmd...>
  local label="$1"; shift
  local start=$SECONDS rc=0 pid
  eco2_log "start: $label"
  "$@" &
  pid=$!
  local next=$((start + 30))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
      eco2_log "  ... $label: $((SECONDS - start))s"
      next=$((next + 30))
    fi
  done
  wait "$pid" || rc=$?
  if ((rc != 0)); then
    eco2_log "FAILED: $label after $((SECONDS - start))s (exit $rc)"
    return "$rc"
  fi
  eco2_log "done: $label in $((SECONDS - start))s"
  echo "$label $((SECONDS - start))s $(date -u +%FT%TZ)" >>"$ECO2_TOOLCHAIN/build-times.log"
}

# Install a Debian package only when its command is missing (fresh CI box).
eco2_need() { # <command> <debian package>
  command -v "$1" >/dev/null 2>&1 && return 0
  eco2_log "installing Debian package $2 (for $1)"
  if [[ ! -f /var/lib/apt/lists/.eco2-updated ]]; then
    apt-get update -qq && touch /var/lib/apt/lists/.eco2-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

# Go settings shared by every build: reproducible paths, static binaries.
# GOMODCACHE/GOCACHE stay at Go's defaults so they persist between runs.
eco2_go_env() {
  export GOFLAGS="-trimpath -mod=mod"
  export CGO_ENABLED=0
  export GOTOOLCHAIN=local
}
