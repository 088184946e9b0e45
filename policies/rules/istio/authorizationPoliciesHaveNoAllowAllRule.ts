import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isAuthorizationPolicy } from "../lib/kinds";
import { asArray, asRecord, guard, need } from "../lib/values";

/** Values that match anything in their field. */
const CATCH_ALL = new Set(["*", "/*", "0.0.0.0/0", "::/0"]);

/**
 * Does this block (a source, an operation) match every request? It does when it has no field
 * that narrows: every present field is a catch-all (`paths: ["*"]`, `ipBlocks: ["0.0.0.0/0"]`)
 * or an exclusion (`notPaths`, `notPrincipals`…), which admits everything but what it names.
 * Nulls count as absent: the API server prunes them.
 */
function matchesAll(props: Record<string, any>, at: string): boolean {
    const block = asRecord(need(props, at));
    return Object.keys(block).every((k) => {
        const v = need(props, `${at}.${k}`);
        if (v === undefined || v === null) return true;
        if (k.startsWith("not")) return true;
        const list = asArray(v);
        return list.length === 0 || list.every((x) => typeof x === "string" && CATCH_ALL.has(x));
    });
}

/** Sources and operations are ORed within `from` / `to`; conditions in `when` are ANDed. */
function ruleMatchesAll(props: Record<string, any>, at: string): boolean {
    const from = asArray(need(props, `${at}.from`));
    const to = asArray(need(props, `${at}.to`));
    const when = asArray(need(props, `${at}.when`));
    const fromAll = from.length === 0 || from.some((_, i) => matchesAll(props, `${at}.from[${i}].source`));
    const toAll = to.length === 0 || to.some((_, i) => matchesAll(props, `${at}.to[${i}].operation`));
    const whenAll = when.every((_, i) => {
        const c = asRecord(need(props, `${at}.when[${i}]`));
        return asArray(need(props, `${at}.when[${i}].values`)).length === 0 && c.notValues !== undefined;
    });
    return fromAll && toAll && whenAll;
}

/**
 * An ALLOW policy with a rule that matches every request (`rules: [{}]`, or conditions that
 * narrow nothing: `paths: ["*"]`, `ipBlocks: ["0.0.0.0/0"]`, only exclusions) admits
 * everything, and any ALLOW policy on a workload switches it to deny-by-default for everything
 * else: the catch-all rule silently turns that into allow-all.
 */
export const authorizationPoliciesHaveNoAllowAllRule: ResourceValidationPolicy = {
    name: "authorizationPoliciesHaveNoAllowAllRule",
    description: "No ALLOW AuthorizationPolicy has a rule that matches every request: empty (`rules: [{}]`), or narrowed only by catch-alls (`*`, `0.0.0.0/0`) and exclusions (`notPaths`…).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isAuthorizationPolicy(args.type)) return;
        guard(report, () => {
            const action = need(args.props, "spec.action") ?? "ALLOW";
            if (action !== "ALLOW") return;
            asArray(need(args.props, "spec.rules")).forEach((_, i) => {
                if (ruleMatchesAll(args.props, `spec.rules[${i}]`))
                    report(
                        `spec.rules[${i}] of this ALLOW policy matches every request (empty, or narrowed only by catch-alls and exclusions) and admits everything; name the sources, operations or conditions it allows`,
                    );
            });
        });
    },
};
