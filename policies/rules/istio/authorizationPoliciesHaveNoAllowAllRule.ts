import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isAuthorizationPolicy } from "../lib/kinds";
import { asArray, asRecord, guard, need } from "../lib/values";

function isEmptyRule(rule: unknown): boolean {
    const r = asRecord(rule);
    return ["from", "to", "when"].every((k) => r[k] === undefined || (Array.isArray(r[k]) && r[k].length === 0));
}

/**
 * An ALLOW policy with an empty rule (`rules: [{}]`) matches every request, and any ALLOW
 * policy on a workload switches it to deny-by-default for everything else: the empty rule
 * silently turns that into allow-all.
 */
export const authorizationPoliciesHaveNoAllowAllRule: ResourceValidationPolicy = {
    name: "authorizationPoliciesHaveNoAllowAllRule",
    description: "No ALLOW AuthorizationPolicy has an empty rule (`rules: [{}]`), which admits every request.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isAuthorizationPolicy(args.type)) return;
        guard(report, () => {
            const action = need(args.props, "spec.action") ?? "ALLOW";
            if (action !== "ALLOW") return;
            asArray(need(args.props, "spec.rules")).forEach((rule, i) => {
                need(args.props, `spec.rules[${i}]`);
                if (isEmptyRule(rule)) report(`spec.rules[${i}] of this ALLOW policy is empty and admits every request; name the sources, operations or conditions`);
            });
        });
    },
};
