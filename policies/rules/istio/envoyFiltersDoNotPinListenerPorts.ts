import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isEnvoyFilter } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

/**
 * The gateway chart listens on 80/443, older profiles on 8080/8443 (istio/istio#55326,
 * istio.io#13169): a patch pinned to a listener port stops matching when the chart changes.
 */
export const envoyFiltersDoNotPinListenerPorts: ResourceValidationPolicy = {
    name: "envoyFiltersDoNotPinListenerPorts",
    description:
        "EnvoyFilter patches match listeners by filter chain, never by a pinned port: no listener portNumber, filter-chain destinationPort, route-configuration portNumber, or port-bearing listener/route name.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isEnvoyFilter(args.type)) return;
        guard(report, () => {
            asArray(need(args.props, "spec.configPatches")).forEach((_, i) => {
                const at = `spec.configPatches[${i}].match`;
                const pin = (field: string, value: unknown) =>
                    report(`${at}.${field} pins ${JSON.stringify(value)}; the gateway's listener ports depend on the chart (80/443 or 8080/8443), match the filter chain instead`);
                // Port numbers, wherever a match can name one.
                for (const field of ["listener.portNumber", "listener.filterChain.destinationPort", "routeConfiguration.portNumber"]) {
                    const v = need(args.props, `${at}.${field}`);
                    if (v !== undefined && v !== null) pin(field, v);
                }
                // Names that carry a port: listener "0.0.0.0_8080", route configuration "http.8080".
                for (const field of ["listener.name", "routeConfiguration.name"]) {
                    const v = need(args.props, `${at}.${field}`);
                    if (typeof v === "string" && /(?:^|[_.:])\d{2,5}$/.test(v)) pin(field, v);
                }
            });
        });
    },
};
