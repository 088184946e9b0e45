import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { describe, isAuthorizationPolicy, isRequestAuthentication, metadataOf } from "../lib/kinds";
import { formatLabels, rootNamespace, selectorOf } from "../lib/mesh";
import { asArray, asRecord, guard, need } from "../lib/values";

/** Operation fields a DENY may narrow itself by and still cover the protected paths. */
const PATH_FIELDS = new Set(["paths", "notPaths", "hosts", "notHosts"]);

/** The one method exception allowed: CORS preflight, sent by browsers without credentials. */
function preflightOnly(methods: unknown[]): boolean {
    return methods.length > 0 && methods.every((m) => m === "OPTIONS");
}

/** Present and not null (the API server prunes nulls, so `from: null` is no condition). */
function present(v: unknown): boolean {
    return v !== undefined && v !== null;
}

/**
 * A DENY rule that refuses every request without a principal on its paths: no `when`, operations
 * narrowed by path or host only (plus the preflight exception), and a source whose only field is
 * `notRequestPrincipals` (fields of one source are ANDed: an extra field makes it conditional).
 */
function denyRuleRequires(props: Record<string, any>, at: string): boolean {
    if (asArray(need(props, `${at}.when`)).length > 0) return false;
    const to = asArray(need(props, `${at}.to`));
    for (let j = 0; j < to.length; j++) {
        const op = asRecord(need(props, `${at}.to[${j}].operation`));
        for (const key of Object.keys(op).filter((k) => present(op[k]))) {
            if (key === "notMethods" ? !preflightOnly(asArray(need(props, `${at}.to[${j}].operation.notMethods`))) : !PATH_FIELDS.has(key)) return false;
        }
    }
    const from = asArray(need(props, `${at}.from`));
    return from.some((_, k) => {
        const source = asRecord(need(props, `${at}.from[${k}].source`));
        const keys = Object.keys(source).filter((x) => present(source[x]));
        return keys.length === 1 && keys[0] === "notRequestPrincipals" && asArray(need(props, `${at}.from[${k}].source.notRequestPrincipals`)).length > 0;
    });
}

/** An ALLOW rule admits only requests with a principal when every one of its sources demands one (sources are ORed). */
function allowRuleRequires(props: Record<string, any>, at: string): boolean {
    const from = asArray(need(props, `${at}.from`));
    return from.length > 0 && from.every((_, k) => asArray(need(props, `${at}.from[${k}].source.requestPrincipals`)).length > 0);
}

/**
 * DENY with a rule that refuses requests without a principal unconditionally (any
 * `notRequestPrincipals` list: `["*"]` or a stricter list of issuers), or ALLOW whose every
 * rule requires a principal (rules are ORed: one rule without is an open door).
 */
function requiresPrincipal(ap: PolicyResource): boolean {
    const action = need(ap.props, "spec.action") ?? "ALLOW";
    const rules = asArray(need(ap.props, "spec.rules"));
    if (action === "DENY") return rules.some((_, i) => denyRuleRequires(ap.props, `spec.rules[${i}]`));
    if (action === "ALLOW") return rules.length > 0 && rules.every((_, i) => allowRuleRequires(ap.props, `spec.rules[${i}]`));
    return false;
}

/** True when the policy's selector picks at least the RequestAuthentication's workloads. */
function selects(apSel: Record<string, string> | undefined, sel: Record<string, string> | undefined): boolean {
    return apSel === undefined || Object.entries(apSel).every(([k, v]) => sel?.[k] === v);
}

/**
 * A RequestAuthentication only rejects bad tokens; a request with no token passes
 * (istio/istio#50588). Only an AuthorizationPolicy that requires a principal makes the token
 * mandatory on the protected paths.
 */
export const requestAuthenticationsRequirePrincipal: StackValidationPolicy = {
    name: "requestAuthenticationsRequirePrincipal",
    description:
        "Every RequestAuthentication is paired with an AuthorizationPolicy on the same workloads that requires a principal without conditions (DENY with notRequestPrincipals, narrowed by path only; or ALLOW whose every rule requires requestPrincipals).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const root = rootNamespace(args.resources);
        const policies = args.resources.filter((r) => isAuthorizationPolicy(r.type));
        for (const ra of args.resources.filter((r) => isRequestAuthentication(r.type))) {
            guard(
                (m) => report(m, ra.urn),
                () => {
                    const ns = metadataOf(ra.props).namespace;
                    const sel = selectorOf(ra.props);
                    const paired = policies.some((ap) => {
                        const apNs = metadataOf(ap.props).namespace;
                        // targetRef(s) attach a policy to a Gateway API resource, not to these workloads.
                        if (present(need(ap.props, "spec.targetRef")) || asArray(need(ap.props, "spec.targetRefs")).length > 0) return false;
                        const apSel = selectorOf(ap.props);
                        const covers = (apNs === ns || apNs === root) && selects(apSel, sel);
                        return covers && requiresPrincipal(ap);
                    });
                    if (!paired) {
                        report(
                            `${describe(ra)} (workloads ${formatLabels(sel)}) admits requests without a token: no AuthorizationPolicy on the same workloads requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals; istio/istio#50588)`,
                            ra.urn,
                        );
                    }
                },
                describe(ra),
            );
        }
    },
};
