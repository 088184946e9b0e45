import type { StackValidationPolicy } from "@pulumi/policy";
import { gatewaySelectorSchema, DEFAULT_GATEWAY_SELECTOR } from "../lib/config";
import { describe, isService, metadataOf } from "../lib/kinds";
import { gatewayNamespaces, injectedNamespaces } from "../lib/mesh";
import { asRecord, guard, need } from "../lib/values";

interface Config {
    readonly meshNamespaces?: string[];
    readonly gatewaySelector?: Record<string, string>;
}

/**
 * Traffic enters the mesh through the ingress gateway only: a NodePort or LoadBalancer Service
 * in a mesh namespace is a second door that skips the gateway's JWT and authorization checks.
 */
export const meshServicesAreClusterIp: StackValidationPolicy = {
    name: "meshServicesAreClusterIp",
    description: "Services in mesh (injection-labelled) namespaces are ClusterIP; only the ingress gateway's Service may be NodePort or LoadBalancer.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            meshNamespaces: { type: "array", items: { type: "string" }, default: [], description: "Mesh namespaces the stack does not label itself." },
            ...gatewaySelectorSchema,
        },
    },
    validateStack: (args, report) => {
        const cfg = args.getConfig<Config>();
        const gatewaySelector = cfg.gatewaySelector ?? DEFAULT_GATEWAY_SELECTOR;
        let mesh = new Set<string>();
        guard(
            report,
            () => {
                mesh = new Set([...injectedNamespaces(args.resources), ...(cfg.meshNamespaces ?? [])]);
            },
            "mesh namespaces",
        );
        const gatewayNs = gatewayNamespaces(args.resources);
        for (const r of args.resources.filter((x) => isService(x.type))) {
            const { namespace } = metadataOf(r.props);
            if (!mesh.has(namespace) || gatewayNs.has(namespace)) continue;
            guard(
                (m) => report(m, r.urn),
                () => {
                    const selector = asRecord(need(r.props, "spec.selector"));
                    const isGateway = Object.keys(gatewaySelector).length > 0 && Object.entries(gatewaySelector).every(([k, v]) => selector[k] === v);
                    if (isGateway) return;
                    const type = need(r.props, "spec.type") ?? "ClusterIP";
                    if (type !== "ClusterIP") {
                        report(`${describe(r)} is ${type}; Services in mesh namespace ${namespace} must be ClusterIP (traffic enters through the ingress gateway only)`, r.urn);
                    }
                },
                describe(r),
            );
        }
    },
};
