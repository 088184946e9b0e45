#!/usr/bin/env bash
# User data of the eco2-mesh gateway nodes (Ubuntu 22.04/24.04): prepares a kubeadm worker at
# the cluster's Kubernetes version. It does not join; the NodeJoin component does that over SSH
# once the marker at the end exists. Rendered by infra/bootstrap.ts, which fills in the
# version placeholders; cloud-init runs it once, as root, on first boot.
set -euo pipefail

KUBERNETES_VERSION="@@KUBERNETES_VERSION@@"
KUBERNETES_MINOR="@@KUBERNETES_MINOR@@"
MARKER="@@BOOTSTRAP_MARKER@@"
KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
REPO="https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/"

export DEBIAN_FRONTEND=noninteractive
# unattended-upgrades holds the dpkg lock on a fresh instance; wait for it instead of failing.
APT=(apt-get -o DPkg::Lock::Timeout=600 -y)

log() { printf 'eco2-mesh bootstrap: %s\n' "$*"; }

log "swap off (the kubelet refuses to start with swap by default)"
swapoff -a
sed -i -E '/\sswap\s/ s/^([^#])/#\1/' /etc/fstab

log "kernel modules and sysctls for container networking"
cat >/etc/modules-load.d/eco2-kubernetes.conf <<'EOF'
overlay
br_netfilter
EOF
modprobe overlay
modprobe br_netfilter
cat >/etc/sysctl.d/99-eco2-kubernetes.conf <<'EOF'
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
EOF
sysctl --system >/dev/null

log "containerd with the systemd cgroup driver (kubeadm configures the kubelet for systemd)"
"${APT[@]}" update
"${APT[@]}" install containerd apt-transport-https ca-certificates curl gpg
install -d -m 0755 /etc/containerd
containerd config default >/etc/containerd/config.toml
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
if ! grep -q 'SystemdCgroup = true' /etc/containerd/config.toml; then
  log "containerd's default config has no SystemdCgroup switch; refusing to continue" >&2
  exit 1
fi
systemctl enable containerd
systemctl restart containerd

log "kubelet, kubeadm, kubectl ${KUBERNETES_VERSION} from ${REPO}"
install -d -m 0755 /etc/apt/keyrings
curl -fsSL --retry 5 "${REPO}Release.key" | gpg --dearmor --yes -o "$KEYRING"
echo "deb [signed-by=${KEYRING}] ${REPO} /" >/etc/apt/sources.list.d/kubernetes.list
"${APT[@]}" update
# pkgs.k8s.io versions look like 1.31.4-1.1; the glob takes whatever package revision exists.
"${APT[@]}" install "kubelet=${KUBERNETES_VERSION}-*" "kubeadm=${KUBERNETES_VERSION}-*" "kubectl=${KUBERNETES_VERSION}-*"
# Held so an unattended upgrade never moves a node away from the cluster's version.
apt-mark hold kubelet kubeadm kubectl
systemctl enable kubelet

install -d -m 0755 "$(dirname "$MARKER")"
date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
log "done; marker written to ${MARKER}"
