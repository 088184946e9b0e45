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
 * undefined order (IST0109, IST0131): one of them silently never matches. The same holds when
 * one's prefix contains the other's paths (`prefix: /api/v1/` over `/api/v1/scan/`): Envoy
 * prefixes match strings, so each claim looks up its own string prefixes (linear, not pairwise).
 */
export const virtualServiceRoutesDoNotConflict: StackValidationPolicy = {
    name: "virtualServiceRoutesDoNotConflict",
    description: "No two VirtualServices claim the same gateway + host + path prefix.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const owners = new Map<string, { label: string; urn: string }>();
        // Raw prefix values per gateway|host, for the nesting check after all claims are known.
        const prefixes = new Map<string, { label: string; urn: string }>();
        const claimed: { scope: string; host: string; g: string; kind: string; raw: string; label: string; urn: string }[] = [];
        for (const vs of args.resources.filter((r) => isVirtualService(r.type))) {
            const ns = metadataOf(vs.props).namespace;
            guard(
                (m) => report(m, vs.urn),
                () => {
                    const gateways = asArray<string>(need(vs.props, "spec.gateways"));
                    const hosts = asArray<string>(need(vs.props, "spec.hosts"));
                    const claims = new Set<string>();
                    asArray(need(vs.props, "spec.http")).forEach((_, i) => {
                        for (const c of pathClaims(asRecord(need(vs.props, `spec.http[${i}]`)))) claims.add(c);
                    });
                    const raws = new Set<string>();
                    asArray(need(vs.props, "spec.http")).forEach((_, i) => {
                        for (const c of rawPathClaims(asRecord(need(vs.props, `spec.http[${i}]`)))) raws.add(c);
                    });
                    for (const gw of gateways.length > 0 ? gateways : ["mesh"]) {
                        const g = gw === "mesh" ? "mesh" : gatewayKey(gw, ns);
                        for (const host of hosts) {
                            for (const raw of raws) {
                                const kind = raw.slice(0, raw.indexOf(":"));
                                const value = raw.slice(raw.indexOf(":") + 1);
                                const scope = `${g}|${host}`;
                                claimed.push({ scope, host, g, kind, raw: value, label: describe(vs), urn: vs.urn });
                                if (kind === "prefix" && !prefixes.has(`${scope}|${value}`)) prefixes.set(`${scope}|${value}`, { label: describe(vs), urn: vs.urn });
                            }
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
                },
                describe(vs),
            );
        }
        for (const c of claimed) {
            // Strictly shorter prefixes only: an equal prefix is the duplicate reported above.
            const longest = c.kind === "prefix" ? c.raw.length - 1 : c.raw.length;
            for (let n = longest; n >= 1; n--) {
                const outer = prefixes.get(`${c.scope}|${c.raw.slice(0, n)}`);
                if (!outer || outer.urn === c.urn) continue;
                // `/x/` over `/x` is the same prefix, already reported as a duplicate above.
                if (c.kind === "prefix" && c.raw.slice(0, n).replace(/\/+$/, "") === c.raw.replace(/\/+$/, "")) continue;
                report(
                    `${outer.label} routes host ${c.host} path prefix ${c.raw.slice(0, n)} on gateway ${c.g}, which also matches ${c.label}'s ${c.kind} ${c.raw} (IST0109): the merge order decides which one serves these paths; give the VirtualServices disjoint prefixes`,
                    c.urn,
                );
                break;
            }
        }
    },
};

/** Path claims as Envoy matches them (prefixes compare as strings), for the nesting check. */
function rawPathClaims(route: Record<string, any>): string[] {
    const matches = asArray<Record<string, any>>(route.match);
    if (matches.length === 0) return ["prefix:/"];
    const out: string[] = [];
    for (const m of matches) {
        if (Object.keys(m).some((k) => k !== "uri" && k !== "name")) continue;
        const [kind, value] = Object.entries(asRecord(m.uri))[0] ?? ["prefix", "/"];
        if (kind === "prefix" || kind === "exact") out.push(`${kind}:${value}`);
    }
    return out;
}
