import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isVirtualService } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

/**
 * A wildcard host on the public gateway routes every Host header a client sends, including
 * names the certificate and the authorization policies never anticipated.
 */
export const publicGatewayRoutesHaveNoWildcardHosts: ResourceValidationPolicy = {
    name: "publicGatewayRoutesHaveNoWildcardHosts",
    description: "No VirtualService bound to a gateway (other than the internal `mesh`) claims a wildcard host.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isVirtualService(args.type)) return;
        guard(report, () => {
            const gateways = asArray<string>(need(args.props, "spec.gateways"));
            const publicGateways = gateways.filter((g) => g !== "mesh");
            if (publicGateways.length === 0) return;
            asArray<string>(need(args.props, "spec.hosts")).forEach((host, i) => {
                need(args.props, `spec.hosts[${i}]`);
                if (typeof host === "string" && host.includes("*")) {
                    report(`spec.hosts[${i}] is the wildcard "${host}" on gateway ${publicGateways.join(", ")}; name the public hosts explicitly`);
                }
            });
        });
    },
};
