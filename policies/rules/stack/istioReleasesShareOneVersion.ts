import type { StackValidationPolicy } from "@pulumi/policy";
import { chartName, describe } from "../lib/kinds";
import { istioReleases } from "../lib/mesh";
import { guard, need } from "../lib/values";

/**
 * istiod, its CRDs and the gateway's injected proxy must come from one release: a gateway
 * chart newer than istiod templates config istiod does not serve, and an unpinned chart moves
 * on its own.
 */
export const istioReleasesShareOneVersion: StackValidationPolicy = {
    name: "istioReleasesShareOneVersion",
    description: "The Istio Helm releases (base, istiod, gateway) each pin a chart version, and all pin the same one.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const versions: { chart: string; version: string }[] = [];
        for (const r of istioReleases(args.resources).all) {
            guard(
                (m) => report(m, r.urn),
                () => {
                    const v = need(r.props, "version");
                    if (typeof v !== "string" || v.trim() === "") {
                        report(`${describe(r)} (chart ${chartName(r.props)}) pins no chart version; pin the one Istio version of the stack`, r.urn);
                    } else {
                        versions.push({ chart: chartName(r.props), version: v });
                    }
                },
                describe(r),
            );
        }
        if (new Set(versions.map((v) => v.version)).size > 1) {
            report(`the Istio Helm releases use different versions (${versions.map((v) => `${v.chart} ${v.version}`).join(", ")}); pin one version for all of them`);
        }
    },
};
