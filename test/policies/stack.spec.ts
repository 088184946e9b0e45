import {
    customAuthzProvidersAreDeclared,
    gatewayPodsFitJoinedNodes,
    istioReleasesShareOneVersion,
    loadBalancerTargetsGatewayNodePorts,
    oneCustomAuthzProviderPerWorkload,
    requestAuthenticationsRequirePrincipal,
    virtualServiceReferencesResolve,
    virtualServiceRoutesDoNotConflict,
} from "../../policies/rules";
import { parseJoinPlacement } from "../../policies/rules/stack/gatewayPodsFitJoinedNodes";
import { asRoot, labelScript, nodeJoinScript } from "../../infra/joinScripts";
import { expect } from "chai";
import { FakeResource, UNKNOWN } from "./harness";
import { cr, named, release, set, stackRuleCases } from "./fixtures";

const GATEWAY_VALUES = {
    service: {
        type: "NodePort",
        ports: [
            { name: "status-port", port: 15021, targetPort: 15021, nodePort: 31021 },
            { name: "http2", port: 80, targetPort: 80, nodePort: 31080 },
            { name: "https", port: 443, targetPort: 443, nodePort: 31443 },
        ],
    },
    nodeSelector: { role: "ingress-gateway" },
    tolerations: [{ key: "role", operator: "Equal", value: "ingress-gateway", effect: "NoSchedule" }],
};
const TAINT = { key: "role", value: "ingress-gateway", effect: "NoSchedule" };

function vs(ns: string, name: string, prefix: string, host = `${name}-api.${ns}.svc.cluster.local`): FakeResource {
    return cr("networking.istio.io/v1", "VirtualService", ns, name, {
        hosts: ["api.growbin.app"],
        gateways: ["istio-ingress/eco2-gateway"],
        http: [
            { name: `${name}-canary`, match: [{ uri: { prefix }, headers: { "x-canary": { exact: "true" } } }], route: [{ destination: { host, subset: "canary" } }] },
            { name, match: [{ uri: { prefix } }], route: [{ destination: { host } }] },
        ],
    });
}
const service = (ns: string, name: string): FakeResource => ({
    type: "kubernetes:core/v1:Service",
    name: `svc-${ns}-${name}`,
    props: { metadata: { name, namespace: ns }, spec: { type: "ClusterIP" } },
});
const selector = Object.freeze({ matchLabels: Object.freeze({ istio: "ingressgateway" }) });

function stack(): FakeResource[] {
    return [
        release("base", "istio-system", "1.24.1", {}),
        release("istiod", "istio-system", "1.24.1", {
            meshConfig: { extensionProviders: [{ name: "auth-blacklist", envoyExtAuthzGrpc: { service: "auth-api.auth.svc.cluster.local", port: 9000 } }] },
        }),
        release("gateway", "istio-ingress", "1.24.1", GATEWAY_VALUES, "istio-ingressgateway"),
        cr("networking.istio.io/v1", "Gateway", "istio-ingress", "eco2-gateway", { selector: { istio: "ingressgateway" }, servers: [] }),
        service("scan", "scan-api"),
        service("chat", "chat-api"),
        vs("scan", "scan", "/api/v1/scan"),
        vs("chat", "chat", "/api/v1/chat"),
        cr("security.istio.io/v1", "RequestAuthentication", "istio-ingress", "gateway-jwt", { selector, jwtRules: [{ issuer: "https://x", jwksUri: "https://x/jwks" }] }),
        cr("security.istio.io/v1", "AuthorizationPolicy", "istio-ingress", "require-jwt", {
            selector,
            action: "DENY",
            rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation: { paths: ["/api/v1/*"] } }] }],
        }),
        cr("security.istio.io/v1", "AuthorizationPolicy", "istio-ingress", "ext-authz-auth-blacklist", {
            selector,
            action: "CUSTOM",
            provider: { name: "auth-blacklist" },
            rules: [{ to: [{ operation: { paths: ["/api/v1/scan/*"] } }] }],
        }),
        {
            type: "aws:lb/targetGroup:TargetGroup",
            name: "tg-http",
            props: { targetType: "instance", port: 31080, protocol: "TCP", healthCheck: { enabled: true, protocol: "HTTP", port: "31021", path: "/healthz/ready" } },
        },
        { type: "aws:lb/targetGroupAttachment:TargetGroupAttachment", name: "tg-http-node-0", props: { targetGroupArn: "arn", targetId: "i-1", port: 31080 } },
        {
            type: "command:remote:Command",
            name: "join-0",
            props: { create: asRoot(nodeJoinScript({ nodeName: "eco2-dev-gateway-0-abc", kubernetesVersion: "1.31.4", taint: TAINT, replaceHint: "urn" })), logging: "none" },
            additionalSecretOutputs: ["stdout", "stderr"],
        },
        { type: "command:remote:Command", name: "label-0", props: { create: asRoot(labelScript({ nodeName: "eco2-dev-gateway-0-abc", labels: { role: "ingress-gateway" }, taint: TAINT })) } },
    ];
}
const gw = (rs: FakeResource[]) => rs.find((r) => r.name === "release-gateway")!;
const tg = (rs: FakeResource[]) => rs.find((r) => r.name === "tg-http")!;

describe("policies: stack (cross-resource) family", () => {
    stackRuleCases(virtualServiceReferencesResolve, stack(), [
        [
            "a bare gateway name from another namespace",
            (rs) => set(named(rs, "scan").props, "spec.gateways", ["eco2-gateway"]),
            [
                'VirtualService scan/scan names gateway "eco2-gateway", which resolves to scan/eco2-gateway; no such Gateway in this stack (a bare name is looked up in the VirtualService\'s own namespace, istio/istio#18225: write <namespace>/<name>)',
            ],
        ],
        [
            "a gateway that does not exist",
            (rs) => set(named(rs, "scan").props, "spec.gateways", ["istio-ingress/other"]),
            ['VirtualService scan/scan names gateway "istio-ingress/other", which resolves to istio-ingress/other; no such Gateway in this stack'],
        ],
        [
            "a destination Service that does not exist",
            (rs) => set(named(rs, "chat").props, "spec.http[1].route[0].destination.host", "chat-apl.chat.svc.cluster.local"),
            [
                'VirtualService chat/chat spec.http[1].route[0].destination.host "chat-apl.chat.svc.cluster.local" resolves to Service chat/chat-apl, which this stack does not declare (add the Service, a ServiceEntry, or list the host in externalHosts)',
            ],
        ],
        [
            "a bare destination name resolves in the VirtualService's namespace",
            (rs) => {
                set(named(rs, "chat").props, "spec.http[0].route[0].destination.host", "chat-api");
                set(named(rs, "chat").props, "spec.http[1].route[0].destination.host", "chat-api");
            },
            [],
        ],
        [
            "an external host without an allowance",
            (rs) => set(named(rs, "chat").props, "spec.http[1].route[0].destination.host", "api.example.com"),
            [
                'VirtualService chat/chat spec.http[1].route[0].destination.host "api.example.com" resolves to no cluster Service, which this stack does not declare (add the Service, a ServiceEntry, or list the host in externalHosts)',
            ],
        ],
        ["gateways unknown at preview", (rs) => set(named(rs, "scan").props, "spec.gateways", UNKNOWN), ["VirtualService scan/scan: cannot be verified at preview: spec.gateways is unknown"]],
        [
            "a ServiceEntry whose hosts are unknown at preview is reported, and the rule still decides the rest",
            (rs) => {
                rs.push(cr("networking.istio.io/v1", "ServiceEntry", "chat", "db", { hosts: UNKNOWN, ports: [{ number: 5432, name: "pg", protocol: "TCP" }] }));
                set(named(rs, "chat").props, "spec.http[1].route[0].destination.host", "chat-apl.chat.svc.cluster.local");
            },
            [
                "ServiceEntry chat/db: cannot be verified at preview: spec.hosts is unknown",
                'VirtualService chat/chat spec.http[1].route[0].destination.host "chat-apl.chat.svc.cluster.local" resolves to Service chat/chat-apl, which this stack does not declare (add the Service, a ServiceEntry, or list the host in externalHosts)',
            ],
        ],
    ]);
    describe("virtualServiceReferencesResolve (externalHosts allowance)", () => {
        stackRuleCases(
            virtualServiceReferencesResolve,
            (() => {
                const rs = stack();
                set(named(rs, "chat").props, "spec.http[1].route[0].destination.host", "api.example.com");
                return rs;
            })(),
            [],
            { virtualServiceReferencesResolve: { externalHosts: ["*.example.com"] } },
        );
    });

    stackRuleCases(virtualServiceRoutesDoNotConflict, stack(), [
        [
            "the same prefix in two VirtualServices",
            (rs) => set(named(rs, "chat").props, "spec.http[1].match[0].uri.prefix", "/api/v1/scan"),
            [
                "VirtualService chat/chat and VirtualService scan/scan both route host api.growbin.app path prefix /api/v1/scan on gateway istio-ingress/eco2-gateway (IST0109); give each path one VirtualService",
            ],
        ],
        [
            "a trailing slash is the same prefix",
            (rs) => set(named(rs, "chat").props, "spec.http[1].match[0].uri.prefix", "/api/v1/scan/"),
            [
                "VirtualService chat/chat and VirtualService scan/scan both route host api.growbin.app path prefix /api/v1/scan on gateway istio-ingress/eco2-gateway (IST0109); give each path one VirtualService",
            ],
        ],
        ["header-matched routes on the same prefix are narrower, not a conflict", (rs) => set(named(rs, "chat").props, "spec.http[0].match[0].uri.prefix", "/api/v1/scan"), []],
        [
            "two catch-all routes",
            (rs) => {
                set(named(rs, "chat").props, "spec.http[1].match", undefined);
                set(named(rs, "scan").props, "spec.http[1].match", undefined);
            },
            ["VirtualService chat/chat and VirtualService scan/scan both route host api.growbin.app path prefix / on gateway istio-ingress/eco2-gateway (IST0109); give each path one VirtualService"],
        ],
        [
            "a prefix that contains another VirtualService's prefix",
            (rs) => set(named(rs, "chat").props, "spec.http[1].match[0].uri.prefix", "/api/v1/"),
            [
                "VirtualService chat/chat routes host api.growbin.app path prefix /api/v1/ on gateway istio-ingress/eco2-gateway, which also matches VirtualService scan/scan's prefix /api/v1/scan (IST0109): the merge order decides which one serves these paths; give the VirtualServices disjoint prefixes",
            ],
        ],
        [
            "an exact path inside another VirtualService's prefix",
            (rs) => set(named(rs, "chat").props, "spec.http[1].match[0].uri", { exact: "/api/v1/scan/health" }),
            [
                "VirtualService scan/scan routes host api.growbin.app path prefix /api/v1/scan on gateway istio-ingress/eco2-gateway, which also matches VirtualService chat/chat's exact /api/v1/scan/health (IST0109): the merge order decides which one serves these paths; give the VirtualServices disjoint prefixes",
            ],
        ],
        [
            "a prefix without a trailing slash matches longer names too (/api/v1/scan over /api/v1/scanner/)",
            (rs) => set(named(rs, "chat").props, "spec.http[1].match[0].uri.prefix", "/api/v1/scanner/"),
            [
                "VirtualService scan/scan routes host api.growbin.app path prefix /api/v1/scan on gateway istio-ingress/eco2-gateway, which also matches VirtualService chat/chat's prefix /api/v1/scanner/ (IST0109): the merge order decides which one serves these paths; give the VirtualServices disjoint prefixes",
            ],
        ],
        [
            "the same prefix on another host",
            (rs) => {
                set(named(rs, "chat").props, "spec.http[1].match[0].uri.prefix", "/api/v1/scan");
                set(named(rs, "chat").props, "spec.hosts", ["admin.growbin.app"]);
            },
            [],
        ],
    ]);

    stackRuleCases(requestAuthenticationsRequirePrincipal, stack(), [
        [
            "no principal policy",
            (rs) => rs.splice(rs.indexOf(named(rs, "require-jwt")), 1),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "DENY without notRequestPrincipals",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].from[0].source", { notNamespaces: ["x"] }),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "a policy for other workloads",
            (rs) => set(named(rs, "require-jwt").props, "spec.selector.matchLabels", { app: "other" }),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "ALLOW with requestPrincipals pairs too",
            (rs) => set(named(rs, "require-jwt").props, "spec", { selector, action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: ["https://x/*"] } }] }] }),
            [],
        ],
        [
            "a mesh-wide policy in the root namespace pairs too",
            (rs) => {
                set(named(rs, "require-jwt").props, "metadata.namespace", "istio-system");
                set(named(rs, "require-jwt").props, "spec.selector", undefined);
            },
            [],
        ],
        // Requirements that look like one but require nothing (adversarial review):
        [
            "DENY whose source also names one IP (fields of a source are ANDed)",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].from[0].source.ipBlocks", ["192.0.2.1/32"]),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "DENY with a `when` condition",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].when", [{ key: "request.headers[x-deny]", values: ["1"] }]),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "DENY limited to some methods",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].to", [{ operation: { methods: ["DELETE"] } }]),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "DENY whose notMethods exempts more than the CORS preflight",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].to", [{ operation: { notMethods: ["OPTIONS", "GET"] } }]),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "DENY narrowed by path and the preflight exception still pairs",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].to", [{ operation: { paths: ["/api/v1/*"], notPaths: ["/api/v1/auth/login"], notMethods: ["OPTIONS"] } }]),
            [],
        ],
        [
            "ALLOW with a second rule that needs no principal (rules are ORed)",
            (rs) =>
                set(named(rs, "require-jwt").props, "spec", {
                    selector,
                    action: "ALLOW",
                    rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }, { to: [{ operation: { methods: ["GET", "POST"] } }] }],
                }),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "ALLOW with a second source that needs no principal (sources are ORed)",
            (rs) => set(named(rs, "require-jwt").props, "spec", { selector, action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: ["*"] } }, { source: { ipBlocks: ["0.0.0.0/0"] } }] }] }),
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "a policy attached by targetRefs to another Gateway does not cover the workloads",
            (rs) => {
                set(named(rs, "require-jwt").props, "spec.selector", undefined);
                set(named(rs, "require-jwt").props, "spec.targetRefs", [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "other" }]);
            },
            [
                'RequestAuthentication istio-ingress/gateway-jwt (workloads istio=ingressgateway) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)',
            ],
        ],
        [
            "DENY with a stricter notRequestPrincipals list (one issuer) pairs",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].from[0].source.notRequestPrincipals", ["https://api.growbin.app/api/v1/auth/*"]),
            [],
        ],
        [
            "a policy on a subset of the labels (it selects these workloads and more) pairs",
            (rs) => {
                set(named(rs, "gateway-jwt").props, "spec.selector", { matchLabels: { istio: "ingressgateway", app: "gw" } });
            },
            [],
        ],
        [
            "a source unknown at preview is reported, not passed",
            (rs) => set(named(rs, "require-jwt").props, "spec.rules[0].from[0].source", UNKNOWN),
            ["RequestAuthentication istio-ingress/gateway-jwt: cannot be verified at preview: spec.rules[0].from[0].source is unknown"],
        ],
    ]);

    stackRuleCases(customAuthzProvidersAreDeclared, stack(), [
        [
            "an action unknown at preview is reported on that policy, not a failed preview",
            (rs) => set(named(rs, "require-jwt").props, "spec.action", UNKNOWN),
            ["AuthorizationPolicy istio-ingress/require-jwt: cannot be verified at preview: spec.action is unknown"],
        ],
        [
            "an undeclared provider",
            (rs) => set(named(rs, "ext-authz-auth-blacklist").props, "spec.provider.name", "opa"),
            [
                'AuthorizationPolicy istio-ingress/ext-authz-auth-blacklist names CUSTOM provider "opa", which istiod\'s meshConfig.extensionProviders does not declare (declared: auth-blacklist); its requests would be denied',
            ],
        ],
        [
            "no provider name",
            (rs) => set(named(rs, "ext-authz-auth-blacklist").props, "spec.provider", undefined),
            ["AuthorizationPolicy istio-ingress/ext-authz-auth-blacklist is CUSTOM but names no spec.provider.name"],
        ],
        [
            "no istiod release in the stack",
            (rs) => rs.splice(rs.indexOf(rs.find((r) => r.name === "release-istiod")!), 1),
            ['AuthorizationPolicy istio-ingress/ext-authz-auth-blacklist names CUSTOM provider "auth-blacklist", but no istiod Helm release in this stack declares meshConfig.extensionProviders'],
        ],
        [
            "meshConfig unknown at preview",
            (rs) => set(rs.find((r) => r.name === "release-istiod")!.props, "values.meshConfig", UNKNOWN),
            ["Helm release istiod: cannot be verified at preview: values.meshConfig is unknown"],
        ],
    ]);

    const twoProviders = (rs: FakeResource[]) => {
        rs.find((r) => r.name === "release-istiod")!.props.values.meshConfig.extensionProviders.push({ name: "audit" });
        rs.push(
            cr("security.istio.io/v1", "AuthorizationPolicy", "istio-ingress", "ext-authz-audit", {
                selector: { matchLabels: { ...selector.matchLabels } },
                action: "CUSTOM",
                provider: { name: "audit" },
                rules: [{ to: [{ operation: { paths: ["/api/v1/chat/*"] } }] }],
            }),
        );
    };
    stackRuleCases(oneCustomAuthzProviderPerWorkload, stack(), [
        [
            "two providers on the gateway on 1.24",
            twoProviders,
            ["workloads istio=ingressgateway in istio-ingress have 2 CUSTOM providers (audit, auth-blacklist); Istio 1.24.1 allows one per workload before 1.30 (istio/istio#57933)"],
        ],
        [
            "two providers on 1.30 are allowed",
            (rs) => {
                twoProviders(rs);
                for (const r of rs.filter((x) => x.type.includes("helm.sh"))) r.props.version = "1.30.0";
            },
            [],
        ],
        [
            "two providers on different workloads",
            (rs) => {
                twoProviders(rs);
                set(named(rs, "ext-authz-audit").props, "spec.selector.matchLabels", { app: "other" });
            },
            [],
        ],
        [
            "two providers with the version unknown at preview",
            (rs) => {
                twoProviders(rs);
                rs.find((r) => r.name === "release-istiod")!.props.version = UNKNOWN;
            },
            ["workloads istio=ingressgateway in istio-ingress have 2 CUSTOM providers (audit, auth-blacklist); Istio unknown at preview allows one per workload before 1.30 (istio/istio#57933)"],
        ],
    ]);

    stackRuleCases(istioReleasesShareOneVersion, stack(), [
        [
            "the gateway on another version",
            (rs) => set(gw(rs).props, "version", "1.25.0"),
            ["the Istio Helm releases use different versions (base 1.24.1, istiod 1.24.1, gateway 1.25.0); pin one version for all of them"],
        ],
        ["an unpinned release", (rs) => set(gw(rs).props, "version", undefined), ["Helm release istio-ingressgateway (chart gateway) pins no chart version; pin the one Istio version of the stack"]],
        [
            "a chart given as a local directory still counts",
            (rs) => {
                set(gw(rs).props, "chart", "/charts/1.24/gateway");
                set(gw(rs).props, "version", "1.25.0");
            },
            ["the Istio Helm releases use different versions (base 1.24.1, istiod 1.24.1, gateway 1.25.0); pin one version for all of them"],
        ],
        ["a version unknown at preview", (rs) => set(gw(rs).props, "version", UNKNOWN), ["Helm release istio-ingressgateway: cannot be verified at preview: version is unknown"]],
        [
            "ranges are not pins, even when all three agree",
            (rs) => {
                for (const r of rs.filter((x) => x.type.includes("helm.sh"))) r.props.version = "~1.24";
            },
            [
                'Helm release base (chart base) gives version "~1.24", a range or alias rather than one release; pin an exact version such as 1.24.1',
                'Helm release istiod (chart istiod) gives version "~1.24", a range or alias rather than one release; pin an exact version such as 1.24.1',
                'Helm release istio-ingressgateway (chart gateway) gives version "~1.24", a range or alias rather than one release; pin an exact version such as 1.24.1',
            ],
        ],
        ["a leading v is the same release (1.24.1 = v1.24.1)", (rs) => set(gw(rs).props, "version", "v1.24.1"), []],
        [
            "a packaged chart whose file is another version than declared",
            (rs) => set(rs.find((r) => r.name === "release-istiod")!.props, "chart", "./charts/istiod-1.25.0.tgz"),
            ["Helm release istiod installs the packaged chart of 1.25.0 (./charts/istiod-1.25.0.tgz) but declares version 1.24.1; a local chart installs what is on disk"],
        ],
        [
            "istiod rendered as a helm.sh/v4 Chart at another version counts too",
            (rs) => {
                const istiod = rs.find((r) => r.name === "release-istiod")!;
                istiod.type = "kubernetes:helm.sh/v4:Chart";
                istiod.props.version = "1.25.0";
            },
            ["the Istio Helm releases use different versions (base 1.24.1, istiod 1.25.0, gateway 1.24.1); pin one version for all of them"],
        ],
    ]);

    stackRuleCases(loadBalancerTargetsGatewayNodePorts, stack(), [
        ["a target group port that is not a NodePort", (rs) => set(tg(rs).props, "port", 80), ["TargetGroup tg-http targets port 80, which is not a gateway traffic NodePort (31080, 31443)"]],
        [
            "the gateway's NodePort moved",
            (rs) => set(gw(rs).props, "values.service.ports[1].nodePort", 32080),
            [
                "TargetGroup tg-http targets port 31080, which is not a gateway traffic NodePort (32080, 31443)",
                "TargetGroupAttachment tg-http-node-0 registers targets on port 31080, which is not a gateway traffic NodePort (32080, 31443)",
            ],
        ],
        [
            "a health check on the traffic port",
            (rs) => set(tg(rs).props, "healthCheck.port", "traffic-port"),
            ["TargetGroup tg-http health-checks port traffic-port; check the status port's NodePort 31021"],
        ],
        ["a health check on the wrong path", (rs) => set(tg(rs).props, "healthCheck.path", "/"), ["TargetGroup tg-http health-checks path /; use /healthz/ready"]],
        ["a TCP health check", (rs) => set(tg(rs).props, "healthCheck.protocol", "TCP"), ["TargetGroup tg-http health-checks with TCP; the status port answers HTTP"]],
        [
            "no status port nodePort pinned",
            (rs) => set(gw(rs).props, "values.service.ports[0].nodePort", undefined),
            ["the gateway Helm values pin no nodePort for the status port (15021); pin one so the load balancer can health-check it"],
        ],
        [
            "target groups without a gateway release",
            (rs) => rs.splice(rs.indexOf(gw(rs)), 1),
            ["the stack has load balancer target groups but no gateway Helm release, so their ports cannot be checked against the gateway Service's NodePorts"],
        ],
        ["a port unknown at preview", (rs) => set(tg(rs).props, "port", UNKNOWN), ["TargetGroup tg-http: cannot be verified at preview: port is unknown"]],
    ]);

    stackRuleCases(gatewayPodsFitJoinedNodes, stack(), [
        [
            "a nodeSelector the join does not label",
            (rs) => set(gw(rs).props, "values.nodeSelector", { role: "edge" }),
            ["the gateway's nodeSelector role=edge is not among the labels the join gives the gateway nodes (role=ingress-gateway); the gateway pods would stay Pending"],
        ],
        [
            "no toleration for the join's taint",
            (rs) => set(gw(rs).props, "values.tolerations", []),
            ["the join taints the gateway nodes role=ingress-gateway:NoSchedule, which the gateway's tolerations do not tolerate; the gateway pods would stay Pending"],
        ],
        ["an Exists toleration tolerates any value", (rs) => set(gw(rs).props, "values.tolerations", [{ key: "role", operator: "Exists" }]), []],
        [
            "a join command unknown at preview",
            (rs) => {
                for (const r of rs.filter((x) => x.type === "command:remote:Command")) r.props.create = UNKNOWN;
            },
            ["Command join-0: cannot be verified at preview: create is unknown", "Command label-0: cannot be verified at preview: create is unknown"],
        ],
        [
            "no join in the stack: nothing to compare",
            (rs) => {
                for (const r of rs.filter((x) => x.type === "command:remote:Command")) rs.splice(rs.indexOf(r), 1);
            },
            [],
        ],
    ]);

    it("parses the join's labels and taints from the scripts infra/ runs", () => {
        const p = parseJoinPlacement(asRoot(labelScript({ nodeName: "n", labels: { role: "ingress-gateway", "eco2.io/pool": "gw" }, taint: TAINT })));
        expect(p).to.deep.equal({ labels: { role: "ingress-gateway", "eco2.io/pool": "gw" }, taints: [TAINT] });
        const j = parseJoinPlacement(asRoot(nodeJoinScript({ nodeName: "n", kubernetesVersion: "1.31.4", taint: { key: "dedicated", value: "gw", effect: "NoExecute" }, replaceHint: "u" })));
        expect(j).to.deep.equal({ labels: undefined, taints: [{ key: "dedicated", value: "gw", effect: "NoExecute" }] });
    });
});
