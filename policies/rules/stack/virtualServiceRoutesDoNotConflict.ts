import type { StackValidationPolicy } from "@pulumi/policy";
import { describe, isVirtualService, metadataOf } from "../lib/kinds";
import { asArray, asRecord, guard, need } from "../lib/values";
import { gatewayKey } from "./virtualServiceReferencesResolve";

interface PathClaim {
    /** `prefix`, `exact` or `regex`. */
    readonly kind: string;
    /** The value as Envoy matches it (prefixes compare as strings). */
    readonly value: string;
}

/** The unconditional path matches of an http route; a route without match claims `prefix: /`. */
function pathClaims(route: Record<string, any>): PathClaim[] {
    const matches = asArray<Record<string, any>>(route.match);
    if (matches.length === 0) return [{ kind: "prefix", value: "/" }];
    const out: PathClaim[] = [];
    for (const m of matches) {
        // A match with any other condition (headers, query, method, port…) is narrower than the path alone.
        if (Object.keys(m).some((k) => k !== "uri" && k !== "name")) continue;
        const [kind, value] = Object.entries(asRecord(m.uri))[0] ?? ["prefix", "/"];
        out.push({ kind, value: String(value) });
    }
    return out;
}

/** The duplicate key of a claim: `/x/` and `/x` are one prefix. */
function claimKey(c: PathClaim): string {
    return `${c.kind}:${c.kind === "prefix" ? c.value.replace(/\/+$/, "") || "/" : c.value}`;
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
        type Owner = { label: string; urn: string };
        const owners = new Map<string, Owner>();
        // Prefix values per gateway|host, for the nesting check once every claim is known.
        const prefixes = new Map<string, Owner>();
        const claimed: { scope: string; host: string; g: string; claim: PathClaim; owner: Owner }[] = [];
        for (const vs of args.resources.filter((r) => isVirtualService(r.type))) {
            const ns = metadataOf(vs.props).namespace;
            const owner = { label: describe(vs), urn: vs.urn };
            guard(
                (m) => report(m, vs.urn),
                () => {
                    const gateways = asArray<string>(need(vs.props, "spec.gateways"));
                    const hosts = asArray<string>(need(vs.props, "spec.hosts"));
                    const claims = new Map<string, PathClaim>();
                    asArray(need(vs.props, "spec.http")).forEach((_, i) => {
                        for (const c of pathClaims(asRecord(need(vs.props, `spec.http[${i}]`)))) claims.set(`${c.kind}:${c.value}`, c);
                    });
                    for (const gw of gateways.length > 0 ? gateways : ["mesh"]) {
                        const g = gw === "mesh" ? "mesh" : gatewayKey(gw, ns);
                        for (const host of hosts) {
                            const scope = `${g}|${host}`;
                            const reported = new Set<string>();
                            for (const claim of claims.values()) {
                                claimed.push({ scope, host, g, claim, owner });
                                if (claim.kind === "prefix" && !prefixes.has(`${scope}|${claim.value}`)) prefixes.set(`${scope}|${claim.value}`, owner);
                                const key = claimKey(claim);
                                const prev = owners.get(`${scope}|${key}`);
                                if (prev && prev.urn !== vs.urn && !reported.has(key)) {
                                    reported.add(key);
                                    const [kind, path] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
                                    report(`${owner.label} and ${prev.label} both route host ${host} path ${kind} ${path} on gateway ${g} (IST0109); give each path one VirtualService`, vs.urn);
                                } else if (!prev) {
                                    owners.set(`${scope}|${key}`, owner);
                                }
                            }
                        }
                    }
                },
                describe(vs),
            );
        }
        for (const { scope, host, g, claim, owner } of claimed) {
            if (claim.kind !== "prefix" && claim.kind !== "exact") continue;
            // Strictly shorter prefixes only: an equal prefix is the duplicate reported above.
            const longest = claim.kind === "prefix" ? claim.value.length - 1 : claim.value.length;
            for (let n = longest; n >= 1; n--) {
                const outer = prefixes.get(`${scope}|${claim.value.slice(0, n)}`);
                if (!outer || outer.urn === owner.urn) continue;
                // `/x/` over `/x` is the same prefix, already reported as a duplicate above.
                if (claim.kind === "prefix" && claimKey({ kind: "prefix", value: claim.value.slice(0, n) }) === claimKey(claim)) continue;
                report(
                    `${outer.label} routes host ${host} path prefix ${claim.value.slice(0, n)} on gateway ${g}, which also matches ${owner.label}'s ${claim.kind} ${claim.value} (IST0109): the merge order decides which one serves these paths; give the VirtualServices disjoint prefixes`,
                    owner.urn,
                );
                break;
            }
        }
    },
};
