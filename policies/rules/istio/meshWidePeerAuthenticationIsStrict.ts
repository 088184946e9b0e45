import type { StackValidationPolicy } from "@pulumi/policy";
import { EnvironmentConfig, environmentConfigSchema, environmentOf } from "../lib/config";
import { describe, isPeerAuthentication, metadataOf, parseK8sType, ISTIO_GROUPS } from "../lib/kinds";
import { istioReleases, rootNamespace, selectorOf } from "../lib/mesh";
import { asRecord, guard, need } from "../lib/values";

/**
 * mTLS is declared once, mesh-wide: a PeerAuthentication without a selector in the root
 * namespace. PERMISSIVE is the migration state; environments listed as strict (prod) need
 * STRICT there, and no narrower PeerAuthentication may relax it.
 */
export const meshWidePeerAuthenticationIsStrict: StackValidationPolicy = {
    name: "meshWidePeerAuthenticationIsStrict",
    description: "A mesh-wide PeerAuthentication exists in Istio's root namespace, and it (and every narrower one) is STRICT in strict environments.",
    enforcementLevel: "mandatory",
    configSchema: environmentConfigSchema,
    validateStack: (args, report) => {
        const usesIstio = istioReleases(args.resources).all.length > 0 || args.resources.some((r) => Object.values(ISTIO_GROUPS).includes(parseK8sType(r.type)?.group as never));
        if (!usesIstio) return;
        const { environment, strict } = environmentOf(args.getConfig<EnvironmentConfig>());
        const root = rootNamespace(args.resources);
        const all = args.resources.filter((r) => isPeerAuthentication(r.type));
        const meshWide = all.filter((r) => {
            let wide = false;
            guard(
                (m) => report(m, r.urn),
                () => {
                    wide = metadataOf(r.props).namespace === root && selectorOf(r.props) === undefined;
                },
                describe(r),
            );
            return wide;
        });
        if (meshWide.length === 0) {
            report(`no mesh-wide PeerAuthentication (namespace ${root}, no selector): declare the mesh's mTLS mode (PERMISSIVE while migrating, STRICT as the goal)`);
        }
        if (!strict) return;
        for (const r of all) {
            guard(
                (m) => report(m, r.urn),
                () => {
                    const mode = need(r.props, "spec.mtls.mode") ?? "UNSET";
                    const scope = meshWide.includes(r) ? "mesh-wide" : "narrower";
                    if (mode !== "STRICT" && !(scope === "narrower" && mode === "UNSET")) {
                        report(`${describe(r)} (${scope}) has mTLS mode ${mode}; environment ${environment} requires STRICT`, r.urn);
                    }
                    const portLevel = asRecord(need(r.props, "spec.portLevelMtls"));
                    for (const [port, v] of Object.entries(portLevel)) {
                        const pm = asRecord(v).mode;
                        if (pm !== undefined && pm !== "STRICT" && pm !== "UNSET") report(`${describe(r)} relaxes port ${port} to ${pm}; environment ${environment} requires STRICT`, r.urn);
                    }
                },
                describe(r),
            );
        }
    },
};
