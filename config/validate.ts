import { z } from "zod";
import * as d from "./defaults";
import { meshConfigSchema, MeshSettings } from "./schema";
import { awsChecks, explicitAwsKeys } from "../infra/validate";
import { patternCovers, patternsOverlap, routedPathPatterns } from "./paths";

export const CONFIG_NAMESPACE = "eco2-mesh";

/** Secret keys: read only as Pulumi secrets, never from plain config. */
export const SECRET_KEYS = ["kubeconfig", "sshPrivateKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

export const TOP_LEVEL_KEYS = Object.keys(meshConfigSchema.shape) as (keyof MeshSettings)[];

export interface ConfigProblem {
    /** Dotted key path below the project namespace, e.g. `loadBalancer.type`. */
    readonly path: string;
    readonly value: unknown;
    readonly reason: string;
    readonly fix: string;
}

/** Every problem of a stack configuration, reported together before any resource exists. */
export class ConfigError extends Error {
    constructor(public readonly problems: readonly ConfigProblem[]) {
        super(`${problems.length} problem(s) in the stack configuration; nothing was created:\n` + problems.map((p) => `  - ${formatProblem(p)}`).join("\n"));
        this.name = "ConfigError";
    }
}

export function formatProblem(p: ConfigProblem): string {
    return `${CONFIG_NAMESPACE}:${bounded(p.path, 200)} ${safeText(p.reason)} (got ${showValue(p.value)}). Fix: ${safeText(p.fix)}`;
}

const KEY_MATERIAL = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^\s*apiVersion:\s*v1\s+(?:[\s\S]*\n)?kind:\s*Config\b|^\s*(token|client-key-data|client-certificate-data):\s*\S/m;
const HIDDEN = "<something that looks like a private key or kubeconfig: set it only with pulumi config set --secret>";

/**
 * Reasons and fixes quote paths and values (a file name, a prefix): a secret pasted into such
 * a key must not come back in the message, and a huge value must not become a huge message.
 */
function safeText(text: string): string {
    if (!KEY_MATERIAL.test(text)) return bounded(text, 600);
    const masked = text.replace(/\([^()]*\)|"[^"]*"/g, (m) => (KEY_MATERIAL.test(m) ? `(${HIDDEN})` : m));
    return KEY_MATERIAL.test(masked) ? `is refused; the message would quote ${HIDDEN.slice(1, -1)}` : bounded(masked, 600);
}

function bounded(text: string, max: number): string {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A short, safe rendering of a config value: bounded in size and depth, key material hidden. */
export function showValue(v: unknown): string {
    if (v === undefined) return "nothing";
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (typeof v === "function") return "a function";
    let text: string;
    try {
        text = JSON.stringify(truncate(v, 4)) ?? String(v);
    } catch {
        text = String(v);
    }
    if (KEY_MATERIAL.test(typeof v === "string" ? v : text)) return HIDDEN;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function truncate(v: unknown, depth: number): unknown {
    if (v === null || typeof v !== "object") return typeof v === "string" && v.length > 200 ? `${v.slice(0, 200)}…` : v;
    if (depth === 0) return Array.isArray(v) ? "[…]" : "{…}";
    if (Array.isArray(v)) return v.slice(0, 10).map((x) => truncate(x, depth - 1));
    return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
            .slice(0, 10)
            .map(([k, x]) => [k, truncate(x, depth - 1)]),
    );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = root;
    for (const key of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[key];
    }
    return cur;
}

function dotted(path: readonly PropertyKey[]): string {
    return path
        .map((k) => (typeof k === "number" ? `[${k}]` : String(k)))
        .join(".")
        .replace(/\.\[/g, "[");
}

function fromZodIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem[] {
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => {
            const path = [...issue.path, key];
            const parent = valueAt(raw, issue.path);
            const known = Object.keys(knownKeysAt(issue.path) ?? {}).join(", ");
            return {
                path: dotted(path),
                value: valueAt(parent, [key]),
                reason: "is not a known key",
                fix: `remove it or correct the spelling${known ? ` (known keys here: ${known})` : ""}`,
            };
        });
    }
    const value = valueAt(raw, issue.path);
    let reason = issue.message;
    let fix = "correct the value";
    switch (issue.code) {
        case "invalid_type":
            if (value === undefined) {
                reason = "is required";
                fix = `set it (expected ${article(issue.expected)})`;
            } else {
                reason = issue.message.startsWith("Invalid input") ? `must be ${article(issue.expected)}` : issue.message;
                fix = `set ${article(issue.expected)}`;
            }
            break;
        case "invalid_value":
            fix = `use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
            break;
        case "too_small":
        case "too_big":
            fix = issue.origin === "array" ? "change the number of entries" : "pick a value in range";
            break;
        case "invalid_format":
            fix = "follow the format in the message";
            break;
        default:
            break;
    }
    return [{ path: dotted(issue.path), value, reason, fix }];
}

/** Keys of the strict object at `path` in the schema, for "known keys" hints. */
function knownKeysAt(path: readonly PropertyKey[]): Record<string, unknown> | undefined {
    let schema: z.ZodType = meshConfigSchema;
    for (const key of path) {
        schema = unwrap(schema);
        if (schema instanceof z.ZodObject) schema = schema.shape[key as string];
        else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
        else return undefined;
        if (!schema) return undefined;
    }
    schema = unwrap(schema);
    return schema instanceof z.ZodObject ? schema.shape : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
    let s: z.ZodType = schema;
    for (let i = 0; i < 10; i++) {
        const def = (s as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def;
        if (!def.innerType) break;
        s = def.innerType;
    }
    return s;
}

function article(type: string): string {
    const name = { int: "whole number", number: "number", object: "map of keys", array: "list", string: "string", boolean: "boolean (true or false)" }[type] ?? type;
    return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

export function istioMinor(version: string): number {
    return Number(version.split(".")[1]);
}

/** Rules that span keys; each names the key a person should change. */
function crossChecks(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const add = (path: string, value: unknown, reason: string, fix: string) => out.push({ path, value, reason, fix });
    const { layers } = s;

    const minor = istioMinor(s.istio.version);
    if (minor < d.MIN_ISTIO_MINOR) {
        add(
            "istio.version",
            s.istio.version,
            `is older than 1.${d.MIN_ISTIO_MINOR} (v1 Istio APIs, RequestAuthentication fromCookies)`,
            `pin 1.${d.MIN_ISTIO_MINOR}.0 or newer, e.g. ${d.DEFAULT_ISTIO_VERSION}`,
        );
    }
    if (minor >= d.MIN_ISTIO_MINOR && !d.TESTED_ISTIO_MINORS.includes(minor) && !s.istio.allowUntestedVersion) {
        const tested = d.TESTED_ISTIO_MINORS.map((m) => `1.${m}.x`).join(" or ");
        add(
            "istio.version",
            s.istio.version,
            `is a release the conformance tier does not check (it checks ${d.CONFORMANCE_ISTIO_VERSIONS.join(" and ")})`,
            `pin ${tested}, or set istio.allowUntestedVersion=true after running the conformance tier against its release files (scripts/fetch-istio-release.sh ${s.istio.version})`,
        );
    }

    out.push(...awsChecks(s));

    const np = s.istio.gateway.nodePorts;
    const seen = new Map<number, string>();
    for (const [k, v] of Object.entries(np)) {
        if (seen.has(v)) add(`istio.gateway.nodePorts.${k}`, v, `is also used by nodePorts.${seen.get(v)}`, "give every gateway port its own NodePort");
        seen.set(v, k);
    }
    const gw = s.istio.gateway;
    if (gw.minAvailable >= gw.replicas)
        add(
            "istio.gateway.minAvailable",
            gw.minAvailable,
            `must be below istio.gateway.replicas (${gw.replicas}), or the PodDisruptionBudget blocks every node drain`,
            `set it to ${Math.max(0, gw.replicas - 1)} or raise replicas`,
        );
    if (gw.autoscaling && gw.maxReplicas < gw.replicas) add("istio.gateway.maxReplicas", gw.maxReplicas, `is below istio.gateway.replicas (${gw.replicas})`, "raise maxReplicas");

    const nsNames = new Set<string>();
    s.mesh.namespaces.forEach((n, i) => {
        if (nsNames.has(n.name)) add(`mesh.namespaces[${i}].name`, n.name, "is listed twice", "list each namespace once");
        nsNames.add(n.name);
        if (n.name === gw.namespace && !n.injection)
            add(
                `mesh.namespaces[${i}].injection`,
                false,
                `would label the gateway namespace ${gw.namespace} istio-injection=disabled, leaving gateway pods with image "auto" (istio/istio#54841)`,
                "remove the gateway namespace from mesh.namespaces or set injection=true",
            );
        if (["kube-system", "kube-public", s.istio.namespace].includes(n.name))
            add(`mesh.namespaces[${i}].name`, n.name, "is a system namespace and must not get sidecars", "list only application namespaces");
    });

    const domainNames = new Set<string>();
    s.routing.domains.forEach((dm, i) => {
        if (domainNames.has(dm.name)) add(`routing.domains[${i}].name`, dm.name, "is used by another domain", "give each domain its own name");
        domainNames.add(dm.name);
        const hosts = dm.hosts ?? s.routing.gateway.hosts;
        if (hosts.length === 0) add(`routing.domains[${i}].hosts`, undefined, "is empty and routing.gateway.hosts is empty too", "set routing.gateway.hosts (or hosts on the domain)");
        for (const h of hosts) {
            if (!hostMatchesAny(h, s.routing.gateway.hosts))
                add(
                    `routing.domains[${i}].hosts`,
                    h,
                    `is not served by the Gateway (routing.gateway.hosts: ${JSON.stringify(s.routing.gateway.hosts)}); the route would never match (IST0132)`,
                    "add the host to routing.gateway.hosts",
                );
        }
        if (layers.mesh && !nsNames.has(dm.namespace))
            add(`routing.domains[${i}].namespace`, dm.namespace, "is not a mesh namespace, so its pods get no sidecar (IST0102)", `add {name: ${dm.namespace}} to mesh.namespaces`);
        if (dm.canary && !dm.canary.header && !dm.canary.cookie && dm.canary.weight === 0)
            add(`routing.domains[${i}].canary`, dm.canary, "sends no traffic to the canary (no header, no cookie, weight 0)", "set canary.header, canary.cookie or canary.weight");
    });
    if (s.routing.gateway.httpsRedirect && !s.routing.gateway.tlsCredentialName)
        add("routing.gateway.httpsRedirect", true, "needs HTTPS on the gateway", "set routing.gateway.tlsCredentialName, or terminate TLS at the load balancer and leave httpsRedirect off");
    if (layers.routing && s.routing.domains.length > 0 && s.routing.gateway.hosts.length === 0) add("routing.gateway.hosts", [], "is empty", "list the public hosts, e.g. api.dev.eco2.app");
    s.routing.gateway.hosts.forEach((h, i) => {
        if (h === "*") add(`routing.gateway.hosts[${i}]`, h, "accepts any Host header on the public gateway", "list the real host names");
    });

    if (layers.auth) {
        if (!s.auth.issuer) add("auth.issuer", undefined, "is required with layers.auth", "set the iss claim of the auth service's tokens");
        if (!s.auth.jwksUri) add("auth.jwksUri", undefined, "is required with layers.auth", "set the auth service's JWKS URL (RS256 public keys)");
        if (s.auth.protectedPaths.length === 0 && s.auth.rolePaths.length === 0)
            add("auth.protectedPaths", [], "is empty, so RequestAuthentication would admit requests without a token (istio/istio#50588)", "list the paths that need a token, or set layers.auth=false");
        const publicSet = new Set(s.auth.publicPaths);
        s.auth.protectedPaths.forEach((p, i) => {
            if (publicSet.has(p)) add(`auth.protectedPaths[${i}]`, p, "is also in auth.publicPaths", "keep the path in one list");
        });
        s.auth.rolePaths.forEach((r, i) =>
            r.paths.forEach((p, j) => {
                if (publicSet.has(p)) add(`auth.rolePaths[${i}].paths[${j}]`, p, "is also in auth.publicPaths", "keep the path in one list");
            }),
        );
        const headers = new Set<string>();
        s.auth.claimHeaders.forEach((c, i) => {
            if (headers.has(c.header)) add(`auth.claimHeaders[${i}].header`, c.header, "is used by another claim", "give each claim its own header");
            headers.add(c.header);
        });
        s.auth.stripHeaders.forEach((h, i) => {
            if (headers.has(h)) add(`auth.stripHeaders[${i}]`, h, "is a claim header; Envoy already removes it from client requests and then sets it from the token", "remove it from stripHeaders");
        });
        const ext = s.auth.extAuthz;
        if (ext.enabled && ext.providers.length === 0) add("auth.extAuthz.providers", [], "is empty while auth.extAuthz.enabled is on", "declare the provider (name, service, port, paths)");
        if (ext.enabled && ext.providers.length > 1 && minor < d.MULTI_CUSTOM_PROVIDER_MINOR)
            add(
                "auth.extAuthz.providers",
                ext.providers.map((p) => p.name),
                `names ${ext.providers.length} CUSTOM providers for the gateway; Istio ${s.istio.version} allows one per workload (istio/istio#57933, lifted in 1.30)`,
                "keep one provider, or pin istio.version 1.30 or newer",
            );
        const providerNames = new Set<string>();
        ext.providers.forEach((p, i) => {
            if (providerNames.has(p.name)) add(`auth.extAuthz.providers[${i}].name`, p.name, "is declared twice", "give each provider its own name");
            providerNames.add(p.name);
            // A domain routes both `/x` and `/x/*`: a provider that checks everything below
            // `/x/` but not `/x` itself lets that one path reach the app unchecked.
            if (!ext.enabled || !layers.routing) return;
            for (const dom of s.routing.domains) {
                const [exact, below] = routedPathPatterns(dom.pathPrefix);
                if (below === undefined) continue;
                const j = p.paths.findIndex((q) => patternCovers(q, below));
                if (j >= 0 && !p.paths.some((q) => patternCovers(q, exact))) {
                    add(
                        `auth.extAuthz.providers[${i}].paths[${j}]`,
                        p.paths[j],
                        `checks the paths below ${exact}/ but not ${exact} itself, which domain ${dom.name} also routes to ${dom.service.name}`,
                        `use "${exact}*", or add "${exact}" to the provider's paths`,
                    );
                }
            }
        });
    }
    out.push(...namespaceChecks(s), ...serviceChecks(s), ...pathChecks(s), ...routeConflicts(s), ...listDuplicates(s), ...extAuthzChecks(s));
    if (s.cluster.podNetworkRouting === "native" && Number(s.cluster.podNetworkCidr.split("/")[1]) < 8) {
        add(
            "cluster.podNetworkCidr",
            s.cluster.podNetworkCidr,
            "is wider than a /8; with podNetworkRouting native the gateway nodes accept every protocol from it",
            "set the cluster's real pod CIDR (kubeadm --pod-network-cidr, e.g. 192.168.0.0/16)",
        );
    }
    s.cluster.cniRules.forEach((r, i) => {
        if (r.fromPort > r.toPort) add(`cluster.cniRules[${i}].toPort`, r.toPort, `is below fromPort (${r.fromPort})`, "swap them, or set toPort >= fromPort");
    });
    const seenHosts = new Set<string>();
    s.routing.gateway.hosts.forEach((h, i) => {
        if (seenHosts.has(h)) add(`routing.gateway.hosts[${i}]`, h, "is listed twice", "list each host once");
        seenHosts.add(h);
    });
    if (layers.auth && !layers.routing && s.auth.stripHeaders.length > 0)
        add(
            "auth.stripHeaders",
            s.auth.stripHeaders,
            "is only enforced by the VirtualServices of layers.routing, which is off: clients could send these headers to the apps",
            "turn layers.routing on, or strip the headers elsewhere and empty the list",
        );
    if (layers.auth && s.auth.jwksUri && s.auth.jwksUri.startsWith("http://")) {
        const host = s.auth.jwksUri.slice("http://".length).split(/[/:]/)[0];
        if (!/\.svc(\.cluster\.local)?$/.test(host))
            add(
                "auth.jwksUri",
                s.auth.jwksUri,
                "fetches signing keys over plain http from outside the cluster (anyone on the path could swap them)",
                "use https, or the auth service's cluster-local name (<svc>.<ns>.svc.cluster.local)",
            );
    }
    return out;
}

const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "default"];

/** The Istio and gateway namespaces are created (and deleted) by the program: never someone else's. */
function namespaceChecks(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const domainNamespaces = new Set(s.routing.domains.map((d) => d.namespace));
    const meshNamespaces = new Map(s.mesh.namespaces.map((n, i) => [n.name, i]));
    for (const [key, ns] of [
        ["istio.namespace", s.istio.namespace],
        ["istio.gateway.namespace", s.istio.gateway.namespace],
    ] as const) {
        if (SYSTEM_NAMESPACES.includes(ns))
            out.push({
                path: key,
                value: ns,
                reason: "is a Kubernetes system namespace; the Istio layer creates and, when removed, deletes its namespaces",
                fix: `use a namespace of its own, e.g. ${key === "istio.namespace" ? "istio-system" : "istio-ingress"}`,
            });
        if (domainNamespaces.has(ns) || meshNamespaces.has(ns))
            out.push({
                path: key,
                value: ns,
                reason: "is an application namespace; removing the Istio layer would delete it with the apps in it",
                fix: `use a namespace of its own, e.g. ${key === "istio.namespace" ? "istio-system" : "istio-ingress"}`,
            });
    }
    if (["istio-base", "istiod"].includes(s.istio.gateway.name))
        out.push({ path: "istio.gateway.name", value: s.istio.gateway.name, reason: "is the name of another Istio Helm release", fix: 'use "istio-ingressgateway"' });
    s.mesh.namespaces.forEach((n, i) => {
        const seen = new Set<string>();
        n.workloads.forEach((w, j) => {
            if (seen.has(w)) out.push({ path: `mesh.namespaces[${i}].workloads[${j}]`, value: w, reason: "is listed twice", fix: "list each Deployment once" });
            seen.add(w);
        });
    });
    return out;
}

/** Several domains may share a Service, but then they must agree on what the Service and its DestinationRule are. */
function serviceChecks(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const first = new Map<string, number>();
    s.routing.domains.forEach((d, i) => {
        const key = `${d.namespace}/${d.service.name}`;
        const j = first.get(key);
        if (j === undefined) {
            first.set(key, i);
            return;
        }
        const o = s.routing.domains[j];
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        const fields: [string, unknown, unknown][] = [
            ["service", d.service, o.service],
            ["connectionPool", d.connectionPool, o.connectionPool],
            ["outlierDetection", d.outlierDetection, o.outlierDetection],
            ["canary", d.canary, o.canary],
        ];
        for (const [f, a, b] of fields) {
            if (!same(a, b))
                out.push({
                    path: `routing.domains[${i}].${f}`,
                    value: a,
                    reason: `differs from routing.domains[${j}] (${o.name}), which routes to the same Service ${key}; one Service has one port and one DestinationRule`,
                    fix: `make them equal, or route to a different Service`,
                });
        }
    });
    return out;
}

/**
 * Every routed path gets an auth decision: protected (or role-only) or deliberately public. A
 * public pattern that covers a whole protected one would switch protection off (it becomes a
 * `notPaths` exception of the DENY policy), so that is refused too.
 */
function pathChecks(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    if (!s.layers.auth) return out;
    const guarded = [
        ...s.auth.protectedPaths.map((p, i) => [p, `auth.protectedPaths[${i}]`] as const),
        ...s.auth.rolePaths.flatMap((r, i) => r.paths.map((p, j) => [p, `auth.rolePaths[${i}].paths[${j}]`] as const)),
    ];
    for (const [p, key] of guarded) {
        const q = s.auth.publicPaths.find((pub) => pub !== p && patternCovers(pub, p));
        if (q) out.push({ path: key, value: p, reason: `is covered by the public path "${q}", which turns its protection off`, fix: "narrow the public path to the login/health paths it is for" });
    }
    s.auth.publicPaths.forEach((q, i) => {
        // A suffix exception (`*.json`) opens that suffix under every protected prefix at once.
        const hit = q.startsWith("*") ? guarded.find(([p]) => patternsOverlap(q, p)) : undefined;
        if (hit)
            out.push({
                path: `auth.publicPaths[${i}]`,
                value: q,
                reason: `opens every protected path ending in "${q.slice(1)}" (it overlaps ${hit[1]} "${hit[0]}")`,
                fix: "list the public paths by their prefix or exact path instead",
            });
    });
    if (!s.layers.routing) return out;
    // A public path that covers everything below a protected domain's prefix opens the domain:
    // only login/health-style paths inside a protected domain may be public.
    s.auth.publicPaths.forEach((q, i) => {
        for (const d of s.routing.domains) {
            const below = routedPathPatterns(d.pathPrefix).find((p) => p.endsWith("*"))!;
            const guard = guarded.find(([p]) => patternCovers(p, below));
            if (guard && q !== guard[0] && patternCovers(q, below)) {
                out.push({
                    path: `auth.publicPaths[${i}]`,
                    value: q,
                    reason: `opens every path below domain ${d.name}'s prefix ${d.pathPrefix} (${below}), which ${guard[1]} "${guard[0]}" protects`,
                    fix: "list only the open endpoints (e.g. the login or health path) as public, or remove the domain from the protected paths if all of it is meant to be open",
                });
                break;
            }
        }
    });
    const decided = [...guarded.map(([p]) => p), ...s.auth.publicPaths];
    s.routing.domains.forEach((d, i) => {
        for (const routed of routedPathPatterns(d.pathPrefix)) {
            if (!decided.some((p) => patternCovers(p, routed))) {
                out.push({
                    path: `routing.domains[${i}].pathPrefix`,
                    value: d.pathPrefix,
                    reason: `routes ${routed} to ${d.service.name}, but no auth.protectedPaths, auth.rolePaths or auth.publicPaths entry covers it`,
                    fix: `add "${d.pathPrefix.endsWith("/") ? d.pathPrefix : `${d.pathPrefix}/`}*" and "${d.pathPrefix}" (or "${d.pathPrefix === "/" ? "/*" : `${d.pathPrefix}*`}") to auth.protectedPaths, or to auth.publicPaths if it is meant to be open`,
                });
                break;
            }
        }
    });
    return out;
}

/**
 * Two domains whose prefixes are equal or nested on one host put two VirtualServices on the same
 * paths; Istio merges them in creation order, so one silently shadows the other (IST0109). A
 * prefix owns itself and everything below it on segment boundaries (`/a` and `/a/…`, as the
 * routes match), so `/api/v1/auth` and `/api/v1/auth/` are the same claim. Linear in the number
 * of domains: each prefix looks up its own ancestors only.
 */
function routeConflicts(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    if (!s.layers.routing) return out;
    const owner = new Map<string, number>();
    const claims: { i: number; host: string; norm: string }[] = [];
    s.routing.domains.forEach((dm, i) => {
        const norm = dm.pathPrefix.replace(/\/+$/, "");
        for (const host of new Set(dm.hosts ?? s.routing.gateway.hosts)) {
            const key = `${host}|${norm}`;
            const j = owner.get(key);
            if (j !== undefined && j !== i) {
                out.push({
                    path: `routing.domains[${i}].pathPrefix`,
                    value: dm.pathPrefix,
                    reason: `claims ${host}${norm || "/"} already claimed by domain ${s.routing.domains[j].name} (IST0109)`,
                    fix: "give each domain its own path prefix per host",
                });
                continue;
            }
            owner.set(key, i);
            claims.push({ i, host, norm });
        }
    });
    for (const { i, host, norm } of claims) {
        const segments = norm.split("/");
        for (let k = segments.length - 1; k >= 1; k--) {
            const ancestor = segments.slice(0, k).join("/");
            const j = owner.get(`${host}|${ancestor}`);
            if (j === undefined || j === i) continue;
            const a = s.routing.domains[j];
            out.push({
                path: `routing.domains[${i}].pathPrefix`,
                value: s.routing.domains[i].pathPrefix,
                reason: `lies inside domain ${a.name}'s prefix ${a.pathPrefix} on ${host}: both VirtualServices match these paths and Istio merges them in creation order, so one silently shadows the other (IST0109)`,
                fix: `give the domains disjoint prefixes, or route ${s.routing.domains[i].pathPrefix} inside domain ${a.name}`,
            });
            break;
        }
    }
    return out;
}

/** A list that names one thing twice becomes two identical AWS rules (refused half-way through an apply) or a silent no-op. */
function listDuplicates(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const lists: [string, readonly unknown[]][] = [
        ["gatewayNodes.sshCidrs", s.gatewayNodes.sshCidrs],
        ["gatewayNodes.subnetIds", s.gatewayNodes.subnetIds],
        ["loadBalancer.subnetIds", s.loadBalancer.subnetIds],
        ["loadBalancer.ingressCidrs", s.loadBalancer.ingressCidrs],
        ["cluster.workerSecurityGroupIds", s.cluster.workerSecurityGroupIds],
        ["cluster.cniRules", s.cluster.cniRules.map((r) => (r.protocol === "4" || r.protocol === "all" ? r.protocol : `${r.protocol}:${r.fromPort}-${r.toPort}`))],
        ["auth.publicPaths", s.auth.publicPaths],
        ["auth.protectedPaths", s.auth.protectedPaths],
        ["auth.audiences", s.auth.audiences],
    ];
    for (const [key, list] of lists) {
        const first = new Map<string, number>();
        list.forEach((v, i) => {
            const k = JSON.stringify(v);
            const j = first.get(k);
            if (j !== undefined)
                out.push({ path: `${key}[${i}]`, value: v, reason: `repeats ${key}[${j}]`, fix: "list each entry once (AWS refuses duplicate security-group rules half-way through an apply)" });
            else first.set(k, i);
        });
    }
    return out;
}

/**
 * ext-authz: the CUSTOM policy's provider must be declared in the mesh config of the istiod that
 * serves the gateway, or Istio denies every request the policy covers (istio/istio#40944); and
 * the gateway sends every covered request's headers (cookie, Authorization) to the provider
 * over plaintext gRPC, so it must be a Service inside the cluster.
 */
function extAuthzChecks(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const ext = s.auth.extAuthz;
    if (!s.layers.auth || !ext.enabled) return out;
    const istiodHere = s.layers.istio && s.istio.releases.istiod;
    if (!istiodHere && !ext.meshConfigOutside) {
        out.push({
            path: "auth.extAuthz.enabled",
            value: true,
            reason: `creates CUSTOM policies for ${ext.providers.map((p) => p.name).join(", ") || "its providers"}, but this stack installs no istiod (layers.istio or istio.releases.istiod is off), so no mesh config declares them and Istio would deny every covered request`,
            fix: "turn layers.istio and istio.releases.istiod on, or declare the providers in your istiod's meshConfig.extensionProviders and set auth.extAuthz.meshConfigOutside=true",
        });
    }
    if (istiodHere && ext.meshConfigOutside) {
        out.push({
            path: "auth.extAuthz.meshConfigOutside",
            value: true,
            reason: "is set, but this stack installs istiod and declares the providers in its mesh config itself",
            fix: "remove it (it is only for an istiod this stack does not install)",
        });
    }
    ext.providers.forEach((p, i) => {
        if (!/\.svc(\.cluster\.local)?$/.test(p.service)) {
            out.push({
                path: `auth.extAuthz.providers[${i}].service`,
                value: p.service,
                reason: "is not a Service inside the cluster; the gateway would send every covered request's cookie and Authorization header to it over plaintext gRPC",
                fix: "use the authz Service's cluster-local name, e.g. auth-api.auth.svc.cluster.local",
            });
        }
    });
    return out;
}

function hostMatchesAny(host: string, gatewayHosts: readonly string[]): boolean {
    return gatewayHosts.some((g) => g === host || g === "*" || (g.startsWith("*.") && host.endsWith(g.slice(1))));
}

/** What `checkSettings` found: the settings when valid, and every problem either way. */
export interface SettingsCheck {
    /** The validated settings; undefined when there is any problem. */
    readonly settings?: MeshSettings;
    /**
     * The settings as far as they parse (when the schema failed, with every offending key
     * dropped so its default applies), for the checks that need a typed object even when
     * there are problems. Never used to deploy.
     */
    readonly partial?: MeshSettings;
    /** Dotted paths that `partial` dropped; later checks skip problems on these keys. */
    readonly dropped: readonly string[];
    readonly problems: ConfigProblem[];
}

/** True when two dotted key paths are the same key or one lies inside the other. */
export function pathsOverlap(a: string, b: string): boolean {
    const within = (x: string, y: string) => x === y || x.startsWith(`${y}.`) || x.startsWith(`${y}[`);
    return within(a, b) || within(b, a);
}

function withoutPaths(raw: Record<string, unknown>, paths: readonly (readonly PropertyKey[])[]): Record<string, unknown> {
    // Copy-on-write along each path only: the rest of the value is shared, never walked (a
    // hostile value may be thousands of levels deep).
    const root: Record<PropertyKey, unknown> = { ...raw };
    for (const p of paths) {
        let cur: unknown = root;
        for (const key of p.slice(0, -1)) {
            const parent = cur as Record<PropertyKey, unknown>;
            const next = parent[key];
            cur = next !== null && typeof next === "object" ? (parent[key] = Array.isArray(next) ? [...next] : { ...next }) : undefined;
            if (cur === undefined) break;
        }
        // Array items stay in place (indices name keys in the messages); only object keys go.
        if (p.length > 0 && cur !== undefined && !Array.isArray(cur)) delete (cur as Record<PropertyKey, unknown>)[p[p.length - 1]];
    }
    return root;
}

/**
 * Validates a raw stack configuration (the values under `eco2-mesh:`), resolving every
 * default, and collects every problem in one pass: when the schema fails, the cross-key
 * checks still run on the config with the offending keys dropped, so one run reports both
 * kinds (problems on the dropped keys themselves are not repeated).
 */
export function checkSettings(raw: Record<string, unknown>): SettingsCheck {
    const parsed = meshConfigSchema.safeParse(raw);
    if (parsed.success) {
        const problems = [...crossChecks(parsed.data), ...explicitAwsKeys(raw, parsed.data)];
        return { settings: problems.length === 0 ? parsed.data : undefined, partial: parsed.data, dropped: [], problems };
    }
    const problems = parsed.error.issues.flatMap((i) => fromZodIssue(i, raw));
    const droppedPaths = parsed.error.issues.flatMap((i) => (i.code === "unrecognized_keys" ? i.keys.map((k) => [...i.path, k]) : [i.path]));
    const dropped = droppedPaths.map(dotted);
    const repaired = meshConfigSchema.safeParse(withoutPaths(raw, droppedPaths));
    if (!repaired.success) return { dropped, problems };
    const seen = new Set(problems.map((p) => p.path));
    for (const p of crossChecks(repaired.data)) {
        if (!seen.has(p.path) && !dropped.some((d) => pathsOverlap(d, p.path))) problems.push(p);
    }
    return { partial: repaired.data, dropped, problems };
}

/** `checkSettings` for callers that want the settings or a ConfigError listing every problem. */
export function validateSettings(raw: Record<string, unknown>): MeshSettings {
    const { settings, problems } = checkSettings(raw);
    if (!settings) throw new ConfigError(problems);
    return settings;
}
