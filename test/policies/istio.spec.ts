import {
    authorizationPoliciesHaveNoAllowAllRule,
    envoyFiltersDoNotPinListenerPorts,
    envoyFiltersSelectIngressGatewayOnly,
    envoyFiltersUseCurrentFilterNames,
    meshNamespacesAreInjected,
    meshServicesAreClusterIp,
    meshWidePeerAuthenticationIsStrict,
    publicGatewayRoutesHaveNoWildcardHosts,
    requestAuthenticationsHaveTrustedJwks,
} from "../../policies/rules";
import { UNKNOWN } from "./harness";
import { cr, named, release, resourceRuleCases, set, stackRuleCases } from "./fixtures";
import type { FakeResource } from "./harness";

const VS = cr("networking.istio.io/v1", "VirtualService", "scan", "scan", {
    hosts: ["api.growbin.app"],
    gateways: ["istio-ingress/eco2-gateway"],
    http: [{ name: "scan", match: [{ uri: { prefix: "/api/v1/scan" } }], route: [{ destination: { host: "scan-api.scan.svc.cluster.local", port: { number: 8000 } } }] }],
});

const ENVOY_FILTER = cr("networking.istio.io/v1alpha3", "EnvoyFilter", "istio-ingress", "cookie-to-header", {
    workloadSelector: { labels: { istio: "ingressgateway" } },
    configPatches: [
        {
            applyTo: "HTTP_FILTER",
            match: { context: "GATEWAY", listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } } } },
            patch: {
                operation: "INSERT_FIRST",
                value: { name: "envoy.filters.http.lua", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua", inlineCode: "-- lua" } },
            },
        },
    ],
});

const AUTHZ = cr("security.istio.io/v1", "AuthorizationPolicy", "istio-ingress", "allow-health", {
    selector: { matchLabels: { istio: "ingressgateway" } },
    action: "ALLOW",
    rules: [{ to: [{ operation: { paths: ["/health"] } }] }],
});

const REQUEST_AUTHN = cr("security.istio.io/v1", "RequestAuthentication", "istio-ingress", "gateway-jwt", {
    selector: { matchLabels: { istio: "ingressgateway" } },
    jwtRules: [{ issuer: "https://api.growbin.app/api/v1/auth", jwksUri: "http://auth-api.auth.svc.cluster.local:8000/api/v1/auth/.well-known/jwks.json" }],
});

describe("policies: istio family", () => {
    resourceRuleCases(publicGatewayRoutesHaveNoWildcardHosts, VS, [
        ["host *", "spec.hosts[0]", "*", ['spec.hosts[0] is the wildcard "*" on gateway istio-ingress/eco2-gateway; name the public hosts explicitly']],
        ["host *.growbin.app", "spec.hosts[0]", "*.growbin.app", ['spec.hosts[0] is the wildcard "*.growbin.app" on gateway istio-ingress/eco2-gateway; name the public hosts explicitly']],
        ["a wildcard on the mesh gateway only is internal routing", "spec.gateways", ["mesh"], []],
        ["hosts unknown at preview", "spec.hosts", UNKNOWN, ["cannot be verified at preview: spec.hosts is unknown"]],
    ]);
    describe("publicGatewayRoutesHaveNoWildcardHosts (Gateway servers)", () => {
        const GATEWAY = cr("networking.istio.io/v1", "Gateway", "istio-ingress", "eco2-gateway", {
            selector: { istio: "ingressgateway" },
            servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["api.growbin.app"] }],
        });
        resourceRuleCases(publicGatewayRoutesHaveNoWildcardHosts, GATEWAY, [
            ["a server for every host", "spec.servers[0].hosts", ["*"], ['spec.servers[0].hosts[0] is "*": the gateway accepts any Host header; name the public hosts explicitly']],
            ["every host of every namespace", "spec.servers[0].hosts", ["*/*"], ['spec.servers[0].hosts[0] is "*/*": the gateway accepts any Host header; name the public hosts explicitly']],
            ["a named host behind a namespace is fine", "spec.servers[0].hosts", ["scan/api.growbin.app"], []],
            ["a host unknown at preview", "spec.servers[0].hosts", [UNKNOWN], ["cannot be verified at preview: spec.servers[0].hosts[0] is unknown"]],
        ]);
    });

    resourceRuleCases(envoyFiltersSelectIngressGatewayOnly, ENVOY_FILTER, [
        ["no workloadSelector", "spec.workloadSelector", undefined, ["has no workloadSelector, so it patches every proxy in its namespace; select the ingress gateway (istio=ingressgateway)"]],
        ["an application selector", "spec.workloadSelector.labels", { app: "scan-api" }, ["spec.workloadSelector.labels app=scan-api do not select the ingress gateway (istio=ingressgateway)"]],
        ["a sidecar context", "spec.configPatches[0].match.context", "SIDECAR_INBOUND", ["spec.configPatches[0].match.context is SIDECAR_INBOUND; only GATEWAY is allowed"]],
        ["selector unknown at preview", "spec.workloadSelector.labels", UNKNOWN, ["cannot be verified at preview: spec.workloadSelector.labels is unknown"]],
    ]);

    resourceRuleCases(envoyFiltersUseCurrentFilterNames, ENVOY_FILTER, [
        [
            "envoy.lua",
            "spec.configPatches[0].patch.value.name",
            "envoy.lua",
            ['spec.configPatches[0].patch.value.name is "envoy.lua", a filter name Istio no longer matches (silently a no-op since 1.19); use "envoy.filters.http.lua"'],
        ],
        [
            "envoy.http_connection_manager",
            "spec.configPatches[0].match.listener.filterChain.filter.name",
            "envoy.http_connection_manager",
            [
                'spec.configPatches[0].match.listener.filterChain.filter.name is "envoy.http_connection_manager", a filter name Istio no longer matches (silently a no-op since 1.19); use "envoy.filters.network.http_connection_manager"',
            ],
        ],
        [
            "envoy.router as subFilter",
            "spec.configPatches[0].match.listener.filterChain.filter.subFilter",
            { name: "envoy.router" },
            [
                'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name is "envoy.router", a filter name Istio no longer matches (silently a no-op since 1.19); use "envoy.filters.http.router"',
            ],
        ],
        ["a filter name unknown at preview", "spec.configPatches[0].patch.value.name", UNKNOWN, ["cannot be verified at preview: spec.configPatches[0].patch.value.name is unknown"]],
        [
            "a removed listener-filter name in listenerFilter",
            "spec.configPatches[0].match.listener.listenerFilter",
            "envoy.listener.tls_inspector",
            [
                'spec.configPatches[0].match.listener.listenerFilter is "envoy.listener.tls_inspector", a filter name Istio no longer matches (silently a no-op since 1.19); use "envoy.filters.listener.tls_inspector"',
            ],
        ],
        [
            "a v2 config type URL",
            "spec.configPatches[0].patch.value.typed_config.@type",
            "type.googleapis.com/envoy.config.filter.http.lua.v2.Lua",
            [
                'spec.configPatches[0].patch.value.typed_config.@type is "type.googleapis.com/envoy.config.filter.http.lua.v2.Lua", a v2 config type Envoy no longer loads; use the v3 type (type.googleapis.com/envoy.extensions.filters.…v3.…)',
            ],
        ],
        ["Lua code unknown at preview cannot hold a filter name: no finding", "spec.configPatches[0].patch.value.typed_config.inlineCode", UNKNOWN, []],
    ]);

    resourceRuleCases(envoyFiltersDoNotPinListenerPorts, ENVOY_FILTER, [
        [
            "portNumber 8080",
            "spec.configPatches[0].match.listener.portNumber",
            8080,
            ["spec.configPatches[0].match.listener.portNumber pins 8080; the gateway's listener ports depend on the chart (80/443 or 8080/8443), match the filter chain instead"],
        ],
        [
            "a filter chain's destinationPort",
            "spec.configPatches[0].match.listener.filterChain.destinationPort",
            8080,
            ["spec.configPatches[0].match.listener.filterChain.destinationPort pins 8080; the gateway's listener ports depend on the chart (80/443 or 8080/8443), match the filter chain instead"],
        ],
        [
            "a listener named by its port",
            "spec.configPatches[0].match.listener.name",
            "0.0.0.0_8080",
            [`spec.configPatches[0].match.listener.name pins "0.0.0.0_8080"; the gateway's listener ports depend on the chart (80/443 or 8080/8443), match the filter chain instead`],
        ],
        [
            "a route configuration by port",
            "spec.configPatches[0].match.routeConfiguration",
            { portNumber: 8080 },
            ["spec.configPatches[0].match.routeConfiguration.portNumber pins 8080; the gateway's listener ports depend on the chart (80/443 or 8080/8443), match the filter chain instead"],
        ],
        [
            "a route configuration named by its port",
            "spec.configPatches[0].match.routeConfiguration",
            { name: "http.8080" },
            [`spec.configPatches[0].match.routeConfiguration.name pins "http.8080"; the gateway's listener ports depend on the chart (80/443 or 8080/8443), match the filter chain instead`],
        ],
        ["a listener name without a port is fine", "spec.configPatches[0].match.listener.name", "virtualInbound", []],
        ["portNumber unknown at preview", "spec.configPatches[0].match.listener.portNumber", UNKNOWN, ["cannot be verified at preview: spec.configPatches[0].match.listener.portNumber is unknown"]],
    ]);

    resourceRuleCases(authorizationPoliciesHaveNoAllowAllRule, AUTHZ, [
        [
            "rules: [{}]",
            "spec.rules[0]",
            {},
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        [
            "an empty rule and no action (ALLOW by default)",
            "spec",
            { rules: [{ from: [] }] },
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        ["an empty DENY rule is deny-all, not allow-all", "spec.action", "DENY", []],
        [
            "from: null (pruned to an empty rule by the API server)",
            "spec.rules[0]",
            { from: null },
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        [
            "a catch-all path",
            "spec.rules[0]",
            { to: [{ operation: { paths: ["*"] } }] },
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        [
            "only an exclusion (notPaths)",
            "spec.rules[0]",
            { to: [{ operation: { notPaths: ["/nonexistent"] } }] },
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        [
            "the whole internet as the source",
            "spec.rules[0]",
            { from: [{ source: { ipBlocks: ["0.0.0.0/0"] } }] },
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        [
            "a condition that only excludes",
            "spec.rules[0]",
            { when: [{ key: "request.headers[x]", notValues: ["never"] }] },
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        [
            "a real source and a catch-all source (ORed)",
            "spec.rules[0]",
            { from: [{ source: { namespaces: ["scan"] } }, { source: { ipBlocks: ["0.0.0.0/0"] } }] },
            [
                "spec.rules[0] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows",
            ],
        ],
        ["a named namespace and path narrow the rule", "spec.rules[0]", { from: [{ source: { namespaces: ["scan"] } }], to: [{ operation: { paths: ["/api/v1/scan/*"] } }] }, []],
        ["a source unknown at preview", "spec.rules[0].from", UNKNOWN, ["cannot be verified at preview: spec.rules[0].from is unknown"]],
        ["an element unknown at preview", "spec.rules[0].to", [UNKNOWN], ["cannot be verified at preview: spec.rules[0].to[0] is unknown"]],
        ["action unknown at preview", "spec.action", UNKNOWN, ["cannot be verified at preview: spec.action is unknown"]],
    ]);

    resourceRuleCases(requestAuthenticationsHaveTrustedJwks, REQUEST_AUTHN, [
        ["no issuer", "spec.jwtRules[0].issuer", undefined, ["spec.jwtRules[0].issuer is not set"]],
        ["an upper-case HTTPS scheme is https", "spec.jwtRules[0].jwksUri", "HTTPS://auth.example.com/jwks.json", []],
        ["the short cluster-local form <svc>.<ns>.svc", "spec.jwtRules[0].jwksUri", "http://auth-api.auth.svc:8000/jwks.json", []],
        [
            "an external plain-http JWKS",
            "spec.jwtRules[0].jwksUri",
            "http://auth.example.com/jwks.json",
            ['spec.jwtRules[0].jwksUri "http://auth.example.com/jwks.json" must be https:// or a cluster-local http://<service>.<namespace>.svc.cluster.local URL'],
        ],
        ["an https JWKS", "spec.jwtRules[0].jwksUri", "https://auth.example.com/jwks.json", []],
        ["no jwksUri and no jwks", "spec.jwtRules[0].jwksUri", undefined, ["spec.jwtRules[0] has neither jwksUri nor jwks; set the issuer's JWKS URL"]],
        ["jwksUri unknown at preview", "spec.jwtRules[0].jwksUri", UNKNOWN, ["cannot be verified at preview: spec.jwtRules[0].jwksUri is unknown"]],
    ]);

    const meshStack = (): FakeResource[] => [
        release("istiod", "istio-system", "1.24.1", {}),
        release("gateway", "istio-ingress", "1.24.1", {}, "istio-ingressgateway"),
        { type: "kubernetes:core/v1:Namespace", name: "ns-gw", props: { metadata: { name: "istio-ingress", labels: {} } } },
        { type: "kubernetes:core/v1:NamespacePatch", name: "ns-scan", props: { metadata: { name: "scan", labels: { "istio-injection": "enabled" } } } },
        { type: "kubernetes:core/v1:Service", name: "svc-scan", props: { metadata: { name: "scan-api", namespace: "scan" }, spec: { type: "ClusterIP", selector: { app: "scan-api" } } } },
        {
            type: "kubernetes:core/v1:Service",
            name: "svc-gw",
            props: { metadata: { name: "istio-ingressgateway", namespace: "istio-ingress" }, spec: { type: "NodePort", selector: { istio: "ingressgateway" } } },
        },
        VS,
        cr("security.istio.io/v1", "PeerAuthentication", "istio-system", "default", { mtls: { mode: "STRICT" } }),
    ];
    const svc = (rs: FakeResource[]) => rs.find((r) => r.name === "svc-scan")!;
    const nsScan = (rs: FakeResource[]) => rs.find((r) => r.name === "ns-scan")!;

    stackRuleCases(meshServicesAreClusterIp, meshStack(), [
        [
            "a NodePort Service in a mesh namespace",
            (rs) => set(svc(rs).props, "spec.type", "NodePort"),
            ["Service scan/scan-api is NodePort; Services in mesh namespace scan must be ClusterIP (traffic enters through the ingress gateway only)"],
        ],
        [
            "a LoadBalancer Service in a mesh namespace",
            (rs) => set(svc(rs).props, "spec.type", "LoadBalancer"),
            ["Service scan/scan-api is LoadBalancer; Services in mesh namespace scan must be ClusterIP (traffic enters through the ingress gateway only)"],
        ],
        [
            "a NodePort Service outside the mesh is not this rule's business",
            (rs) => {
                set(svc(rs).props, "spec.type", "NodePort");
                set(nsScan(rs).props, "metadata.labels", {});
            },
            [],
        ],
        [
            "the gateway's own NodePort Service in a mesh namespace is exempt",
            (rs) => {
                set(rs.find((r) => r.name === "svc-gw")!.props, "metadata.namespace", "scan");
            },
            [],
        ],
        ["type unknown at preview", (rs) => set(svc(rs).props, "spec.type", UNKNOWN), ["Service scan/scan-api: cannot be verified at preview: spec.type is unknown"]],
        [
            "an app Service that adds the gateway's label to its selector gets no exemption",
            (rs) => {
                set(svc(rs).props, "spec.type", "NodePort");
                set(svc(rs).props, "spec.selector", { istio: "ingressgateway", app: "scan-api" });
            },
            ["Service scan/scan-api is NodePort; Services in mesh namespace scan must be ClusterIP (traffic enters through the ingress gateway only)"],
        ],
        [
            "a ClusterIP Service with externalIPs is a door too",
            (rs) => set(svc(rs).props, "spec.externalIPs", ["203.0.113.10"]),
            ["Service scan/scan-api has externalIPs 203.0.113.10; kube-proxy serves them on every node, past the ingress gateway: remove them"],
        ],
        ["an ExternalName Service (a DNS alias) is not a door", (rs) => set(svc(rs).props, "spec", { type: "ExternalName", externalName: "db.example.com" }), []],
        [
            "a namespace unknown at preview is reported, not read as default",
            (rs) => set(svc(rs).props, "metadata.namespace", UNKNOWN),
            ["Service default/scan-api: cannot be verified at preview: metadata.namespace is unknown"],
        ],
    ]);

    stackRuleCases(meshNamespacesAreInjected, meshStack(), [
        [
            "a routed namespace labelled disabled",
            (rs) => set(nsScan(rs).props, "metadata.labels", { "istio-injection": "disabled" }),
            ["NamespacePatch scan is labelled istio-injection=disabled; remove the label instead (rollback drops it and restarts the workloads)"],
        ],
        [
            "the gateway namespace labelled disabled",
            (rs) => set(rs.find((r) => r.name === "ns-gw")!.props, "metadata.labels", { "istio-injection": "disabled" }),
            [
                'Namespace istio-ingress is the ingress gateway\'s namespace and is labelled istio-injection=disabled; the gateway pods would pull the image "auto" (istio/istio#54841): remove the label',
            ],
        ],
        [
            "a routed namespace without the label",
            (rs) => set(nsScan(rs).props, "metadata.labels", {}),
            ["NamespacePatch scan holds routed mesh Services but carries no istio-injection=enabled (or istio.io/rev) label (IST0102)"],
        ],
        ["a revision label counts as injected", (rs) => set(nsScan(rs).props, "metadata.labels", { "istio.io/rev": "1-24-1" }), []],
        [
            "a routed namespace the stack does not label",
            (rs) => rs.splice(rs.indexOf(nsScan(rs)), 1),
            ["namespace scan holds routed mesh Services but the stack does not label it for sidecar injection (IST0102): add it to mesh.namespaces"],
        ],
        [
            "a namespace being rolled back (workloads restarted without sidecars) is exempt",
            (rs) => {
                set(nsScan(rs).props, "metadata.labels", {});
                rs.push({
                    type: "kubernetes:apps/v1:DeploymentPatch",
                    name: "restart",
                    props: { metadata: { name: "scan-api", namespace: "scan" }, spec: { template: { metadata: { annotations: { "eco2-mesh/sidecar-injection": "disabled" } } } } },
                });
            },
            [],
        ],
        [
            "a namespace rolled back without workloads to restart is exempt by its own annotation (rollback step 2)",
            (rs) => {
                set(nsScan(rs).props, "metadata.labels", {});
                set(nsScan(rs).props, "metadata.annotations", { "eco2-mesh/sidecar-injection": "disabled" });
            },
            [],
        ],
        [
            "…but an annotation that says enabled is no excuse for a missing label",
            (rs) => {
                set(nsScan(rs).props, "metadata.labels", {});
                set(nsScan(rs).props, "metadata.annotations", { "eco2-mesh/sidecar-injection": "enabled" });
            },
            ["NamespacePatch scan holds routed mesh Services but carries no istio-injection=enabled (or istio.io/rev) label (IST0102)"],
        ],
        ["labels unknown at preview", (rs) => set(nsScan(rs).props, "metadata.labels", UNKNOWN), ["NamespacePatch scan: cannot be verified at preview: metadata.labels is unknown"]],
    ]);

    const strict = { meshWidePeerAuthenticationIsStrict: { environment: "prod" } };
    const dev = { meshWidePeerAuthenticationIsStrict: { environment: "dev" } };
    const pa = (rs: FakeResource[]) => named(rs, "default");
    stackRuleCases(
        meshWidePeerAuthenticationIsStrict,
        meshStack(),
        [
            [
                "PERMISSIVE in prod",
                (rs) => set(pa(rs).props, "spec.mtls.mode", "PERMISSIVE"),
                ["PeerAuthentication istio-system/default (mesh-wide) has mTLS mode PERMISSIVE; environment prod requires STRICT"],
            ],
            ["no mode in prod", (rs) => set(pa(rs).props, "spec", {}), ["PeerAuthentication istio-system/default (mesh-wide) has mTLS mode UNSET; environment prod requires STRICT"]],
            [
                "a port relaxed to DISABLE in prod",
                (rs) => set(pa(rs).props, "spec.portLevelMtls", { "8080": { mode: "DISABLE" } }),
                ["PeerAuthentication istio-system/default relaxes port 8080 to DISABLE; environment prod requires STRICT"],
            ],
            [
                "missing",
                (rs) => rs.splice(rs.indexOf(pa(rs)), 1),
                ["no mesh-wide PeerAuthentication (namespace istio-system, no selector): declare the mesh's mTLS mode (PERMISSIVE while migrating, STRICT as the goal)"],
            ],
            [
                "only in another namespace",
                (rs) => set(pa(rs).props, "metadata.namespace", "scan"),
                ["no mesh-wide PeerAuthentication (namespace istio-system, no selector): declare the mesh's mTLS mode (PERMISSIVE while migrating, STRICT as the goal)"],
            ],
            ["mode unknown at preview", (rs) => set(pa(rs).props, "spec.mtls.mode", UNKNOWN), ["PeerAuthentication istio-system/default: cannot be verified at preview: spec.mtls.mode is unknown"]],
        ],
        strict,
    );

    describe("meshWidePeerAuthenticationIsStrict (environment config)", () => {
        stackRuleCases(
            meshWidePeerAuthenticationIsStrict,
            meshStack().map((r) => (r.props.kind === "PeerAuthentication" ? { ...r, props: { ...r.props, spec: { mtls: { mode: "PERMISSIVE" } } } } : r)),
            [
                [
                    "dev still needs the mesh-wide resource",
                    (rs) =>
                        rs.splice(
                            rs.findIndex((r) => r.props.kind === "PeerAuthentication"),
                            1,
                        ),
                    ["no mesh-wide PeerAuthentication (namespace istio-system, no selector): declare the mesh's mTLS mode (PERMISSIVE while migrating, STRICT as the goal)"],
                ],
            ],
            dev,
        );
    });
});
