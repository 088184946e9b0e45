// Istio path patterns (AuthorizationPolicy `paths`): exact `/a/b`, prefix `/a/*` or `/a*`,
// suffix `*.json`. Used to prove, before anything is deployed, that every routed path is
// either protected or deliberately public, and that no public path switches protection off.

type Pattern = { kind: "exact" | "prefix" | "suffix"; text: string };

function parse(p: string): Pattern {
    if (p.startsWith("*")) return { kind: "suffix", text: p.slice(1) };
    if (p.endsWith("*")) return { kind: "prefix", text: p.slice(0, -1) };
    return { kind: "exact", text: p };
}

/** True when every path `inner` matches is also matched by `outer`. */
export function patternCovers(outer: string, inner: string): boolean {
    const o = parse(outer);
    const i = parse(inner);
    switch (o.kind) {
        case "exact":
            return i.kind === "exact" && i.text === o.text;
        case "prefix":
            // Every request path starts with "/": a prefix "/" covers suffix patterns too.
            return i.kind === "suffix" ? o.text === "/" : i.text.startsWith(o.text);
        case "suffix":
            return i.kind !== "prefix" && i.text.endsWith(o.text);
    }
}

/** True when some request path matches both patterns. */
export function patternsOverlap(a: string, b: string): boolean {
    const x = parse(a);
    const y = parse(b);
    if (x.kind === "exact" && y.kind === "exact") return x.text === y.text;
    if (x.kind === "exact") return patternCovers(b, a);
    if (y.kind === "exact") return patternCovers(a, b);
    if (x.kind === "prefix" && y.kind === "prefix") return x.text.startsWith(y.text) || y.text.startsWith(x.text);
    return true; // prefix vs suffix, suffix vs suffix: some path ends with both
}

/** The Istio path patterns a domain's routes cover (routes match on segment boundaries). */
export function routedPathPatterns(pathPrefix: string): string[] {
    return pathPrefix.endsWith("/") ? [`${pathPrefix}*`] : [pathPrefix, `${pathPrefix}/*`];
}
