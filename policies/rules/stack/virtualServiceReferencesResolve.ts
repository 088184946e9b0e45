import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { describe, isGateway, isKind, isService, isVirtualService, ISTIO_GROUPS, metadataOf } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

interface Config {
    /** Hosts outside the stack that routes may name (exact, or `*.suffix`). */
    readonly externalHosts?: string[];
    /** Gateways outside the stack that VirtualServices may name, as `<namespace>/<name>`. */
    readonly externalGateways?: string[];
}

/**
 * `<namespace>/<name>` of the Service a destination host names: `svc.ns.svc.cluster.local`,
 * `svc.ns`, or a bare `svc` resolved in the VirtualService's own namespace. Undefined for a
 * host that is not a cluster Service name (an external FQDN).
 */
export function serviceKey(host: string, vsNamespace: string): string | undefined {
    const fq = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(host);
    if (fq) return `${fq[2]}/${fq[1]}`;
    const short = /^([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(host);
    if (short) return `${short[2]}/${short[1]}`;
    if (/^[a-z0-9-]+$/.test(host)) return `${vsNamespace}/${host}`;
    return undefined;
}

/** `<namespace>/<name>` a gateway reference means; a bare name is looked up in the VirtualService's namespace (istio/istio#18225). */
export function gatewayKey(ref: string, vsNamespace: string): string {
    return ref.includes("/") ? ref : `${vsNamespace}/${ref}`;
}

function hostAllowed(host: string, allowed: string[]): boolean {
    return allowed.some((a) => a === host || (a.startsWith("*.") && host.endsWith(a.slice(1))));
}

/** Destination hosts of every route kind, with their paths. */
export function destinations(vs: PolicyResource): { path: string; host: string }[] {
    const out: { path: string; host: string }[] = [];
    for (const kind of ["http", "tcp", "tls"]) {
        asArray(need(vs.props, `spec.${kind}`)).forEach((_, i) => {
            asArray(need(vs.props, `spec.${kind}[${i}].route`)).forEach((__, j) => {
                const path = `spec.${kind}[${i}].route[${j}].destination.host`;
                out.push({ path, host: need(vs.props, path) });
            });
            if (kind === "http") {
                const mirror = need(vs.props, `spec.http[${i}].mirror.host`);
                if (mirror !== undefined) out.push({ path: `spec.http[${i}].mirror.host`, host: mirror });
            }
        });
    }
    return out;
}

/**
 * IST0101 in the pack: a VirtualService whose gateway or destination does not exist routes
 * nothing (404 or 503), and `pulumi up` succeeds anyway.
 */
export const virtualServiceReferencesResolve: StackValidationPolicy = {
    name: "virtualServiceReferencesResolve",
    description:
        "Every VirtualService's gateways (<namespace>/<name>, or a bare name in its own namespace) and destination hosts resolve to a Gateway / Service the stack declares, or to a configured external allowance.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            externalHosts: { type: "array", items: { type: "string" }, default: [], description: "Destination hosts outside the stack (exact or *.suffix)." },
            externalGateways: { type: "array", items: { type: "string" }, default: [], description: "Gateways outside the stack, as <namespace>/<name>." },
        },
    },
    validateStack: (args, report) => {
        const cfg = args.getConfig<Config>();
        const key = (r: PolicyResource) => `${metadataOf(r.props).namespace}/${metadataOf(r.props).name}`;
        const gateways = new Set([...args.resources.filter((r) => isGateway(r.type)).map(key), ...(cfg.externalGateways ?? [])]);
        const services = new Set(args.resources.filter((r) => isService(r.type)).map(key));
        // Read inside guard: an unknown ServiceEntry host is this rule's violation, not the engine's
        // advisory skip of the whole (mandatory) rule.
        const serviceEntryHosts: string[] = [];
        for (const se of args.resources.filter((r) => isKind(r.type, ISTIO_GROUPS.networking, "ServiceEntry"))) {
            guard(
                (m) => report(m, se.urn),
                () => asArray(need(se.props, "spec.hosts")).forEach((_, i) => serviceEntryHosts.push(String(need(se.props, `spec.hosts[${i}]`)))),
                describe(se),
            );
        }
        const allowed = [...(cfg.externalHosts ?? []), ...serviceEntryHosts];
        for (const vs of args.resources.filter((r) => isVirtualService(r.type))) {
            const ns = metadataOf(vs.props).namespace;
            guard(
                (m) => report(m, vs.urn),
                () => {
                    asArray<string>(need(vs.props, "spec.gateways")).forEach((ref, i) => {
                        need(vs.props, `spec.gateways[${i}]`);
                        if (ref === "mesh") return;
                        const k = gatewayKey(ref, ns);
                        if (!gateways.has(k)) {
                            const hint = ref.includes("/") ? "" : " (a bare name is looked up in the VirtualService's own namespace, istio/istio#18225: write <namespace>/<name>)";
                            report(`${describe(vs)} names gateway "${ref}", which resolves to ${k}; no such Gateway in this stack${hint}`, vs.urn);
                        }
                    });
                    for (const { path, host } of destinations(vs)) {
                        if (typeof host !== "string" || hostAllowed(host, allowed)) continue;
                        const svc = serviceKey(host, ns);
                        if (svc === undefined || !services.has(svc)) {
                            report(
                                `${describe(vs)} ${path} "${host}" resolves to ${svc ? `Service ${svc}` : "no cluster Service"}, which this stack does not declare (add the Service, a ServiceEntry, or list the host in externalHosts)`,
                                vs.urn,
                            );
                        }
                    }
                },
                describe(vs),
            );
        }
    },
};
