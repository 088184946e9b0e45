import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { describe, isDeployment, isService, isVirtualService, metadataOf } from "../lib/kinds";
import { gatewayNamespaces, injectionState, namespaceResources } from "../lib/mesh";
import { asArray, asRecord, guard, need } from "../lib/values";
import { serviceKey } from "../stack/virtualServiceReferencesResolve";

interface Config {
    readonly meshNamespaces?: string[];
}

/** Pod-template annotation the program sets when a namespace's injection is switched off (rollback). */
export const ROLLBACK_ANNOTATION = "eco2-mesh/sidecar-injection";

/** Namespaces whose Services a VirtualService routes to: they must run sidecars (IST0102). */
function routedNamespaces(resources: PolicyResource[]): Set<string> {
    const services = new Set(resources.filter((r) => isService(r.type)).map((r) => `${metadataOf(r.props).namespace}/${metadataOf(r.props).name}`));
    const out = new Set<string>();
    for (const vs of resources.filter((r) => isVirtualService(r.type))) {
        const ns = metadataOf(vs.props).namespace;
        for (const route of ["http", "tcp", "tls"].flatMap((k) => asArray(need(vs.props, `spec.${k}`)))) {
            for (const dest of asArray(asRecord(route).route)) {
                const host = asRecord(asRecord(dest).destination).host;
                const key = typeof host === "string" ? serviceKey(host, ns) : undefined;
                if (key && services.has(key)) out.add(key.split("/")[0]);
            }
        }
    }
    return out;
}

/** Namespaces switched off on purpose (plan §5 rollback): the namespace or its restarted workloads say so. */
function rolledBack(resources: PolicyResource[]): Set<string> {
    const out = new Set<string>();
    for (const n of resources.filter((r) => r.type === "kubernetes:core/v1:Namespace" || r.type === "kubernetes:core/v1:NamespacePatch")) {
        const annotations = asRecord(need(n.props, "metadata.annotations"));
        if (annotations[ROLLBACK_ANNOTATION] === "disabled") out.add(metadataOf(n.props).name);
    }
    for (const d of resources.filter((r) => isDeployment(r.type))) {
        const annotations = asRecord(need(d.props, "spec.template.metadata.annotations"));
        if (annotations[ROLLBACK_ANNOTATION] === "disabled") out.add(metadataOf(d.props).namespace);
    }
    return out;
}

/**
 * Sidecars come from the namespace label (IST0102); a namespace labelled
 * `istio-injection=disabled` runs its pods without a proxy, and in the gateway's namespace it
 * leaves the gateway pods pulling an image literally called `auto` (istio/istio#54841).
 */
export const meshNamespacesAreInjected: StackValidationPolicy = {
    name: "meshNamespacesAreInjected",
    description: "Every mesh namespace carries the sidecar-injection label and no namespace (the gateway's never) is labelled istio-injection=disabled.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            meshNamespaces: { type: "array", items: { type: "string" }, default: [], description: "Namespaces that must be injected even when no VirtualService routes to them." },
        },
    },
    validateStack: (args, report) => {
        const cfg = args.getConfig<Config>();
        const namespaces = namespaceResources(args.resources);
        const gatewayNs = gatewayNamespaces(args.resources);
        const state = new Map<string, ReturnType<typeof injectionState>>();
        for (const [name, r] of namespaces) {
            guard(
                (m) => report(m, r.urn),
                () => {
                    const s = injectionState(asRecord(need(r.props, "metadata.labels")));
                    state.set(name, s);
                    if (s !== "disabled") return;
                    report(
                        gatewayNs.has(name)
                            ? `${describe(r)} is the ingress gateway's namespace and is labelled istio-injection=disabled; the gateway pods would pull the image "auto" (istio/istio#54841): remove the label`
                            : `${describe(r)} is labelled istio-injection=disabled; remove the label instead (rollback drops it and restarts the workloads)`,
                        r.urn,
                    );
                },
                describe(r),
            );
        }
        let required = new Set<string>();
        let exempt = new Set<string>();
        guard(
            report,
            () => {
                required = new Set([...routedNamespaces(args.resources), ...(cfg.meshNamespaces ?? [])]);
                exempt = rolledBack(args.resources);
            },
            "mesh namespaces",
        );
        for (const ns of [...required].sort()) {
            if (gatewayNs.has(ns) || exempt.has(ns)) continue;
            const s = state.get(ns);
            if (s === undefined && !namespaces.has(ns)) {
                report(`namespace ${ns} holds routed mesh Services but the stack does not label it for sidecar injection (IST0102): add it to mesh.namespaces`);
            } else if (s === "none") {
                report(`${describe(namespaces.get(ns)!)} holds routed mesh Services but carries no istio-injection=enabled (or istio.io/rev) label (IST0102)`, namespaces.get(ns)!.urn);
            }
        }
    },
};
