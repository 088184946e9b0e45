import type { PolicyResource } from "@pulumi/policy";
import { chartName, describe, isAuthorizationPolicy, isHelmRelease, isNamespace, metadataOf } from "./kinds";
import { asArray, asRecord, guard, isUnknown, need, raw } from "./values";

// What the stack says about the mesh, read from the resources themselves: the Istio Helm
// releases (version, istiod's meshConfig, the gateway Service), the root namespace, and the
// namespaces labelled for injection.

export interface IstioReleases {
    readonly base?: PolicyResource;
    readonly istiod?: PolicyResource;
    readonly gateway?: PolicyResource;
    readonly all: PolicyResource[];
}

const ISTIO_CHARTS = ["base", "istiod", "gateway", "cni", "ztunnel"];

export function istioReleases(resources: PolicyResource[]): IstioReleases {
    const all = resources.filter((r) => isHelmRelease(r.type) && ISTIO_CHARTS.includes(chartName(r.props)));
    const find = (c: string) => all.find((r) => chartName(r.props) === c);
    return { base: find("base"), istiod: find("istiod"), gateway: find("gateway"), all };
}

/** Istio's root namespace: where istiod is installed (istio-system by default). */
export function rootNamespace(resources: PolicyResource[]): string {
    const istiod = istioReleases(resources).istiod;
    const ns = istiod ? raw(istiod.props).namespace : undefined;
    return typeof ns === "string" && !isUnknown(ns) && ns ? ns : "istio-system";
}

/** Namespaces of the ingress gateway: the gateway release's namespace. */
export function gatewayNamespaces(resources: PolicyResource[]): Set<string> {
    const out = new Set<string>();
    const gw = istioReleases(resources).gateway;
    const ns = gw ? raw(gw.props).namespace : undefined;
    if (typeof ns === "string" && !isUnknown(ns) && ns) out.add(ns);
    return out;
}

/** `istio-injection=enabled` or a revision label. */
export function injectionState(labels: Record<string, unknown>): "enabled" | "disabled" | "none" {
    if (labels["istio-injection"] === "disabled") return "disabled";
    if (labels["istio-injection"] === "enabled" || (typeof labels["istio.io/rev"] === "string" && labels["istio.io/rev"] !== "")) return "enabled";
    return "none";
}

/** Namespace / NamespacePatch resources by namespace name. */
export function namespaceResources(resources: PolicyResource[]): Map<string, PolicyResource> {
    const out = new Map<string, PolicyResource>();
    for (const r of resources) if (isNamespace(r.type)) out.set(metadataOf(r.props).name, r);
    return out;
}

/** Names of the namespaces the stack labels for injection. */
export function injectedNamespaces(resources: PolicyResource[]): Set<string> {
    const out = new Set<string>();
    for (const [name, r] of namespaceResources(resources)) {
        const labels = asRecord(need(r.props, "metadata.labels"));
        if (injectionState(labels) === "enabled") out.add(name);
    }
    return out;
}

/** The gateway Service ports from the gateway release's values (`service.ports[]`). */
export function gatewayServicePorts(gateway: PolicyResource): { name: string; port: number; nodePort?: number }[] {
    return asArray(need(gateway.props, "values.service.ports")).map((p, i) => {
        const x = asRecord(raw(p));
        for (const k of ["name", "port", "nodePort"]) if (isUnknown(x[k])) need(gateway.props, `values.service.ports[${i}].${k}`);
        return { name: String(x.name ?? ""), port: Number(x.port), nodePort: x.nodePort === undefined ? undefined : Number(x.nodePort) };
    });
}

/** `1.24.1` → [1, 24, 1]; undefined when not a version. */
export function parseVersion(v: unknown): [number, number, number] | undefined {
    if (typeof v !== "string") return undefined;
    const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Selector labels of an Istio policy (`selector.matchLabels`), or undefined for namespace-wide. */
export function selectorOf(props: Record<string, any>, field = "selector"): Record<string, string> | undefined {
    const sel = need(props, `spec.${field}.${field === "workloadSelector" ? "labels" : "matchLabels"}`);
    const rec = asRecord(sel);
    return Object.keys(rec).length > 0 ? (rec as Record<string, string>) : undefined;
}

export function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
    const ka = Object.keys(a ?? {}).sort();
    const kb = Object.keys(b ?? {}).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a![k] === b![k]);
}

export function formatLabels(l: Record<string, string> | undefined): string {
    return l
        ? Object.entries(l)
              .map(([k, v]) => `${k}=${v}`)
              .join(",")
        : "(all workloads)";
}

/**
 * The CUSTOM AuthorizationPolicies of the stack. A policy whose action is unknown at preview
 * may be one: it is reported as unverifiable on its own resource (read outside `guard`, the
 * engine would fail the whole preview instead).
 */
export function customPolicies(resources: PolicyResource[], report: (message: string, urn?: string) => void): PolicyResource[] {
    const out: PolicyResource[] = [];
    for (const r of resources.filter((x) => isAuthorizationPolicy(x.type))) {
        guard(
            (m) => report(m, r.urn),
            () => {
                if (need(r.props, "spec.action") === "CUSTOM") out.push(r);
            },
            describe(r),
        );
    }
    return out;
}
