// Numbers of the AWS gateway tier, each with where it comes from. Config defaults that belong to
// the infra layer live here too (config/schema.ts imports them), so they are resolved once.

/**
 * `kubectl drain --timeout` when a gateway node is removed. The gateway's own drain takes
 * `terminationGracePeriodSeconds` (30 s in the chart) per pod; five minutes leaves room for a
 * PodDisruptionBudget that lets one pod go at a time while its replacement becomes ready.
 */
export const DEFAULT_DRAIN_TIMEOUT = "5m";

/** kube-apiserver's secure port (kubeadm `--apiserver-bind-port` default). */
export const API_SERVER_PORT = 6443;

/** kubelet API, used by the API server for logs/exec/port-forward (kubelet `--port` default). */
export const KUBELET_PORT = 10250;

/** Listener ports the clients use. */
export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;

/**
 * How long the join waits for the user data to finish. Installing containerd and the
 * Kubernetes packages takes 2-5 minutes on a t3.medium; cloud-init may first wait for
 * unattended-upgrades to release the dpkg lock.
 */
export const BOOTSTRAP_WAIT_SECONDS = 900;

/** How long the label step waits for the kubelet to register the Node after `kubeadm join`. */
export const NODE_REGISTER_WAIT_SECONDS = 300;

/** Poll interval of both waits. */
export const POLL_SECONDS = 5;

/**
 * SSH dial attempts before a remote command gives up (the provider's default is 10 with a
 * 15 s per-dial timeout). A new instance's sshd comes up 30-90 s after launch, so the join
 * of a fresh node must tolerate a longer wait than a command against a running host.
 */
export const SSH_DIAL_ERROR_LIMIT = 40;

/** Where the user data leaves its marker, and the directory the join keeps its state in. */
export const NODE_STATE_DIR = "/var/lib/eco2-mesh";
export const BOOTSTRAP_MARKER = `${NODE_STATE_DIR}/bootstrap.done`;

/** Files kubeadm writes on a joined node (`kubeadm join` phase kubelet-start) and the admin kubeconfig on the control plane. */
export const KUBELET_CONF = "/etc/kubernetes/kubelet.conf";
export const NODE_PKI_DIR = "/etc/kubernetes/pki";
export const ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf";

/**
 * Seconds a target stays registered while in-flight requests finish. The ELB default is 300 s;
 * the gateway closes idle connections well before that, and a shorter delay makes a node
 * replacement quicker.
 */
export const DEREGISTRATION_DELAY_SECONDS = 30;

/**
 * Oldest Kubernetes minor with packages on pkgs.k8s.io (the community repositories start at
 * v1.24; apt.kubernetes.io is frozen, https://kubernetes.io/blog/2023/08/31/legacy-package-repository-deprecation/).
 */
export const MIN_KUBERNETES_MINOR = 24;

/** kubeadm's JoinConfiguration v1beta4 is served from 1.31 on (v1beta3 is deprecated there). */
export const KUBEADM_V1BETA4_MINOR = 31;

/**
 * The widest SSH source range accepted. A /8 is already sixteen million addresses; anything
 * wider is the internet in a few pieces (0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0), so config and
 * the policy pack refuse it.
 */
export const MIN_SSH_PREFIX = 8;
