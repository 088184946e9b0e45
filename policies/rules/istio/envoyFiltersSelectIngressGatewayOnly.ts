import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_GATEWAY_SELECTOR, gatewaySelectorSchema } from "../lib/config";
import { isEnvoyFilter } from "../lib/kinds";
import { formatLabels } from "../lib/mesh";
import { asArray, asRecord, guard, need } from "../lib/values";

interface Config {
    readonly gatewaySelector?: Record<string, string>;
}

/**
 * EnvoyFilters patch generated Envoy config that Istio does not validate (IST0151-0155); the
 * program needs one at the ingress gateway only, so any other scope is a mistake that can
 * break every sidecar at once.
 */
export const envoyFiltersSelectIngressGatewayOnly: ResourceValidationPolicy = {
    name: "envoyFiltersSelectIngressGatewayOnly",
    description: "EnvoyFilters select the ingress gateway pods (workloadSelector istio=ingressgateway) and patch only the GATEWAY context.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...gatewaySelectorSchema } },
    validateResource: (args, report) => {
        if (!isEnvoyFilter(args.type)) return;
        const want = args.getConfig<Config>().gatewaySelector ?? DEFAULT_GATEWAY_SELECTOR;
        guard(report, () => {
            const labels = asRecord(need(args.props, "spec.workloadSelector.labels"));
            const targetRefs = asArray(need(args.props, "spec.targetRefs"));
            if (Object.keys(labels).length === 0 && targetRefs.length === 0) {
                report(`has no workloadSelector, so it patches every proxy in its namespace; select the ingress gateway (${formatLabels(want)})`);
            } else if (Object.keys(labels).length > 0 && !Object.entries(want).every(([k, v]) => labels[k] === v)) {
                report(`spec.workloadSelector.labels ${formatLabels(labels as Record<string, string>)} do not select the ingress gateway (${formatLabels(want)})`);
            } else if (targetRefs.length > 0) {
                report("uses targetRefs; select the ingress gateway by spec.workloadSelector.labels");
            }
            asArray(need(args.props, "spec.configPatches")).forEach((_, i) => {
                const context = need(args.props, `spec.configPatches[${i}].match.context`);
                if (context !== undefined && context !== "GATEWAY") {
                    report(`spec.configPatches[${i}].match.context is ${context}; only GATEWAY is allowed`);
                }
            });
        });
    },
};
