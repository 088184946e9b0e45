# shellcheck shell=bash
# env.sh — source me:  source scripts/env.sh
#
# Puts the offline Pulumi engine (built by scripts/engine.sh) first on PATH
# and configures the CLI to never reach the network: no update check, no
# plugin downloads, a local file backend. Sourced into your shell, so it does
# not 'set -e' (that would leak into the caller); it only sets variables.
#
# Reads: ECO2_CACHE (toolchain cache), ECO2_STATE (state dir),
#        PULUMI_CONFIG_PASSPHRASE (kept if already set).
# Sets:  PATH, ECO2_PULUMI_ROOT, PULUMI_HOME, PULUMI_BACKEND_URL,
#        PULUMI_SKIP_UPDATE_CHECK, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION,
#        PULUMI_CONFIG_PASSPHRASE (default, local stack only).

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Providers are resolved from PATH ("ambient plugins"): the engine uses a
# pulumi-resource-<name> found on PATH for any version the program asks for,
# which is what an offline machine needs (nothing can be installed from the
# plugin registry). So PATH must list our bin dir first, and ambient plugins
# must not be ignored.
case ":$PATH:" in
  *":$ECO2_BIN:"*) ;;
  *) export PATH="$ECO2_BIN:$PATH" ;;
esac
unset PULUMI_IGNORE_AMBIENT_PLUGINS

# For the Node Automation API: PulumiCommand.get({ root: process.env.ECO2_PULUMI_ROOT })
# (it runs <root>/bin/pulumi; PulumiCommand.install would try to download).
export ECO2_PULUMI_ROOT="$ECO2_TOOLCHAIN"

export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# This shell is for the local stack. A backend or Pulumi home chosen before sourcing wins (an
# exported PULUMI_BACKEND_URL also wins over `pulumi login`, so dev/prod belong in a shell that
# never sourced this file: see docs/operations.md).
if [[ -z "${PULUMI_HOME:-}" ]]; then
  # Plugin cache and credentials live with the toolchain, not in ~/.pulumi, so a developer's own
  # Pulumi setup is neither used nor modified.
  export PULUMI_HOME="$ECO2_CACHE/pulumi-home"
fi
mkdir -p "$PULUMI_HOME"
if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
  mkdir -p "$ECO2_STATE/pulumi-state"
  export PULUMI_BACKEND_URL="file://$ECO2_STATE/pulumi-state"
fi
# The local stack's secrets provider needs a passphrase; this default (LOCAL_STACK_PASSPHRASE in
# config/defaults.ts) is public, so the program refuses it for any stack but local. An explicit
# value (even empty) wins.
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+x}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="eco2-local-only"
fi
# Said to a person (a terminal), never into a script's captured output.
if [[ -t 2 ]]; then
  echo "env.sh: offline Pulumi for the local stack: backend $PULUMI_BACKEND_URL (dev/prod: use a shell that has not sourced this file)" >&2
fi

if [[ ! -x "$ECO2_BIN/pulumi" ]]; then
  echo "env.sh: $ECO2_BIN/pulumi missing: run scripts/engine.sh first" >&2
fi
