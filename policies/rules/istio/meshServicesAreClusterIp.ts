import type { StackValidationPolicy } from "@pulumi/policy";
import { gatewaySelectorSchema, DEFAULT_GATEWAY_SELECTOR } from "../lib/config";
import { describe, isService, metadataOf } from "../lib/kinds";
import { gatewayNamespaces, injectedNamespaces, sameLabels } from "../lib/mesh";
import { asArray, asRecord, guard, need } from "../lib/values";

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
    description: "Services in mesh (injection-labelled) namespaces are ClusterIP (or ExternalName) without externalIPs; only the ingress gateway's Service may be NodePort or LoadBalancer.",
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
            guard(
                (m) => report(m, r.urn),
                () => {
                    // An unknown namespace must not read as "default" and slip past.
                    need(r.props, "metadata.namespace");
                    const { namespace } = metadataOf(r.props);
                    if (!mesh.has(namespace) || gatewayNs.has(namespace)) return;
                    // Exactly the gateway's selector: a superset would let an app Service claim the exemption.
                    if (sameLabels(asRecord(need(r.props, "spec.selector")), gatewaySelector)) return;
                    const type = need(r.props, "spec.type") ?? "ClusterIP";
                    // ExternalName is a DNS alias, no port on any node: not a door into the mesh.
                    if (type !== "ClusterIP" && type !== "ExternalName") {
                        report(`${describe(r)} is ${type}; Services in mesh namespace ${namespace} must be ClusterIP (traffic enters through the ingress gateway only)`, r.urn);
                    }
                    const external = asArray(need(r.props, "spec.externalIPs"));
                    if (external.length > 0) {
                        report(`${describe(r)} has externalIPs ${external.map(String).join(", ")}; kube-proxy serves them on every node, past the ingress gateway: remove them`, r.urn);
                    }
                },
                describe(r),
            );
        }
    },
};
