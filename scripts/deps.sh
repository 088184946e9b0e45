#!/usr/bin/env bash
# Debian packages the tests run: luajit (the interpreter Envoy embeds, for the Lua tier),
# and shellcheck (node bootstrap and join scripts), openssh-server/client (the join against a real
# SSH server), openssl and curl (the embedded control plane). Installs only what is missing.
set -euo pipefail

need=()
command -v luajit >/dev/null 2>&1 || need+=(luajit)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  # CI runners (GitHub's among them) allow passwordless sudo; a workstation may not.
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "scripts/deps.sh: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
echo "scripts/deps.sh: installing ${need[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
