#!/usr/bin/env bash
# engine.sh — bring the Pulumi engine for the "real engine" tier, offline.
#
# Usage: scripts/engine.sh [cli|langhost|shim|kubernetes|command ...]   (default: all)
#        then: source scripts/env.sh
#
# Everything is built from the Go module proxy (the only reachable source of
# Go code here) into $ECO2_CACHE/toolchain/<component>-<version>/, outside the
# repo, and linked into $ECO2_CACHE/toolchain/bin. A component whose stamp
# matches is not rebuilt, so warm runs take seconds.
#
# What the proxy does NOT serve (checked 2026-12-03), and what we do instead:
#  * github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3: no
#    version at all (403) -> scripts/langhost/main.go, our own small Node.js
#    language host built against sdk/v3 at the CLI's version.
#  * github.com/pulumi/pulumi-kubernetes/provider/v4 at the @pulumi/kubernetes
#    release: only one pseudo-version is served (a commit just after v4.25.0)
#    -> we build that one and it reports its real version; the engine uses a
#    pulumi-resource-kubernetes found on PATH for any requested version.
#  * github.com/pulumi/pulumi-command/provider: not served; the root module
#    v1.2.1 has no provider code -> scripts/command-provider/main.go, our own
#    provider for command:local:Command and command:remote:Command (SSH via
#    golang.org/x/crypto/ssh); see its header for what differs from upstream.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
eco2_go_env

command -v go >/dev/null || { echo "error: go is required" >&2; exit 1; }
command -v node >/dev/null || { echo "error: node is required" >&2; exit 1; }

PULUMI_VERSION="$(eco2_npm_field @pulumi/pulumi p.version)"
K8S_PROVIDER_WANTED="$(eco2_npm_field @pulumi/kubernetes 'p.pulumi && p.pulumi.version')"
COMMAND_PROVIDER_WANTED="$(eco2_npm_field @pulumi/command 'p.pulumi && p.pulumi.version')"
# The newest pulumi-kubernetes provider module the proxy serves. Override when
# the proxy starts serving the matching release.
K8S_PROVIDER_MODVER="${ECO2_K8S_PROVIDER_MODVER:-v4.0.0-20260115033456-f47bc2d6f199}"

mkdir -p "$ECO2_TOOLCHAIN" "$ECO2_BIN"

# A stamp records everything that should trigger a rebuild: versions, and the
# hash of our own Go sources where a component has some.
stamp_ok() { [[ -f "$1/.stamp" && "$(cat "$1/.stamp")" == "$2" ]]; }
# Hard links, not symlinks: the CLI looks for its language host beside its
# own resolved executable, and a symlink would resolve into pulumi-<v>/bin.
link_bin() { ln -f "$1" "$ECO2_BIN/$(basename "$1")" 2>/dev/null || cp -f "$1" "$ECO2_BIN/$(basename "$1")"; }
src_hash() { cat "$@" | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------- pulumi CLI
build_cli() {
  local dir="$ECO2_TOOLCHAIN/pulumi-$PULUMI_VERSION" want
  want="pulumi $PULUMI_VERSION"
  if [[ -x "$dir/bin/pulumi" ]] && stamp_ok "$dir" "$want"; then
    eco2_log "cli: pulumi $PULUMI_VERSION cached in $dir"; link_bin "$dir/bin/pulumi"; return 0
  fi
  # A matching pulumi already on PATH (outside our bin) is reused as is,
  # through a symlink so that it still finds its own bundled language host.
  local existing
  existing="$(PATH="${PATH//$ECO2_BIN:/}" command -v pulumi || true)"
  if [[ -n "$existing" ]] && [[ "$("$existing" version 2>/dev/null)" == "v$PULUMI_VERSION" ]]; then
    eco2_log "cli: using $existing (v$PULUMI_VERSION) found on PATH"
    ln -sfn "$existing" "$ECO2_BIN/pulumi"; return 0
  fi
  mkdir -p "$dir/src" "$dir/bin"
  # Wrapper module: pkg/go.mod has replace lines (sdk -> ../sdk) that forbid
  # 'go install pkg@version'; as a dependency its replaces are ignored.
  cat >"$dir/src/go.mod" <<EOF
module eco2.local/pulumi-cli

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
EOF
  (
    cd "$dir/src"
    eco2_timed "cli: resolve modules (pkg/v3 v$PULUMI_VERSION)" \
      go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
    # The Automation API parses 'pulumi version'; without -X it says v0.0.0-dev...
    eco2_timed "cli: build pulumi v$PULUMI_VERSION" \
      go build -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$dir/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  echo "$want" >"$dir/.stamp"
  link_bin "$dir/bin/pulumi"
}

# ------------------------------------------------ Node.js language host (own)
build_langhost() {
  local dir="$ECO2_TOOLCHAIN/pulumi-language-nodejs-$PULUMI_VERSION" want src="$ECO2_REPO/scripts/langhost"
  want="langhost $PULUMI_VERSION $(src_hash "$src/main.go")"
  # An external CLI reused by build_cli brings its own language host.
  if [[ -L "$ECO2_BIN/pulumi" && -x "$(dirname "$(readlink -f "$ECO2_BIN/pulumi")")/pulumi-language-nodejs" ]]; then
    eco2_log "langhost: the external pulumi CLI bundles its own"; rm -f "$ECO2_BIN/pulumi-language-nodejs"; return 0
  fi
  if [[ -x "$dir/bin/pulumi-language-nodejs" ]] && stamp_ok "$dir" "$want"; then
    eco2_log "langhost: cached in $dir"; link_bin "$dir/bin/pulumi-language-nodejs"; return 0
  fi
  mkdir -p "$dir/src" "$dir/bin"
  cp "$src/main.go" "$dir/src/main.go"
  cat >"$dir/src/go.mod" <<EOF
module eco2.local/pulumi-language-nodejs

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
EOF
  (
    cd "$dir/src"
    eco2_timed "langhost: resolve modules" go mod tidy
    eco2_timed "langhost: build" go build \
      -ldflags "-s -w -X main.version=$PULUMI_VERSION" -o "$dir/bin/pulumi-language-nodejs" .
  )
  echo "$want" >"$dir/.stamp"
  link_bin "$dir/bin/pulumi-language-nodejs"
}

# ------------------------------------- dynamic provider shim (script, no build)
build_shim() {
  # The engine loads @pulumi/pulumi's dynamic providers as plugin
  # "pulumi-nodejs"; upstream ships this shim beside the language host.
  local f="$ECO2_TOOLCHAIN/shim/pulumi-resource-pulumi-nodejs"
  mkdir -p "$(dirname "$f")"
  cat >"$f" <<'EOF'
#!/bin/sh
# Runs the dynamic provider of the @pulumi/pulumi installed beside the program.
exec node "$(node -p "require.resolve('@pulumi/pulumi/cmd/dynamic-provider')" 2>/dev/null || echo ./node_modules/@pulumi/pulumi/cmd/dynamic-provider)" "$@"
EOF
  chmod +x "$f"
  link_bin "$f"
}

# -------------------------------------------------------- Kubernetes provider
build_kubernetes() {
  local modver="$K8S_PROVIDER_MODVER" version dir want
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  # Prefer the exact release if the proxy ever serves it (root tags vX.Y.Z are
  # not provider/ tags, so this normally fails and we keep the pseudo-version).
  if go list -m -json "$mod@v$K8S_PROVIDER_WANTED" >/dev/null 2>&1; then
    modver="v$K8S_PROVIDER_WANTED"
  fi
  # Report what was really built: the release, or the pseudo-version.
  version="${modver#v}"
  dir="$ECO2_TOOLCHAIN/pulumi-resource-kubernetes-$version"
  want="kubernetes $modver"
  if [[ -x "$dir/bin/pulumi-resource-kubernetes" ]] && stamp_ok "$dir" "$want"; then
    eco2_log "kubernetes: provider $version cached in $dir"; link_bin "$dir/bin/pulumi-resource-kubernetes"; return 0
  fi
  if [[ "$version" != "$K8S_PROVIDER_WANTED" ]]; then
    eco2_log "kubernetes: WARNING @pulumi/kubernetes wants $K8S_PROVIDER_WANTED; the proxy serves only $modver: building that"
  fi
  mkdir -p "$dir/src" "$dir/bin"
  cat >"$dir/src/go.mod" <<EOF
module eco2.local/pulumi-resource-kubernetes

go 1.25

require github.com/pulumi/pulumi-kubernetes/provider/v4 $modver
EOF
  # Upstream's main embeds schema-embed.json / terraform-mapping-embed.json,
  # generated and git-ignored, hence absent from the module zip. This main
  # embeds the same files, generated below from the committed sources.
  cat >"$dir/src/main.go" <<'EOF'
// Generated by scripts/engine.sh: pulumi-resource-kubernetes with embeds
// produced from the module's committed schema.json and terraform-mapping.json.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
EOF
  (
    cd "$dir/src"
    # Placeholders so 'go mod tidy' can load package main before the real files exist.
    echo '{}' >schema-embed.json; echo '{}' >terraform-mapping-embed.json
    eco2_timed "kubernetes: resolve modules ($modver)" go mod tidy
    local moddir
    moddir="$(go list -m -f '{{.Dir}}' "$mod")/cmd/pulumi-resource-kubernetes"
    # Same transformation as upstream's generate.go: set .version, minify.
    node -e '
      const fs = require("fs"); const [dir, version] = process.argv.slice(1);
      const s = JSON.parse(fs.readFileSync(dir + "/schema.json")); s.version = version;
      fs.writeFileSync("schema-embed.json", JSON.stringify(s));
      fs.writeFileSync("terraform-mapping-embed.json",
        JSON.stringify(JSON.parse(fs.readFileSync(dir + "/terraform-mapping.json"))));
    ' "$moddir" "$version"
    eco2_timed "kubernetes: build provider $version" go build \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$version" \
      -o "$dir/bin/pulumi-resource-kubernetes" .
  )
  echo "$want" >"$dir/.stamp"
  link_bin "$dir/bin/pulumi-resource-kubernetes"
}

# ------------------------------------------------- command provider (own)
build_command() {
  local src="$ECO2_REPO/scripts/command-provider" dir want
  dir="$ECO2_TOOLCHAIN/pulumi-resource-command-$COMMAND_PROVIDER_WANTED"
  want="command $COMMAND_PROVIDER_WANTED $PULUMI_VERSION $(src_hash "$src/main.go")"
  if [[ -x "$dir/bin/pulumi-resource-command" ]] && stamp_ok "$dir" "$want"; then
    eco2_log "command: provider cached in $dir"; link_bin "$dir/bin/pulumi-resource-command"; return 0
  fi
  mkdir -p "$dir/src" "$dir/bin"
  cp "$src/main.go" "$dir/src/main.go"
  cat >"$dir/src/go.mod" <<EOF
module eco2.local/pulumi-resource-command

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
EOF
  (
    cd "$dir/src"
    eco2_timed "command: resolve modules" go mod tidy
    # Reports the version @pulumi/command asks for: it implements that
    # package's command:local:Command contract (subset), nothing else.
    eco2_timed "command: build" go build \
      -ldflags "-s -w -X main.version=$COMMAND_PROVIDER_WANTED" -o "$dir/bin/pulumi-resource-command" .
  )
  echo "$want" >"$dir/.stamp"
  link_bin "$dir/bin/pulumi-resource-command"
}

components=("$@")
if ((${#components[@]} == 0)); then components=(cli langhost shim kubernetes command); fi
start=$SECONDS
for c in "${components[@]}"; do
  case "$c" in
    cli) build_cli ;;
    langhost) build_langhost ;;
    shim) build_shim ;;
    kubernetes) build_kubernetes ;;
    command) build_command ;;
    *) echo "usage: $0 [cli|langhost|shim|kubernetes|command ...]" >&2; exit 2 ;;
  esac
done
eco2_log "engine ready in $((SECONDS - start))s; binaries in $ECO2_BIN:"
ls -l "$ECO2_BIN" >&2
echo "# use: source $ECO2_REPO/scripts/env.sh"
echo "export PATH=\"$ECO2_BIN:\$PATH\""
