// Defaults resolved once, here. Each number says where it comes from.

/** The plan's pin (seed plan §4.1, `targetRevision: 1.24.1`). */
export const DEFAULT_ISTIO_VERSION = "1.24.1";

/**
 * Oldest release the program emits valid objects for: `networking.istio.io/v1`,
 * `security.istio.io/v1` and `telemetry.istio.io/v1` are served from 1.22 on, and
 * RequestAuthentication `fromCookies` exists from 1.21 (istio/api#2997).
 */
export const MIN_ISTIO_MINOR = 22;

/**
 * Releases the conformance tier checks against their real CRDs and chart values: the plan's
 * pin and the current release. A pin of another minor needs istio.allowUntestedVersion.
 */
export const CONFORMANCE_ISTIO_VERSIONS = ["1.24.1", "1.30.3"] as const;

/** Minors of those releases: patch releases within a minor keep their CRD schemas. */
export const TESTED_ISTIO_MINORS: readonly number[] = CONFORMANCE_ISTIO_VERSIONS.map((v) => Number(v.split(".")[1]));

/** Before 1.30 a workload may carry only one CUSTOM provider (istio/istio#57933, lifted by #58082). */
export const MULTI_CUSTOM_PROVIDER_MINOR = 30;

/** Istio's published Helm repository (https://istio.io/latest/docs/setup/install/helm/). */
export const DEFAULT_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";

export const DEFAULT_ISTIO_NAMESPACE = "istio-system";
export const DEFAULT_GATEWAY_NAMESPACE = "istio-ingress";

/**
 * The gateway chart derives the `istio=<name>` pod label from the release name with the
 * `istio-` prefix trimmed, so this release name yields `istio: ingressgateway`, the selector
 * the plan's EnvoyFilter and Gateway use.
 */
export const DEFAULT_GATEWAY_RELEASE = "istio-ingressgateway";

/** kube-apiserver's default `--service-node-port-range`. */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

/** Fixed NodePorts of the gateway Service; the load balancer's target groups use the same numbers. */
export const DEFAULT_NODE_PORTS = { http: 31080, https: 31443, status: 31021 } as const;

/** Istio's gateway readiness endpoint (`status-port` 15021, `GET /healthz/ready`). */
export const STATUS_PORT = 15021;
export const READINESS_PATH = "/healthz/ready";

/** The plan's Helm values put istiod on the control-plane node (seed plan §4.1). */
export const CONTROL_PLANE_SELECTOR = { role: "control-plane" } as const;

/** Label and taint the join gives gateway nodes; the gateway chart values use exactly these. */
export const DEFAULT_GATEWAY_NODE_LABELS = { role: "ingress-gateway" } as const;
export const DEFAULT_GATEWAY_NODE_TAINT = { key: "role", value: "ingress-gateway", effect: "NoSchedule" } as const;

/** The plan's cookie (seed plan §4.2). */
export const DEFAULT_TOKEN_COOKIE = "s_access";

/**
 * Calico's node-to-node traffic (https://docs.tigera.io/calico/latest/getting-started/kubernetes/requirements):
 * BGP 179/tcp, VXLAN 4789/udp, Typha 5473/tcp, IP-in-IP (protocol 4).
 */
export const CALICO_NODE_RULES = [
    { protocol: "tcp", fromPort: 179, toPort: 179, description: "Calico BGP" },
    { protocol: "udp", fromPort: 4789, toPort: 4789, description: "Calico VXLAN" },
    { protocol: "tcp", fromPort: 5473, toPort: 5473, description: "Calico Typha" },
    { protocol: "4", fromPort: 0, toPort: 0, description: "Calico IP-in-IP" },
] as const;

/** Calico's default pod CIDR, the one the plan's kubeadm cluster uses. */
export const DEFAULT_POD_CIDR = "192.168.0.0/16";

/** kubeadm bootstrap tokens live 24 h by default; a join needs minutes (kubeadm#668). */
export const DEFAULT_JOIN_TOKEN_TTL = "30m";

/** IMDSv2 hop limit 2 lets containers behind one extra hop reach the metadata service. */
export const DEFAULT_IMDS_HOP_LIMIT = 2;

/**
 * The passphrase scripts/env.sh exports for the throwaway local stack. It is in the repository,
 * so a stack of any other environment must never encrypt its secrets with it.
 */
export const LOCAL_STACK_PASSPHRASE = "eco2-local-only";
