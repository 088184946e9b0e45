import type { StackValidationPolicy } from "@pulumi/policy";
import { describe } from "../lib/kinds";
import { customPolicies, istioReleases } from "../lib/mesh";
import { asArray, asRecord, guard, need } from "../lib/values";

/**
 * A CUSTOM policy naming a provider istiod does not know denies the requests it matches
 * (`…-deny-due-to-bad-CUSTOM-action`, istio/istio#40944, PR #46968): declared providers live
 * in istiod's meshConfig.extensionProviders, here the istiod Helm release's values.
 */
export const customAuthzProvidersAreDeclared: StackValidationPolicy = {
    name: "customAuthzProvidersAreDeclared",
    description: "Every CUSTOM AuthorizationPolicy names a provider declared in istiod's meshConfig.extensionProviders (the istiod Helm release values).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const custom = customPolicies(args.resources, report);
        if (custom.length === 0) return;
        const istiod = istioReleases(args.resources).istiod;
        let declared: string[] | undefined;
        if (istiod) {
            guard(
                (m) => report(m, istiod.urn),
                () => {
                    declared = asArray(need(istiod.props, "values.meshConfig.extensionProviders")).map((p) => asRecord(p).name);
                },
                describe(istiod),
            );
        }
        for (const ap of custom) {
            guard(
                (m) => report(m, ap.urn),
                () => {
                    const name = need(ap.props, "spec.provider.name");
                    if (typeof name !== "string" || name === "") {
                        report(`${describe(ap)} is CUSTOM but names no spec.provider.name`, ap.urn);
                    } else if (!istiod) {
                        report(`${describe(ap)} names CUSTOM provider "${name}", but no istiod Helm release in this stack declares meshConfig.extensionProviders`, ap.urn);
                    } else if (declared && !declared.includes(name)) {
                        report(
                            `${describe(ap)} names CUSTOM provider "${name}", which istiod's meshConfig.extensionProviders does not declare (declared: ${declared.join(", ") || "none"}); its requests would be denied`,
                            ap.urn,
                        );
                    }
                },
                describe(ap),
            );
        }
    },
};
