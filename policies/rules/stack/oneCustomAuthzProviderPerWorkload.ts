import type { StackValidationPolicy } from "@pulumi/policy";
import { describe, metadataOf } from "../lib/kinds";
import { customPolicies, formatLabels, istioReleases, parseVersion, selectorOf } from "../lib/mesh";
import { guard, need } from "../lib/values";

/** From this minor on a workload may carry several CUSTOM providers (istio/istio#57933, PR #58082). */
export const MULTI_CUSTOM_PROVIDER_MINOR = 30;

/**
 * Before Istio 1.30 a workload supports one CUSTOM provider; with two, istiod rejects the
 * policies for that workload.
 */
export const oneCustomAuthzProviderPerWorkload: StackValidationPolicy = {
    name: "oneCustomAuthzProviderPerWorkload",
    description: "On Istio < 1.30 (version from the Helm releases) the CUSTOM AuthorizationPolicies of one workload selector name at most one provider.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const custom = customPolicies(args.resources, report);
        if (custom.length < 2) return;
        const releases = istioReleases(args.resources);
        const source = releases.istiod ?? releases.all[0];
        let versionText = "unknown (no Istio Helm release in this stack)";
        if (source) {
            let unknownVersion = false;
            guard(
                () => {
                    unknownVersion = true;
                },
                () => {
                    const v = need(source.props, "version");
                    const parsed = parseVersion(v);
                    if (parsed && (parsed[0] > 1 || parsed[1] >= MULTI_CUSTOM_PROVIDER_MINOR)) versionText = "";
                    else versionText = parsed ? String(v) : `unpinned (${JSON.stringify(v ?? null)})`;
                },
            );
            if (unknownVersion) versionText = "unknown at preview";
        }
        if (versionText === "") return;
        const groups = new Map<string, { providers: Set<string>; urn: string; label: string }>();
        for (const ap of custom) {
            guard(
                (m) => report(m, ap.urn),
                () => {
                    const key = `${metadataOf(ap.props).namespace}|${formatLabels(selectorOf(ap.props))}`;
                    const g = groups.get(key) ?? { providers: new Set<string>(), urn: ap.urn, label: `${formatLabels(selectorOf(ap.props))} in ${metadataOf(ap.props).namespace}` };
                    g.providers.add(String(need(ap.props, "spec.provider.name")));
                    groups.set(key, g);
                },
                describe(ap),
            );
        }
        for (const g of groups.values()) {
            if (g.providers.size > 1) {
                report(
                    `workloads ${g.label} have ${g.providers.size} CUSTOM providers (${[...g.providers].sort().join(", ")}); Istio ${versionText} allows one per workload before 1.${MULTI_CUSTOM_PROVIDER_MINOR} (istio/istio#57933)`,
                    g.urn,
                );
            }
        }
    },
};
