import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { describe, isAuthorizationPolicy, isRequestAuthentication, metadataOf } from "../lib/kinds";
import { formatLabels, rootNamespace, sameLabels, selectorOf } from "../lib/mesh";
import { asArray, asRecord, guard, need } from "../lib/values";

/** DENY with `notRequestPrincipals: ["*"]`, or ALLOW with `requestPrincipals`. */
function requiresPrincipal(ap: PolicyResource): boolean {
    const action = need(ap.props, "spec.action") ?? "ALLOW";
    return asArray(need(ap.props, "spec.rules")).some((rule) =>
        asArray(asRecord(rule).from).some((f) => {
            const source = asRecord(asRecord(f).source);
            if (action === "DENY") return asArray(source.notRequestPrincipals).includes("*");
            if (action === "ALLOW") return asArray(source.requestPrincipals).length > 0;
            return false;
        }),
    );
}

/**
 * A RequestAuthentication only rejects bad tokens; a request with no token passes
 * (istio/istio#50588). Only an AuthorizationPolicy that requires a principal makes the token
 * mandatory on the protected paths.
 */
export const requestAuthenticationsRequirePrincipal: StackValidationPolicy = {
    name: "requestAuthenticationsRequirePrincipal",
    description:
        'Every RequestAuthentication is paired with an AuthorizationPolicy on the same workloads that requires a principal (DENY with notRequestPrincipals ["*"] or ALLOW with requestPrincipals).',
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
                        const apSel = selectorOf(ap.props);
                        const covers = (apNs === ns && (apSel === undefined || sameLabels(apSel, sel))) || (apNs === root && apSel === undefined) || (apNs === root && sameLabels(apSel, sel));
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
