import { z } from "zod";
import * as d from "./defaults";
import * as infraDefaults from "../infra/defaults";

// The one schema of the stack configuration. Unknown keys are errors everywhere (strict
// objects): a misspelt key that silently falls back to a default is how a STRICT mesh ends up
// PERMISSIVE. Descriptions feed the generated config reference (docs/config-reference.md).

const cidr = z
    .string()
    .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, {
        error: "must be an IPv4 CIDR such as 10.0.0.0/16",
    })
    .refine(
        (v) =>
            v
                .split("/")[0]
                .split(".")
                .every((o) => Number(o) <= 255),
        {
            error: "has an octet above 255",
        },
    );

const nodePort = z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(d.NODE_PORT_MIN, { error: `must be within the NodePort range ${d.NODE_PORT_MIN}-${d.NODE_PORT_MAX}` })
    .max(d.NODE_PORT_MAX, { error: `must be within the NodePort range ${d.NODE_PORT_MIN}-${d.NODE_PORT_MAX}` });

const port = z.number().int().min(1, { error: "must be a port 1-65535" }).max(65535, { error: "must be a port 1-65535" });

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: "must be a DNS-1123 label (lower case, digits, '-')" });

const hostname = z.string().regex(/^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^\*$/, {
    error: "must be a DNS host name such as api.dev.eco2.app",
});

/** Milliseconds of a duration such as "500ms", "10s", "5m", "1h". */
export function durationMs(v: string): number {
    const m = /^(\d+)(ms|s|m|h)$/.exec(v);
    if (!m) return NaN;
    return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

// Istio's CRDs require durations of at least 1ms (CEL `duration(self) >= duration('1ms')`); a
// day bounds the typos (a timeout of 999999h is never meant).
const duration = z
    .string()
    .regex(/^(0|[1-9]\d*)(ms|s|m|h)$/, { error: 'must be a duration such as "10s" or "500ms"', abort: true })
    .refine((v) => durationMs(v) >= 1, { error: "must be at least 1ms (Istio rejects zero durations)" })
    .refine((v) => durationMs(v) <= 86_400_000, { error: "must be at most 24h" })
    .meta({ constraint: "from 1ms to 24h" });

/** Kubernetes label key (qualified name, optional DNS prefix) and value. */
const labelKey = z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    error: "must be a Kubernetes label key such as role or node.example.com/pool",
});
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: "must be a Kubernetes label value (<= 63 letters, digits, - _ .)" });
const labels = z.record(labelKey, labelValue);

/** A host name or IPv4 address to connect to. */
const hostOrIp = z.string().regex(/^(([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*)$/, {
    error: "must be a host name or an IPv4 address",
});
const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Unix user name" });

/** Istio path syntax: exact, `/prefix/*` or `*suffix` (AuthorizationPolicy `paths`). */
const istioPath = z.string().regex(/^(\/[^*?#\s{}]*(\/\*|\*)?|\*[^*\s{}]+)$/, {
    error: 'must start with "/" and may end with "*" (Istio path match), e.g. "/api/v1/scan/*"',
});

/** Headers that carry protocol, proxy or client meaning; never an identity header of ours. */
const RESERVED_HEADERS =
    /^(authorization|cookie|host|content-length|content-type|te|connection|transfer-encoding|upgrade|keep-alive|trailer|proxy-.*|x-forwarded-.*|x-envoy-.*|x-request-id|x-b3-.*|traceparent|tracestate)$/;

const headerName = z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, { error: "must be a lower-case HTTP header name" })
    .refine((h) => !RESERVED_HEADERS.test(h), {
        error: "must not be a header the client, Envoy or HTTP itself owns (authorization, cookie, host, x-forwarded-*, x-envoy-*, x-request-id, hop-by-hop headers)",
    });

const awsId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), { error: `must be an AWS id like ${prefix}-0123456789abcdef0` });

const ARN_HEAD = "^arn:aws(-[a-z]+)*:";
const ARN_REGION_ACCOUNT = ":[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:";
const ACM_CERTIFICATE = new RegExp(`${ARN_HEAD}acm${ARN_REGION_ACCOUNT}certificate/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$`);
const ELB_TARGET_GROUP = new RegExp(`${ARN_HEAD}elasticloadbalancing${ARN_REGION_ACCOUNT}targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`);

/** The region field of an ARN (`arn:partition:service:region:account:resource`). */
export function arnRegion(arn: string): string {
    return arn.split(":")[3] ?? "";
}

// Istio's DestinationRule counters are int32 (the CRD says `format: int32`); a larger number is
// refused by the API server after the layers before it have been applied.
const INT32_MAX = 2_147_483_647;
const int32Count = (min: number) =>
    z
        .number()
        .int()
        .min(min)
        .max(INT32_MAX, { error: `must be at most ${INT32_MAX} (the Istio field is a 32-bit integer)` });

/** Lifetime of a kubeadm bootstrap token: "0" would never expire, so at least a minute, at most kubeadm's default day. */
export const joinTokenTtl = z
    .string()
    .regex(/^[1-9]\d*(m|h)$/, { error: 'must be a duration in minutes or hours such as "30m" (a zero TTL makes a token that never expires)', abort: true })
    .refine((v) => durationMs(v) >= 60_000 && durationMs(v) <= 86_400_000, { error: "must be between 1m and 24h: the token is for one join, and kubeadm's own default is 24h" })
    .meta({ constraint: "from 1m to 24h" });

const k8sVersion = z.string().regex(/^1\.[1-9]\d\.(0|[1-9]\d{0,2})$/, { error: 'must be a Kubernetes version such as "1.31.4"' });

export const layersSchema = z
    .strictObject({
        aws: z.boolean().default(false).describe("Gateway EC2 nodes, security groups, IAM and the load balancer (infra/)."),
        join: z.boolean().default(false).describe("kubeadm join of the gateway nodes over SSH (infra/nodeJoin.ts)."),
        istio: z.boolean().default(true).describe("Helm releases base → istiod → gateway."),
        mesh: z.boolean().default(true).describe("Injection labels, PeerAuthentication, ClusterIP domain Services, restarts."),
        routing: z.boolean().default(true).describe("Gateway, VirtualServices and DestinationRules."),
        auth: z.boolean().default(true).describe("RequestAuthentication, AuthorizationPolicies, token bridge, ext-authz."),
        observability: z.boolean().default(true).describe("Telemetry resource for access logs."),
    })
    .describe("Which layers this stack runs. The cluster layers need Istio's CRDs: from layers.istio, or an Istio installed before.");

const cniRule = z.strictObject({
    protocol: z
        .enum(["tcp", "udp", "4", "all"], { error: 'must be "tcp", "udp", "4" (IP-in-IP) or "all"' })
        .describe("tcp or udp (with the port range), 4 (IP-in-IP) or all (every protocol); 4 and all open every port."),
    fromPort: z.number().int().min(0).max(65535).describe("First port of the range (tcp and udp; ignored for 4 and all)."),
    toPort: z.number().int().min(0).max(65535).describe("Last port of the range, not below fromPort (tcp and udp; ignored for 4 and all)."),
    description: z.string().min(1).describe('Names the traffic in the security-group rule descriptions, e.g. "Calico BGP from control-plane".'),
});

export const clusterSchema = z
    .strictObject({
        name: dnsLabel.default("eco2").describe("Cluster name used in AWS tags and resource names."),
        kubernetesVersion: k8sVersion.optional().describe("Kubernetes version of the kubeadm cluster; the gateway nodes install kubelet/kubeadm at this version. Required with layers.aws."),
        kubeconfigPath: z.string().min(1).optional().describe("Path of a kubeconfig file to use when the secret `kubeconfig` key is not set (the local stack)."),
        context: z
            .string()
            .min(1)
            .optional()
            .describe("Context inside the kubeconfig; default: its current-context.")
            .meta({ examples: ["kubernetes-admin@kubernetes"] }),
        vpcId: awsId("vpc").optional().describe("VPC of the cluster. Required with layers.aws."),
        controlPlane: z
            .strictObject({
                host: hostOrIp.describe("Address the program SSHes to on the control-plane node (kubeadm token create, kubectl)."),
                securityGroupId: awsId("sg").describe("Security group of the control-plane nodes; the gateway nodes accept kubelet and CNI traffic from it."),
                nodeSelector: labels.prefault({ ...d.CONTROL_PLANE_SELECTOR }).describe("Node label istiod is scheduled on (the plan's role=control-plane)."),
            })
            .optional()
            .describe("The existing kubeadm control plane. Required with layers.aws or layers.join."),
        podNetworkCidr: cidr.default(d.DEFAULT_POD_CIDR).describe("Pod network CIDR of the cluster's CNI. With podNetworkRouting native, the gateway nodes accept traffic from it."),
        podNetworkRouting: z
            .enum(["encapsulated", "native"])
            .default("encapsulated")
            .describe(
                "How the CNI carries pod traffic between nodes. encapsulated (Calico IP-in-IP or VXLAN, the plan's cluster): packets carry node addresses and the cniRules suffice. native (no overlay): packets carry pod addresses, so the gateway nodes accept traffic from podNetworkCidr and their EC2 source/destination check is off.",
            ),
        cniRules: z
            .array(cniRule)
            .default(d.CALICO_NODE_RULES.map((r) => ({ ...r })))
            .describe("Node-to-node traffic the CNI needs between control plane and gateway nodes (default: Calico)."),
        workerSecurityGroupIds: z
            .array(awsId("sg"))
            .default([])
            .describe(
                "Security groups of the cluster's worker nodes when they differ from the control plane's; they exchange the CNI traffic with the gateway nodes (gateway pods reach the app pods on them).",
            )
            .meta({ examples: [["sg-0d1e2f3a4b5c60718"]] }),
    })
    .describe("The existing kubeadm cluster.");

export const gatewayNodesSchema = z
    .strictObject({
        count: z.number().int().min(1, { error: "must be at least 1" }).max(20, { error: "must be at most 20" }).default(2).describe("Number of dedicated ingress-gateway nodes."),
        instanceType: z
            .string()
            .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'must be an EC2 instance type such as "t3.medium"' })
            .default("t3.medium")
            .describe("EC2 instance type."),
        amiId: awsId("ami").optional().describe("AMI (Ubuntu 22.04/24.04) of the gateway nodes. Required with layers.aws."),
        subnetIds: z.array(awsId("subnet")).default([]).describe("Subnets the nodes are spread over, round-robin. At least one with layers.aws."),
        associatePublicIp: z.boolean().default(false).describe("Give nodes a public IP (only for public subnets; private is the safe default)."),
        sshCidrs: z.array(cidr).default([]).meta({ constraint: "none wider than a /8, none twice" }).describe("CIDRs allowed to SSH to the nodes (never 0.0.0.0/0)."),
        rootVolumeGb: z.number().int().min(20).max(1000).default(30).describe("Encrypted gp3 root volume size."),
        imdsHopLimit: z.number().int().min(1).max(3).default(d.DEFAULT_IMDS_HOP_LIMIT).describe("IMDSv2 PUT response hop limit."),
        labels: labels
            .refine((l) => Object.keys(l).length > 0, { error: "must hold at least one label: the gateway pods select the nodes by it, and without one they may run on any node" })
            .prefault({ ...d.DEFAULT_GATEWAY_NODE_LABELS })
            .describe("Labels the join puts on the nodes; the gateway pods select them."),
        taint: z
            .strictObject({
                key: labelKey.describe("Taint key; the gateway pods' toleration names the same key."),
                value: labelValue.describe("Taint value; the toleration matches it exactly."),
                effect: z
                    .enum(["NoSchedule", "NoExecute", "PreferNoSchedule"])
                    .describe("NoSchedule keeps other new pods off the nodes, NoExecute also evicts running pods without the toleration, PreferNoSchedule only steers pods elsewhere when possible."),
            })
            .prefault({ ...d.DEFAULT_GATEWAY_NODE_TAINT })
            .describe("Taint the join puts on the nodes; the gateway pods tolerate it."),
        ssh: z
            .strictObject({
                user: unixUser.default("ubuntu").describe("SSH user on nodes and control plane."),
                port: port.default(22).describe("SSH port of the gateway nodes and the control-plane host; the nodes' security group opens it to sshCidrs."),
                bastion: z
                    .strictObject({
                        host: hostOrIp.describe("Address of the jump host every join connection goes through (to the nodes and to the control plane)."),
                        user: unixUser.default("ubuntu").describe("SSH user on the jump host."),
                        port: port.default(22).describe("SSH port of the jump host."),
                    })
                    .optional()
                    .describe("Optional jump host; it is reached with the same private key (sshPrivateKey)."),
            })
            .prefault({})
            .describe("SSH connection for the join; the private key is the secret `sshPrivateKey`."),
        joinTokenTtl: joinTokenTtl.default(d.DEFAULT_JOIN_TOKEN_TTL).describe("Lifetime of the bootstrap token a join creates."),
        drainTimeout: z
            .string()
            .regex(/^\d+(s|m|h)$/, { error: 'must be a duration such as "5m"' })
            .default(infraDefaults.DEFAULT_DRAIN_TIMEOUT)
            .describe("How long removing a node may take to evict its pods (kubectl drain --timeout) before the delete fails and the node stays."),
        ssmAccess: z.boolean().default(true).describe("Attach AmazonSSMManagedInstanceCore to the node role, so operators can reach a node by Session Manager when SSH is not possible."),
    })
    .describe("Dedicated ingress-gateway EC2 nodes.");

export const loadBalancerSchema = z
    .strictObject({
        type: z.enum(["nlb", "alb"], { error: 'must be "nlb" or "alb"' }).default("nlb").describe("Network (TCP/TLS) or Application (HTTP) load balancer."),
        internal: z.boolean().default(false).describe("Internal load balancer instead of internet-facing."),
        subnetIds: z.array(awsId("subnet")).default([]).describe("Subnets of the load balancer (ALB needs two AZs)."),
        ingressCidrs: z.array(cidr).default(["0.0.0.0/0"]).describe("Client CIDRs allowed to reach the listeners (rules of the load balancer's own security group; an NLB gets one too)."),
        listeners: z
            .strictObject({
                http: z.boolean().default(true).describe("Port 80 (ALB: redirect to HTTPS when https is on)."),
                https: z.boolean().default(true).describe("Port 443 (TLS terminated at the load balancer)."),
            })
            .prefault({})
            .describe("Which listeners the load balancer has; at least one."),
        certificateArn: z
            .string()
            .regex(ACM_CERTIFICATE, { error: "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)" })
            .optional()
            .describe("ACM certificate for HTTPS/TLS. Required when listeners.https is on."),
        sslPolicy: z
            .string()
            .regex(/^ELBSecurityPolicy-[A-Za-z0-9-]+$/, { error: "must be an ELB security policy name (ELBSecurityPolicy-…)" })
            .default("ELBSecurityPolicy-TLS13-1-2-2021-06")
            .describe("TLS policy of the HTTPS/TLS listener."),
        deletionProtection: z.boolean().default(false).describe("Refuse deletion of the load balancer (prod)."),
        accessLogs: z
            .strictObject({
                bucket: z
                    .string()
                    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket name" })
                    .describe("Existing S3 bucket for the logs; its bucket policy must let Elastic Load Balancing write to it."),
                prefix: z
                    .string()
                    .regex(/^[A-Za-z0-9!_.*'()/-]*$/, { error: "must be an S3 key prefix" })
                    .default("")
                    .describe("Key prefix of the log objects; empty writes them at the top of the bucket."),
            })
            .optional()
            .describe("S3 access logs (prod)."),
        cutover: z
            .strictObject({
                weight: z
                    .number({ error: "must be a number 0-100" })
                    .int()
                    .min(0, { error: "must be 0-100" })
                    .max(100, { error: "must be 0-100" })
                    .default(100)
                    .meta({ constraint: "required when dns or legacyTargetGroupArn is set" })
                    .describe("Percent of traffic sent to the Istio gateway; 0 = all legacy (rollback), 100 = migration complete."),
                legacyTargetGroupArn: z
                    .string()
                    .regex(ELB_TARGET_GROUP, { error: "must be a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)" })
                    .optional()
                    .describe(
                        "ALB: target group that serves the legacy Ingress, weighted against the gateway's in the new ALB's listener. A target group can belong to one load balancer only, so it must not be attached to the legacy ALB (see docs/troubleshooting.md).",
                    )
                    .meta({ examples: ["arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/eco2-prod-legacy/0123456789abcdef"] }),
                dns: z
                    .strictObject({
                        zoneId: z
                            .string()
                            .regex(/^Z[A-Z0-9]{4,32}$/, { error: "must be a Route53 hosted zone id (Z…)" })
                            .describe("Route53 hosted zone that holds recordName."),
                        recordName: hostname.describe("Name the clients resolve; it gets two weighted alias A records, legacy and istio."),
                        legacyDnsName: hostname.describe("DNS name of the legacy load balancer."),
                        legacyZoneId: z
                            .string()
                            .regex(/^Z[A-Z0-9]{4,32}$/)
                            .describe("Canonical hosted zone id of the legacy load balancer (CanonicalHostedZoneId of describe-load-balancers), not the id of your own zone."),
                    })
                    .optional()
                    .describe("Weighted Route53 alias records between the legacy entry and this load balancer (NLB, or an ALB whose legacy Ingress is its own load balancer)."),
            })
            .prefault({})
            .describe("Traffic cut-over between the legacy Ingress and the Istio gateway (plan §5)."),
    })
    .describe("The load balancer in front of the gateway nodes.");

const gatewayRollout = z.strictObject({
    name: dnsLabel.default(d.DEFAULT_GATEWAY_RELEASE).describe("Helm release name of the gateway (sets the istio=<name without istio-> pod label)."),
    namespace: dnsLabel.default(d.DEFAULT_GATEWAY_NAMESPACE).describe("Namespace of the gateway pods; never labelled istio-injection=disabled."),
    replicas: z.number().int().min(1).max(50).default(2).describe("Gateway replicas (HPA minimum when autoscaling)."),
    maxReplicas: z.number().int().min(1).max(100).default(5).meta({ constraint: "not below replicas" }).describe("HPA maximum."),
    autoscaling: z.boolean().default(true).describe("HorizontalPodAutoscaler on CPU."),
    minAvailable: z.number().int().min(0).max(99).default(1).meta({ constraint: "below replicas (or no node could ever be drained)" }).describe("PodDisruptionBudget minAvailable."),
    nodePorts: z
        .strictObject({
            http: nodePort
                .default(d.DEFAULT_NODE_PORTS.http)
                .describe("NodePort of the gateway Service's port 80; the load balancer's target group sends all traffic here (TLS ends at the load balancer)."),
            https: nodePort
                .default(d.DEFAULT_NODE_PORTS.https)
                .describe("NodePort of the gateway Service's port 443, for HTTPS at the gateway (routing.gateway.tlsCredentialName); the load balancer has no target group on it."),
            status: nodePort.default(d.DEFAULT_NODE_PORTS.status).describe("NodePort of the status port 15021; the load balancer's health check requests /healthz/ready on it."),
        })
        .prefault({})
        .describe("Fixed NodePorts of the gateway Service: the load balancer forwards to http and health-checks status."),
});

export const istioSchema = z
    .strictObject({
        version: z
            .string()
            .regex(/^1\.(0|[1-9]\d?)\.(0|[1-9]\d{0,2})$/, { error: 'must be an Istio release such as "1.24.1"' })
            .default(d.DEFAULT_ISTIO_VERSION)
            .meta({
                constraint: `1.${d.MIN_ISTIO_MINOR} or newer; ${d.CONFORMANCE_ISTIO_VERSIONS.map((v) => `${v.split(".").slice(0, 2).join(".")}.x`).join(" or ")} (the releases the conformance tier checks) unless istio.allowUntestedVersion`,
            })
            .describe("One pinned Istio version for base, istiod and gateway."),
        allowUntestedVersion: z
            .boolean()
            .default(false)
            .describe("Accept an Istio minor the conformance tier does not check (it checks the releases in config/defaults.ts CONFORMANCE_ISTIO_VERSIONS)."),
        chartRepository: z
            .string()
            .regex(/^(https|oci):\/\/[^\s]+$/, { error: "must be an https:// or oci:// URL (charts are never fetched unencrypted)" })
            .default(d.DEFAULT_CHART_REPOSITORY)
            .describe("Helm repository of the Istio charts."),
        chartDir: z
            .string()
            .min(1)
            .optional()
            .describe("Directory holding unpacked base/, istiod/ and gateway/ charts (offline installs), relative to the project directory; wins over chartRepository.")
            .meta({ examples: ["charts/istio-1.24.1"] }),
        namespace: dnsLabel.default(d.DEFAULT_ISTIO_NAMESPACE).describe("Namespace of istiod."),
        crds: z
            .strictObject({
                source: z
                    .enum(["chart", "file"], { error: 'must be "chart" or "file"' })
                    .default("chart")
                    .describe("chart: the base release installs the CRDs; file: the program applies crd-all.gen.yaml of the pinned version itself."),
                file: z
                    .string()
                    .min(1)
                    .optional()
                    .describe("crd-all.gen.yaml of the pinned version (source=file); default ../shared/data/istio/<version>/crd-all.gen.yaml.")
                    .meta({ examples: ["/opt/istio-1.24.1/manifests/charts/base/files/crd-all.gen.yaml"] }),
                retainOnDelete: z.boolean().default(true).describe("Keep the CRDs (and every Istio object) when the Istio layer is removed (plan §5)."),
                adoptExisting: z.boolean().default(false).describe("CRDs were installed by kubectl or an older chart: take them over (Helm ownership labels) before base installs them."),
            })
            .prefault({})
            .describe("Where the Istio CRDs come from, and whether they outlive the Istio layer."),
        releases: z
            .strictObject({
                base: z.boolean().default(true).describe("Install the istio-base release (with crds.source chart, it installs the CRDs)."),
                istiod: z.boolean().default(true).describe("Install the istiod release: control plane and sidecar injection."),
                gateway: z.boolean().default(true).describe("Install the ingress gateway release (istio.gateway)."),
            })
            .prefault({})
            .describe("Which Istio releases to install (the local stack without charts installs CRDs only)."),
        skipAwait: z.boolean().default(false).describe("Do not wait for Deployments to become ready (only for API servers without kubelets)."),
        istiod: z
            .strictObject({
                replicas: z.number().int().min(1).max(10).default(1).describe("istiod replicas; the chart's autoscaler is off, so this is the count."),
            })
            .prefault({})
            .describe("The istiod control plane."),
        gateway: gatewayRollout.prefault({}).describe("The ingress gateway release: name, namespace, replicas, autoscaling, disruption budget, NodePorts."),
    })
    .describe("The Istio installation.");

const meshNamespace = z.strictObject({
    name: dnsLabel.describe("Application namespace that gets sidecars."),
    injection: z.boolean().default(true).describe("Label istio-injection=enabled; false removes it (rollback)."),
    create: z.boolean().default(false).describe("Create the namespace (new clusters, the local stack); otherwise only its labels are patched and removing the mesh leaves it."),
    workloads: z.array(dnsLabel).default([]).describe("Deployments restarted when injection changes."),
});

export const meshSchema = z
    .strictObject({
        mtlsMode: z.enum(["PERMISSIVE", "STRICT"], { error: 'must be "PERMISSIVE" or "STRICT"' }).default("PERMISSIVE").describe("Mesh-wide PeerAuthentication mode."),
        namespaces: z.array(meshNamespace).default([]).describe("Application namespaces of the mesh."),
        domainServices: z.boolean().default(true).describe("Own the domain Services as ClusterIP (was NodePort)."),
    })
    .describe("Sidecar injection and mTLS.");

/** Istio's retryOn: Envoy router retry conditions and gRPC status names, or status codes. */
const RETRY_ON =
    /^(5xx|gateway-error|reset|reset-before-request|connect-failure|envoy-ratelimited|retriable-4xx|refused-stream|retriable-status-codes|retriable-headers|http3-post-connect-failure|cancelled|deadline-exceeded|internal|resource-exhausted|unavailable|[1-5]\d\d)(,(5xx|gateway-error|reset|reset-before-request|connect-failure|envoy-ratelimited|retriable-4xx|refused-stream|retriable-status-codes|retriable-headers|http3-post-connect-failure|cancelled|deadline-exceeded|internal|resource-exhausted|unavailable|[1-5]\d\d))*$/;

const domain = z.strictObject({
    name: dnsLabel.describe("Domain name (auth, scan, chat, …)."),
    namespace: dnsLabel.describe("Namespace of the domain's Service; its VirtualService and DestinationRule are created there. With layers.mesh it must be one of mesh.namespaces."),
    pathPrefix: z
        .string()
        .regex(/^\/[A-Za-z0-9._~\-/]*$/, { error: 'must start with "/" and hold only path characters' })
        .describe("Path the domain routes, on segment boundaries: /api/v1/scan and /api/v1/scan/…, never /api/v1/scanner. With layers.auth an auth path list must cover it."),
    hosts: z
        .array(hostname)
        .optional()
        .describe("Hosts of the VirtualService; default: the gateway's hosts.")
        .meta({ examples: [["api.dev.growbin.app"]] }),
    service: z
        .strictObject({
            name: dnsLabel.describe("Service the domain routes to, in the domain's namespace; its DestinationRule takes the same name."),
            port: port.describe("Service port the route sends to (and the port of the ClusterIP Service with mesh.domainServices)."),
            targetPort: port
                .optional()
                .describe("Container port behind the Service (mesh.domainServices); default: port.")
                .meta({ examples: [8080] }),
            selector: labels
                .optional()
                .describe("Pod selector; default app=<service name>.")
                .meta({ examples: [{ "app.kubernetes.io/name": "scan-api" }] }),
        })
        .describe("The Kubernetes Service behind the domain."),
    timeout: duration.default("15s").describe("Timeout of a request on the domain's routes, retries included."),
    retries: z
        .strictObject({
            attempts: z.number().int().min(0).max(10).default(2).describe("Retries allowed per request (0: none)."),
            perTryTimeout: duration.default("5s").describe("Timeout of each attempt."),
            retryOn: z
                .string()
                .regex(RETRY_ON, {
                    error: "must be a comma-separated list of Envoy retry conditions (5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable, or an HTTP status code)",
                })
                .default("connect-failure,refused-stream,unavailable,cancelled,503")
                .describe("Comma-separated conditions that cause a retry: Envoy retry-on values, gRPC status names or HTTP status codes."),
        })
        .prefault({})
        .describe("Retry policy of the domain's routes."),
    connectionPool: z
        .strictObject({
            maxConnections: int32Count(1).default(100).describe("Most TCP connections each calling proxy opens to the Service."),
            http1MaxPendingRequests: int32Count(1).default(100).describe("Most requests each calling proxy queues while waiting for a connection."),
            http2MaxRequests: int32Count(1).default(1000).describe("Most requests in flight from each calling proxy to the Service."),
        })
        .prefault({})
        .describe("Connection limits of the domain's DestinationRule."),
    outlierDetection: z
        .strictObject({
            consecutive5xxErrors: int32Count(1).default(5).describe("5xx answers in a row that eject an endpoint from the pool."),
            interval: duration.default("30s").describe("How often the endpoints are checked for ejection."),
            baseEjectionTime: duration.default("30s").describe("Length of a first ejection; an endpoint ejected again stays out longer each time."),
            maxEjectionPercent: z.number().int().min(0).max(100).default(50).describe("Most of the Service's endpoints ejected at once, in percent."),
        })
        .prefault({})
        .describe("Ejection of failing endpoints (DestinationRule outlierDetection)."),
    canary: z
        .strictObject({
            stableVersion: labelValue.min(1).default("v1").describe("`version` label of the stable pods."),
            canaryVersion: labelValue.min(1).default("v2").describe("`version` label of the canary pods."),
            header: z
                .strictObject({ name: headerName.describe("Request header that sends a request to the canary."), exact: z.string().min(1).describe("Value the header must equal.") })
                .optional()
                .describe("Requests with this header go to the canary subset."),
            cookie: z
                .strictObject({
                    name: z
                        .string()
                        .regex(/^[A-Za-z0-9_-]+$/)
                        .describe("Cookie that sends a request to the canary.")
                        .meta({ examples: ["canary"] }),
                    value: z
                        .string()
                        .regex(/^[A-Za-z0-9_.-]+$/)
                        .describe("Value the cookie must have.")
                        .meta({ examples: ["always"] }),
                })
                .optional()
                .describe("Requests with this cookie go to the canary subset."),
            weight: z.number().int().min(0).max(100).default(0).describe("Percent of unmatched traffic to the canary subset."),
        })
        .optional()
        .describe("Header- or cookie-matched canary subset."),
});

export const routingSchema = z
    .strictObject({
        gateway: z
            .strictObject({
                name: dnsLabel.default("eco2-gateway").describe("Name of the Istio Gateway object in istio.gateway.namespace; the VirtualServices name it <namespace>/<name>."),
                hosts: z.array(hostname).default([]).describe("Hosts served by the Istio Gateway."),
                tlsCredentialName: dnsLabel
                    .optional()
                    .describe("Kubernetes TLS secret for HTTPS on the gateway (when TLS is not terminated at the load balancer).")
                    .meta({ examples: ["api-dev-growbin-app-tls"] }),
                httpsRedirect: z.boolean().default(false).describe("Redirect port 80 to HTTPS at the gateway (only with tlsCredentialName)."),
            })
            .prefault({})
            .describe("The Istio Gateway that the domains' VirtualServices bind to."),
        domains: z.array(domain).default([]).describe("One VirtualService and DestinationRule per domain, routing a path prefix to a Service."),
    })
    .describe("Gateway, VirtualServices, DestinationRules.");

const rolePath = z.strictObject({
    paths: z.array(istioPath).min(1).describe("Paths that need the claim value (Istio path syntax); they need a valid token too."),
    claim: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,63}$/, { error: "must be a claim name (letters, digits, _ . -, at most 63)" })
        .default("role")
        .describe("JWT claim that is checked."),
    values: z
        .array(
            z
                .string()
                .min(1)
                .regex(/^[^*]+$/, { error: 'must be a literal claim value: Istio reads "*" in a claim value as a wildcard (any value, or a prefix or suffix)' }),
        )
        .min(1, { error: "must name at least one allowed claim value" })
        .describe("Allowed values of the claim; a request with another value, or without the claim, is denied."),
});

const extAuthzProvider = z.strictObject({
    name: dnsLabel.describe("Provider name; declared in istiod's meshConfig and named by the CUSTOM policy (one source)."),
    service: hostOrIp.describe("gRPC authz service host, e.g. auth-api.auth.svc.cluster.local."),
    port: port.describe("gRPC port of the authz service."),
    timeout: duration.default("1s").describe("How long the gateway waits for the authz service's answer."),
    failOpen: z.boolean().default(false).describe("false: deny when the authz service is down."),
    paths: z.array(istioPath).min(1).describe("Paths the CUSTOM policy sends to the provider."),
});

export const authSchema = z
    .strictObject({
        tokenSource: z
            .enum(["native", "lua"], { error: 'must be "native" (fromCookies) or "lua" (the plan\'s EnvoyFilter)' })
            .default("native")
            .describe("How the cookie becomes a token: RequestAuthentication fromCookies, or the Lua cookie-to-header EnvoyFilter."),
        cookieName: z
            .string()
            .regex(/^[A-Za-z0-9_-]+$/, { error: "must be a cookie name (letters, digits, _ and -)" })
            .default(d.DEFAULT_TOKEN_COOKIE)
            .describe("Cookie that carries the access token; read by RequestAuthentication fromCookies (native) or by the Lua filter (lua)."),
        issuer: z.string().min(1).optional().describe("JWT issuer (iss). Required with layers.auth."),
        jwksUri: z
            .string()
            .regex(/^https?:\/\/[^\s]+$/, { error: "must be an http(s) URL" })
            .optional()
            .describe("JWKS of the auth service (RS256 keys). Required with layers.auth."),
        audiences: z
            .array(z.string().min(1))
            .default([])
            .describe("Accepted values of the token's aud claim; empty leaves audiences unset on the RequestAuthentication.")
            .meta({ examples: [["eco2-api"]] }),
        claimHeaders: z
            .array(
                z.strictObject({
                    claim: z
                        .string()
                        .regex(/^[A-Za-z0-9_.-]{1,63}$/, { error: "must be a claim name (letters, digits, _ . -, at most 63)" })
                        .describe("JWT claim to pass on."),
                    header: headerName.describe("Header that carries the claim to the apps."),
                }),
            )
            .default([
                { claim: "sub", header: "x-user-id" },
                { claim: "role", header: "x-user-role" },
            ])
            .describe("Claims passed to apps as headers (outputClaimToHeaders); clients cannot forge them."),
        stripHeaders: z.array(headerName).default([]).describe("Other identity headers apps read; removed from every request at the gateway."),
        forwardOriginalToken: z
            .boolean()
            .default(true)
            .describe("Keep the Authorization header for apps that still verify tokens themselves (plan phase 3); false once they read only the claim headers."),
        allowPreflight: z.boolean().default(true).describe("Let CORS preflight (OPTIONS, sent without credentials) through to the apps on protected paths."),
        publicPaths: z.array(istioPath).default([]).describe("Open paths (login, health)."),
        protectedPaths: z.array(istioPath).default([]).describe("Paths that need a valid token."),
        rolePaths: z.array(rolePath).default([]).describe("Paths that need a claim value (role)."),
        lua: z
            .strictObject({
                onExistingAuthorization: z
                    .enum(["replace", "keep"])
                    .default("replace")
                    .describe("replace: the cookie's token replaces a client Authorization header; keep: a client header wins and the cookie is ignored."),
                removeCookie: z.boolean().default(false).describe("Remove the token cookie before the request reaches the apps."),
            })
            .prefault({})
            .describe("Settings of the Lua cookie-to-header filter (tokenSource lua)."),
        extAuthz: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Declare the providers in istiod's meshConfig and create their CUSTOM AuthorizationPolicies; needs at least one provider."),
                providers: z.array(extAuthzProvider).default([]).describe("The ext-authz providers; each gets one CUSTOM AuthorizationPolicy for its paths."),
                meshConfigOutside: z
                    .boolean()
                    .default(false)
                    .describe(
                        "The providers are declared in the meshConfig of an istiod this stack does not install (layers.istio or istio.releases.istiod off). Without a declaration Istio denies every request the CUSTOM policy covers, so this must be said, not assumed.",
                    ),
            })
            .prefault({})
            .describe("ext-authz (CUSTOM) providers, e.g. the auth-api token blacklist."),
    })
    .describe("Token bridge, JWT authentication and authorization at the gateway.");

export const observabilitySchema = z
    .strictObject({
        accessLogs: z.boolean().default(true).describe("Envoy access logs (JSON) via the Telemetry API."),
        accessLogFilter: z
            .string()
            .min(1)
            .max(1000, { error: "must be at most 1000 characters" })
            .regex(/^[^\x00-\x1f\x7f]*$/, { error: "must be one line without control characters (a CEL expression)" })
            .optional()
            .describe("CEL filter for access logs, e.g. response.code >= 400.")
            .meta({ examples: ["response.code >= 400"] }),
    })
    .describe("Telemetry.");

export const meshConfigSchema = z.strictObject({
    environment: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,19}$/, { error: "must be a short lower-case name (local, dev, prod)" })
        .describe("Environment name used in tags and names."),
    layers: layersSchema.prefault({}),
    cluster: clusterSchema.prefault({}),
    gatewayNodes: gatewayNodesSchema.prefault({}),
    loadBalancer: loadBalancerSchema.prefault({}),
    istio: istioSchema.prefault({}),
    mesh: meshSchema.prefault({}),
    routing: routingSchema.prefault({}),
    auth: authSchema.prefault({}),
    observability: observabilitySchema.prefault({}),
});

export type MeshSettings = z.infer<typeof meshConfigSchema>;
export type Domain = z.infer<typeof domain>;
export type ExtAuthzProvider = z.infer<typeof extAuthzProvider>;
export type MeshNamespace = z.infer<typeof meshNamespace>;
