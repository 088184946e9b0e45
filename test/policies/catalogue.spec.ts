import { expect } from "chai";
import { policies } from "../../policies/rules";
import { FAKE_SECRETS, recordStack } from "../harness";
import { FakeResource, fromRecording, packConfig, runPack, UNKNOWN } from "./harness";

// Deliberately broken configurations and resources, each built from a recorded stack of the
// program: every one fails the rule it should, and only that rule.

type Stack = "dev" | "prod" | "local";

interface BrokenCase {
    readonly name: string;
    readonly stack: Stack;
    /** Config keys changed before recording (test/harness.ts setPath syntax). */
    readonly config?: Record<string, unknown>;
    /** Changes to the recorded resources. */
    readonly mutate?: (r: Fixture) => void;
    readonly rule: string;
    /** A fragment of the expected message. */
    readonly message: string;
}

class Fixture {
    constructor(public readonly resources: FakeResource[]) {}

    /** The one resource of `type` (matching `pred`); throws when there is not exactly one. */
    one(type: string | RegExp, pred: (r: FakeResource) => boolean = () => true): FakeResource {
        const hits = this.all(type).filter(pred);
        if (hits.length !== 1) throw new Error(`expected one ${type}, found ${hits.length}: ${hits.map((h) => h.name).join(", ")}`);
        return hits[0];
    }

    all(type: string | RegExp): FakeResource[] {
        return this.resources.filter((r) => (typeof type === "string" ? r.type === type : type.test(r.type)));
    }

    kind(kind: string, name: string): FakeResource {
        return this.one(/^kubernetes:/, (r) => (r.props.kind === kind && r.props.metadata?.name === name) || (r.type.endsWith(`:${kind}`) && r.props.metadata?.name === name));
    }

    release(chart: string): FakeResource {
        return this.one("kubernetes:helm.sh/v3:Release", (r) => r.props.chart === chart);
    }

    add(r: FakeResource): void {
        this.resources.push(r);
    }

    remove(r: FakeResource): void {
        this.resources.splice(this.resources.indexOf(r), 1);
    }
}

const SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";
const COMMAND = "command:remote:Command";
const isJoinCommand = (r: FakeResource) => /kubeadm token create/.test(r.props.create ?? "");
const isNodeJoin = (r: FakeResource) => /kubeadm join --config/.test(r.props.create ?? "");
const isLabel = (r: FakeResource) => /kubectl label node/.test(r.props.create ?? "");

function copyOf(r: FakeResource, name: string, change: (props: Record<string, any>) => void): FakeResource {
    const props = JSON.parse(JSON.stringify(r.props));
    change(props);
    return { type: r.type, name, urn: (r.urn ?? "").replace(/::[^:]+$/, `::${name}`), props, parent: r.parent };
}

const CASES: BrokenCase[] = [
    // Istio / Kubernetes resources
    {
        name: "prod with mesh.mtlsMode PERMISSIVE",
        stack: "prod",
        config: { "mesh.mtlsMode": "PERMISSIVE" },
        rule: "meshWidePeerAuthenticationIsStrict",
        message: "has mTLS mode PERMISSIVE; environment prod requires STRICT",
    },
    {
        name: "the mesh-wide PeerAuthentication removed",
        stack: "dev",
        mutate: (f) => f.remove(f.kind("PeerAuthentication", "default")),
        rule: "meshWidePeerAuthenticationIsStrict",
        message: "no mesh-wide PeerAuthentication (namespace istio-system",
    },
    {
        name: "a namespace-level PeerAuthentication relaxing prod to PERMISSIVE",
        stack: "prod",
        mutate: (f) =>
            f.add(
                copyOf(f.kind("PeerAuthentication", "default"), "pa-scan", (p) => {
                    p.metadata.namespace = "scan";
                    p.spec.mtls.mode = "PERMISSIVE";
                }),
            ),
        rule: "meshWidePeerAuthenticationIsStrict",
        message: "(narrower) has mTLS mode PERMISSIVE",
    },
    {
        name: "a VirtualService with host * on the public gateway",
        stack: "dev",
        mutate: (f) => {
            f.kind("VirtualService", "auth").props.spec.hosts = ["*"];
        },
        rule: "publicGatewayRoutesHaveNoWildcardHosts",
        message: 'spec.hosts[0] is the wildcard "*"',
    },
    {
        name: "a wildcard host on a v1beta1 VirtualService (a version bump does not switch the rule off)",
        stack: "dev",
        mutate: (f) => {
            const vs = f.kind("VirtualService", "scan");
            vs.type = "kubernetes:networking.istio.io/v1beta1:VirtualService";
            vs.props.apiVersion = "networking.istio.io/v1beta1";
            vs.props.spec.hosts = ["*.growbin.app"];
        },
        rule: "publicGatewayRoutesHaveNoWildcardHosts",
        message: '"*.growbin.app"',
    },
    {
        name: "an EnvoyFilter inserting envoy.lua",
        stack: "dev",
        config: { "auth.tokenSource": "lua" },
        mutate: (f) => {
            f.kind("EnvoyFilter", "cookie-to-header").props.spec.configPatches[0].patch.value.name = "envoy.lua";
        },
        rule: "envoyFiltersUseCurrentFilterNames",
        message: 'is "envoy.lua", a filter name Istio no longer matches',
    },
    {
        name: "an EnvoyFilter anchored on envoy.http_connection_manager",
        stack: "dev",
        config: { "auth.tokenSource": "lua" },
        mutate: (f) => {
            f.kind("EnvoyFilter", "cookie-to-header").props.spec.configPatches[0].match.listener.filterChain.filter.name = "envoy.http_connection_manager";
        },
        rule: "envoyFiltersUseCurrentFilterNames",
        message: 'use "envoy.filters.network.http_connection_manager"',
    },
    {
        name: "an EnvoyFilter on the application pods",
        stack: "dev",
        config: { "auth.tokenSource": "lua" },
        mutate: (f) => {
            f.kind("EnvoyFilter", "cookie-to-header").props.spec.workloadSelector.labels = { app: "scan-api" };
        },
        rule: "envoyFiltersSelectIngressGatewayOnly",
        message: "do not select the ingress gateway (istio=ingressgateway)",
    },
    {
        name: "an EnvoyFilter pinned to listener port 8080",
        stack: "dev",
        config: { "auth.tokenSource": "lua" },
        mutate: (f) => {
            f.kind("EnvoyFilter", "cookie-to-header").props.spec.configPatches[0].match.listener.portNumber = 8080;
        },
        rule: "envoyFiltersDoNotPinListenerPorts",
        message: "portNumber pins 8080",
    },
    {
        name: "an ALLOW AuthorizationPolicy with rules [{}]",
        stack: "dev",
        mutate: (f) =>
            f.add(
                copyOf(f.kind("AuthorizationPolicy", "require-jwt"), "allow-all", (p) => {
                    p.metadata.name = "allow-all";
                    p.spec.action = "ALLOW";
                    p.spec.rules = [{}];
                }),
            ),
        rule: "authorizationPoliciesHaveNoAllowAllRule",
        message: "spec.rules[0] of this ALLOW policy matches every request",
    },
    // The config check refuses this too; the rule still guards objects that reach a preview another way.
    {
        name: "a JWKS fetched over plain HTTP from outside the cluster",
        stack: "dev",
        mutate: (f) => {
            f.kind("RequestAuthentication", "gateway-jwt").props.spec.jwtRules[0].jwksUri = "http://auth.example.com/.well-known/jwks.json";
        },
        rule: "requestAuthenticationsHaveTrustedJwks",
        message: "must be https://",
    },
    {
        name: "a RequestAuthentication without issuer",
        stack: "local",
        mutate: (f) => {
            delete f.kind("RequestAuthentication", "gateway-jwt").props.spec.jwtRules[0].issuer;
        },
        rule: "requestAuthenticationsHaveTrustedJwks",
        message: "spec.jwtRules[0].issuer is not set",
    },
    {
        name: "a Service in a mesh namespace turned NodePort",
        stack: "dev",
        mutate: (f) => {
            f.one("kubernetes:core/v1:Service", (r) => r.props.metadata.name === "scan-api").props.spec.type = "NodePort";
        },
        rule: "meshServicesAreClusterIp",
        message: "Service scan/scan-api is NodePort",
    },
    {
        name: "a mesh namespace labelled istio-injection=disabled",
        stack: "dev",
        mutate: (f) => {
            f.one("kubernetes:core/v1:NamespacePatch", (r) => r.props.metadata.name === "scan").props.metadata.labels = { "istio-injection": "disabled" };
        },
        rule: "meshNamespacesAreInjected",
        message: "NamespacePatch scan is labelled istio-injection=disabled",
    },
    {
        name: "the gateway namespace labelled istio-injection=disabled",
        stack: "prod",
        mutate: (f) => {
            f.one("kubernetes:core/v1:Namespace", (r) => r.props.metadata.name === "istio-ingress").props.metadata.labels["istio-injection"] = "disabled";
        },
        rule: "meshNamespacesAreInjected",
        message: 'would pull the image "auto"',
    },
    {
        name: "a routed mesh namespace that lost its injection label",
        stack: "prod",
        mutate: (f) => {
            f.one("kubernetes:core/v1:NamespacePatch", (r) => r.props.metadata.name === "chat").props.metadata.labels = {};
        },
        rule: "meshNamespacesAreInjected",
        message: "NamespacePatch chat holds routed mesh Services but carries no istio-injection=enabled",
    },
    // Cross-resource
    {
        name: "a VirtualService naming its gateway by bare name from another namespace",
        stack: "dev",
        mutate: (f) => {
            f.kind("VirtualService", "chat").props.spec.gateways = ["eco2-gateway"];
        },
        rule: "virtualServiceReferencesResolve",
        message: 'names gateway "eco2-gateway", which resolves to chat/eco2-gateway',
    },
    {
        name: "VirtualServices routing to Services the stack does not declare",
        stack: "local",
        config: { "mesh.domainServices": false },
        rule: "virtualServiceReferencesResolve",
        message: '"auth-api.auth.svc.cluster.local" resolves to Service auth/auth-api, which this stack does not declare',
    },
    {
        name: "a destination host with a typo",
        stack: "prod",
        mutate: (f) => {
            f.kind("VirtualService", "scan").props.spec.http[0].route[0].destination.host = "scan-apl.scan.svc.cluster.local";
        },
        rule: "virtualServiceReferencesResolve",
        message: "Service scan/scan-apl",
    },
    {
        name: "two VirtualServices claiming the same host and path prefix",
        stack: "dev",
        mutate: (f) => {
            for (const h of f.kind("VirtualService", "scan").props.spec.http) for (const m of h.match) m.uri.prefix = "/api/v1/chat";
        },
        rule: "virtualServiceRoutesDoNotConflict",
        message: "both route host api.dev.growbin.app path prefix /api/v1/chat",
    },
    {
        name: "a RequestAuthentication without a principal-requiring policy",
        stack: "dev",
        mutate: (f) => f.remove(f.kind("AuthorizationPolicy", "require-jwt")),
        rule: "requestAuthenticationsRequirePrincipal",
        message: "admits requests without a token",
    },
    {
        name: "a CUSTOM provider not declared in istiod's meshConfig",
        stack: "prod",
        mutate: (f) => {
            f.kind("AuthorizationPolicy", "ext-authz-auth-blacklist").props.spec.provider.name = "auth-blacklist-v2";
        },
        rule: "customAuthzProvidersAreDeclared",
        message: 'names CUSTOM provider "auth-blacklist-v2", which istiod\'s meshConfig.extensionProviders does not declare',
    },
    {
        name: "two CUSTOM providers on the gateway on Istio 1.24",
        stack: "prod",
        mutate: (f) => {
            f.release("istiod").props.values.meshConfig.extensionProviders.push({ name: "audit", envoyExtAuthzGrpc: { service: "auth-api.auth.svc.cluster.local", port: 9001 } });
            f.add(
                copyOf(f.kind("AuthorizationPolicy", "ext-authz-auth-blacklist"), "ext-authz-audit", (p) => {
                    p.metadata.name = "ext-authz-audit";
                    p.spec.provider.name = "audit";
                }),
            );
        },
        rule: "oneCustomAuthzProviderPerWorkload",
        message: "have 2 CUSTOM providers (audit, auth-blacklist); Istio 1.24.1 allows one",
    },
    {
        name: "Helm releases on different Istio versions",
        stack: "dev",
        mutate: (f) => {
            f.release("gateway").props.version = "1.25.0";
        },
        rule: "istioReleasesShareOneVersion",
        message: "different versions (base 1.24.1, istiod 1.24.1, gateway 1.25.0)",
    },
    {
        name: "an unpinned istiod chart",
        stack: "prod",
        mutate: (f) => {
            delete f.release("istiod").props.version;
        },
        rule: "istioReleasesShareOneVersion",
        message: "pins no chart version",
    },
    {
        name: "a target group port that is not the gateway NodePort",
        stack: "dev",
        mutate: (f) => {
            f.one(TARGET_GROUP).props.port = 30080;
        },
        rule: "loadBalancerTargetsGatewayNodePorts",
        message: "targets port 30080, which is not a gateway traffic NodePort (31080, 31443)",
    },
    {
        name: "a health check on the traffic port",
        stack: "prod",
        mutate: (f) => {
            f.one(TARGET_GROUP).props.healthCheck.port = "traffic-port";
        },
        rule: "loadBalancerTargetsGatewayNodePorts",
        message: "health-checks port traffic-port; check the status port's NodePort 31021",
    },
    {
        name: "a health check on / instead of /healthz/ready",
        stack: "dev",
        mutate: (f) => {
            f.one(TARGET_GROUP).props.healthCheck.path = "/";
        },
        rule: "loadBalancerTargetsGatewayNodePorts",
        message: "health-checks path /; use /healthz/ready",
    },
    {
        name: "a target group port unknown at preview",
        stack: "dev",
        mutate: (f) => {
            f.one(TARGET_GROUP).props.port = UNKNOWN;
        },
        rule: "loadBalancerTargetsGatewayNodePorts",
        message: "cannot be verified at preview: port is unknown",
    },
    {
        name: "the gateway selecting nodes the join does not label",
        stack: "dev",
        mutate: (f) => {
            f.release("gateway").props.values.nodeSelector = { role: "edge" };
        },
        rule: "gatewayPodsFitJoinedNodes",
        message: "nodeSelector role=edge is not among the labels the join gives the gateway nodes (role=ingress-gateway)",
    },
    {
        name: "the gateway not tolerating the join's taint",
        stack: "prod",
        mutate: (f) => {
            f.release("gateway").props.values.tolerations = [];
        },
        rule: "gatewayPodsFitJoinedNodes",
        message: "the join taints the gateway nodes role=ingress-gateway:NoSchedule",
    },
    // AWS
    {
        name: "a launch template with IMDSv1 allowed",
        stack: "dev",
        mutate: (f) => {
            f.one(LAUNCH_TEMPLATE).props.metadataOptions.httpTokens = "optional";
        },
        rule: "gatewayNodesRequireImdsV2",
        message: 'metadataOptions.httpTokens is "optional"',
    },
    {
        name: "an unencrypted root volume",
        stack: "prod",
        mutate: (f) => {
            f.one(LAUNCH_TEMPLATE).props.blockDeviceMappings[0].ebs.encrypted = "false";
        },
        rule: "gatewayRootVolumesAreEncrypted",
        message: "blockDeviceMappings[0].ebs.encrypted is not true",
    },
    { name: "gateway nodes with public IPs", stack: "prod", config: { "gatewayNodes.associatePublicIp": true }, rule: "gatewayNodesHaveNoPublicIp", message: "associatePublicIpAddress is true" },
    {
        name: "SSH open to 0.0.0.0/0",
        stack: "dev",
        mutate: (f) => {
            f.one(SG_INGRESS, (r) => r.props.fromPort === 22).props.cidrIpv4 = "0.0.0.0/0";
        },
        rule: "noWorldOpenSshOrNodePorts",
        message: "admits 0.0.0.0/0 on tcp 22, which opens SSH (22) to the world",
    },
    {
        name: "a gateway NodePort open to ::/0",
        stack: "prod",
        mutate: (f) => {
            const r = f.one(SG_INGRESS, (x) => x.props.fromPort === 31080);
            delete r.props.referencedSecurityGroupId;
            r.props.cidrIpv6 = "::/0";
        },
        rule: "noWorldOpenSshOrNodePorts",
        message: "opens the NodePort range 30000-32767 to the world",
    },
    {
        name: "prod load balancer without deletion protection",
        stack: "prod",
        config: { "loadBalancer.deletionProtection": false },
        rule: "loadBalancerIsProtectedInStrictEnvironments",
        message: "enableDeletionProtection is not true; environment prod requires deletion protection",
    },
    {
        name: "prod load balancer without access logs",
        stack: "prod",
        mutate: (f) => {
            delete f.one(LOAD_BALANCER).props.accessLogs;
        },
        rule: "loadBalancerIsProtectedInStrictEnvironments",
        message: "accessLogs are not enabled",
    },
    // Secrets
    {
        name: "the token command logging its output",
        stack: "dev",
        mutate: (f) => {
            f.all(COMMAND).filter(isJoinCommand)[0].props.logging = "stdoutAndStderr";
        },
        rule: "joinTokenCommandsDoNotLogOutput",
        message: 'logging is "stdoutAndStderr"; set logging: "none"',
    },
    {
        name: "kubeadm join with stdout stored in plain state",
        stack: "prod",
        mutate: (f) => {
            f.all(COMMAND).filter(isNodeJoin)[1].additionalSecretOutputs = ["stderr"];
        },
        rule: "joinTokenCommandsDoNotLogOutput",
        message: "stdout is not in additionalSecretOutputs",
    },
    {
        name: "a plain private key in a command's environment",
        stack: "dev",
        mutate: (f) => {
            f.all(COMMAND).filter(isLabel)[0].props.environment = { SSH_KEY: FAKE_SECRETS.sshPrivateKey };
        },
        rule: "noPlaintextKeyMaterialInInputs",
        message: "environment.SSH_KEY holds a private key (PEM) in plain text",
    },
    {
        name: "a kubeconfig in a namespace annotation",
        stack: "local",
        mutate: (f) => {
            f.one("kubernetes:core/v1:Namespace", (r) => r.props.metadata.name === "istio-system").props.metadata.annotations = { kubeconfig: FAKE_SECRETS.kubeconfig };
        },
        rule: "noPlaintextKeyMaterialInInputs",
        message: "metadata.annotations.kubeconfig holds a kubeconfig in plain text",
    },
];

const recordings = new Map<string, FakeResource[]>();

/** A fresh copy of a recorded stack; recordings are shared between cases with the same config. */
async function recorded(stack: Stack, config: Record<string, unknown> = {}): Promise<FakeResource[]> {
    const key = `${stack} ${JSON.stringify(config)}`;
    if (!recordings.has(key)) recordings.set(key, fromRecording((await recordStack(stack, config)).resources));
    return JSON.parse(JSON.stringify(recordings.get(key)));
}

describe("policy pack: catalogue of broken stacks", () => {
    it(`has at least 25 cases covering every rule family (${CASES.length})`, () => {
        expect(CASES.length).to.be.at.least(25);
    });

    for (const c of CASES) {
        it(`${c.stack}: ${c.name} → ${c.rule} only`, async () => {
            const fixture = new Fixture(await recorded(c.stack, c.config));
            c.mutate?.(fixture);
            const result = await runPack(policies, fixture.resources, packConfig(c.stack));
            expect([...result.violations.keys()], JSON.stringify(Object.fromEntries(result.violations), null, 1)).to.deep.equal([c.rule]);
            expect(result.violations.get(c.rule)!.join("\n")).to.include(c.message);
            expect(Object.fromEntries(result.skipped)).to.deep.equal({});
        });
    }

    it("every rule of the pack is broken by at least one case", () => {
        const covered = new Set(CASES.map((c) => c.rule));
        expect(policies.map((p) => p.name).filter((n) => !covered.has(n))).to.deep.equal([]);
    });
});
