import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isEnvoyFilter } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

/**
 * The gateway chart listens on 80/443, older profiles on 8080/8443 (istio/istio#55326,
 * istio.io#13169): a patch pinned to a listener port stops matching when the chart changes.
 */
export const envoyFiltersDoNotPinListenerPorts: ResourceValidationPolicy = {
    name: "envoyFiltersDoNotPinListenerPorts",
    description: "EnvoyFilter patches match listeners by filter chain, never by a hand-pinned listener portNumber.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isEnvoyFilter(args.type)) return;
        guard(report, () => {
            asArray(need(args.props, "spec.configPatches")).forEach((_, i) => {
                const port = need(args.props, `spec.configPatches[${i}].match.listener.portNumber`);
                if (port !== undefined) {
                    report(
                        `spec.configPatches[${i}].match.listener.portNumber pins listener port ${port}; the gateway's listener ports depend on the chart (80/443 or 8080/8443), match the filter chain instead`,
                    );
                }
            });
        });
    },
};
