import type { StackValidationPolicy } from "@pulumi/policy";
import { describe, isVirtualService, metadataOf } from "../lib/kinds";
import { asArray, asRecord, guard, need } from "../lib/values";
import { gatewayKey } from "./virtualServiceReferencesResolve";

/** The unconditional path matches of an http route: `prefix:/x`, `exact:/x`, `regex:…`; a route without match is `prefix:/`. */
function pathClaims(route: Record<string, any>): string[] {
    const matches = asArray<Record<string, any>>(route.match);
    if (matches.length === 0) return ["prefix:/"];
    const out: string[] = [];
    for (const m of matches) {
        // A match with any other condition (headers, query, method, port…) is narrower than the path alone.
        if (Object.keys(m).some((k) => k !== "uri" && k !== "name")) continue;
        const uri = asRecord(m.uri);
        const [kind, value] = Object.entries(uri)[0] ?? ["prefix", "/"];
        out.push(`${kind}:${kind === "prefix" ? String(value).replace(/\/+$/, "") || "/" : value}`);
    }
    return out;
}

/**
 * Two VirtualServices that claim the same host and path on the same gateway are merged in an
 * undefined order (IST0109, IST0131): one of them silently never matches.
 */
export const virtualServiceRoutesDoNotConflict: StackValidationPolicy = {
    name: "virtualServiceRoutesDoNotConflict",
    description: "No two VirtualServices claim the same gateway + host + path prefix.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const owners = new Map<string, { label: string; urn: string }>();
        for (const vs of args.resources.filter((r) => isVirtualService(r.type))) {
            const ns = metadataOf(vs.props).namespace;
            guard((m) => report(m, vs.urn), () => {
                const gateways = asArray<string>(need(vs.props, "spec.gateways"));
                const hosts = asArray<string>(need(vs.props, "spec.hosts"));
                const claims = new Set<string>();
                asArray(need(vs.props, "spec.http")).forEach((_, i) => {
                    for (const c of pathClaims(asRecord(need(vs.props, `spec.http[${i}]`)))) claims.add(c);
                });
                for (const gw of gateways.length > 0 ? gateways : ["mesh"]) {
                    const g = gw === "mesh" ? "mesh" : gatewayKey(gw, ns);
                    for (const host of hosts) {
                        for (const claim of claims) {
                            const k = `${g}|${host}|${claim}`;
                            const prev = owners.get(k);
                            if (prev && prev.urn !== vs.urn) {
                                const [kind, path] = [claim.slice(0, claim.indexOf(":")), claim.slice(claim.indexOf(":") + 1)];
                                report(`${describe(vs)} and ${prev.label} both route host ${host} path ${kind} ${path} on gateway ${g} (IST0109); give each path one VirtualService`, vs.urn);
                            } else if (!prev) {
                                owners.set(k, { label: describe(vs), urn: vs.urn });
                            }
                        }
                    }
                }
            }, describe(vs));
        }
    },
};
