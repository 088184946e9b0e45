import type { StackValidationPolicy } from "@pulumi/policy";
import { chartFileVersion, chartName, describe } from "../lib/kinds";
import { istioReleases } from "../lib/mesh";
import { guard, need } from "../lib/values";

/**
 * istiod, its CRDs and the gateway's injected proxy must come from one release: a gateway
 * chart newer than istiod templates config istiod does not serve, and an unpinned chart moves
 * on its own.
 */
/** One release, with an optional leading "v" and pre-release or build suffix: 1.24.1, v1.24.1, 1.25.0-beta.0. */
const EXACT = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

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
                    const chart = chartName(r.props);
                    if (typeof v !== "string" || v.trim() === "") {
                        report(`${describe(r)} (chart ${chart}) pins no chart version; pin the one Istio version of the stack`, r.urn);
                        return;
                    }
                    // A range or alias (~1.24, *, latest) is not a pin: Helm picks whatever matches today.
                    if (!EXACT.test(v)) {
                        report(`${describe(r)} (chart ${chart}) gives version "${v}", a range or alias rather than one release; pin an exact version such as 1.24.1`, r.urn);
                        return;
                    }
                    const version = v.replace(/^v/, "");
                    const file = chartFileVersion(r.props);
                    if (file !== undefined && file.replace(/^v/, "") !== version) {
                        report(`${describe(r)} installs the packaged chart of ${file} (${String(need(r.props, "chart"))}) but declares version ${v}; a local chart installs what is on disk`, r.urn);
                    }
                    versions.push({ chart, version });
                },
                describe(r),
            );
        }
        if (new Set(versions.map((v) => v.version)).size > 1) {
            report(`the Istio Helm releases use different versions (${versions.map((v) => `${v.chart} ${v.version}`).join(", ")}); pin one version for all of them`);
        }
    },
};
