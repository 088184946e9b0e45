import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isGateway, isVirtualService } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

/**
 * A wildcard host on the public gateway routes every Host header a client sends, including
 * names the certificate and the authorization policies never anticipated.
 */
export const publicGatewayRoutesHaveNoWildcardHosts: ResourceValidationPolicy = {
    name: "publicGatewayRoutesHaveNoWildcardHosts",
    description: "No VirtualService bound to a gateway (other than the internal `mesh`) claims a wildcard host, and no Gateway server accepts every host (`*`, `<ns>/*`).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (isGateway(args.type)) {
            // The Gateway itself: a server host "*" or "<ns>/*" accepts every Host header, whatever the routes say.
            guard(report, () => {
                asArray(need(args.props, "spec.servers")).forEach((_, i) => {
                    asArray(need(args.props, `spec.servers[${i}].hosts`)).forEach((_h, j) => {
                        const host = need(args.props, `spec.servers[${i}].hosts[${j}]`);
                        const name = typeof host === "string" ? host.slice(host.indexOf("/") + 1) : "";
                        if (name === "*") report(`spec.servers[${i}].hosts[${j}] is "${host}": the gateway accepts any Host header; name the public hosts explicitly`);
                    });
                });
            });
            return;
        }
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
