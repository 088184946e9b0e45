import * as fs from "fs";
import * as path from "path";
import { MeshSettings } from "../../config/schema";
import { gatewaySelector, IstioObject, istioObject } from "../common/istio";

export const LUA_FILE = path.join(__dirname, "cookie-to-header.lua");
const LUA_SOURCE_FILE = path.resolve(__dirname, "..", "..", "..", "stacks", "auth", "cookie-to-header.lua");

/** The Lua source as committed (works from the TypeScript tree and from the compiled bin/). */
export function luaSource(): string {
    const file = fs.existsSync(LUA_FILE) ? LUA_FILE : LUA_SOURCE_FILE;
    return fs.readFileSync(file, "utf8");
}

const CONFIG_BLOCK = /-- eco2-mesh:config-begin\n[\s\S]*?-- eco2-mesh:config-end\n/;

/** The EnvoyFilter's inline code: the committed file with its three settings filled in. */
export function cookieToHeaderLua(s: MeshSettings): string {
    const src = luaSource();
    if (!CONFIG_BLOCK.test(src)) throw new Error(`${LUA_FILE} lost its eco2-mesh:config markers`);
    const block =
        "-- eco2-mesh:config-begin\n" +
        `local COOKIE_NAME = ${JSON.stringify(s.auth.cookieName)}\n` +
        `local ON_EXISTING_AUTHORIZATION = ${JSON.stringify(s.auth.lua.onExistingAuthorization)}\n` +
        `local REMOVE_COOKIE = ${s.auth.lua.removeCookie ? "true" : "false"}\n` +
        "-- eco2-mesh:config-end\n";
    return src.replace(CONFIG_BLOCK, block);
}

function selector(s: MeshSettings) {
    return { matchLabels: gatewaySelector(s.istio.gateway.name) };
}

/** JWT validation at the gateway. Token locations are explicit: no `access_token` query parameter. */
export function requestAuthenticationObject(s: MeshSettings): IstioObject {
    const a = s.auth;
    const rule: Record<string, unknown> = {
        issuer: a.issuer,
        jwksUri: a.jwksUri,
        fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
        forwardOriginalToken: a.forwardOriginalToken,
        outputClaimToHeaders: a.claimHeaders.map((c) => ({ header: c.header, claim: c.claim })),
    };
    if (a.audiences.length > 0) rule.audiences = [...a.audiences];
    if (a.tokenSource === "native") rule.fromCookies = [a.cookieName];
    return istioObject("RequestAuthentication", "gateway-jwt", s.istio.gateway.namespace, { selector: selector(s), jwtRules: [rule] });
}

/**
 * A RequestAuthentication alone admits requests without a token (istio/istio#50588): these
 * DENY policies reject a request with no principal on every protected or role-only path, and
 * one without the claim value on role-only paths. Public paths are carved out with notPaths.
 */
export function authorizationPolicyObjects(s: MeshSettings): IstioObject[] {
    const a = s.auth;
    const notPaths = a.publicPaths.length > 0 ? { notPaths: [...a.publicPaths] } : {};
    // Browsers send CORS preflight without credentials; let it reach the app's CORS handling.
    const notMethods = a.allowPreflight ? { notMethods: ["OPTIONS"] } : {};
    const out: IstioObject[] = [];
    const guarded = [...a.protectedPaths, ...a.rolePaths.flatMap((r) => r.paths)];
    if (guarded.length > 0) {
        out.push(
            istioObject("AuthorizationPolicy", "require-jwt", s.istio.gateway.namespace, {
                selector: selector(s),
                action: "DENY",
                rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation: { paths: [...new Set(guarded)], ...notPaths, ...notMethods } }] }],
            }),
        );
    }
    a.rolePaths.forEach((r, i) => {
        out.push(
            istioObject("AuthorizationPolicy", `require-${r.claim}-${i}`.toLowerCase().replace(/[^a-z0-9-]/g, "-"), s.istio.gateway.namespace, {
                selector: selector(s),
                action: "DENY",
                rules: [{ to: [{ operation: { paths: [...r.paths], ...notMethods } }], when: [{ key: `request.auth.claims[${r.claim}]`, notValues: [...r.values] }] }],
            }),
        );
    });
    return out;
}

/** ext-authz: one CUSTOM policy per provider declared in istiod's meshConfig (same names). */
export function extAuthzPolicyObjects(s: MeshSettings): IstioObject[] {
    if (!s.auth.extAuthz.enabled) return [];
    return s.auth.extAuthz.providers.map((p) =>
        istioObject("AuthorizationPolicy", `ext-authz-${p.name}`, s.istio.gateway.namespace, {
            selector: selector(s),
            action: "CUSTOM",
            provider: { name: p.name },
            rules: [{ to: [{ operation: { paths: [...p.paths] } }] }],
        }),
    );
}

/**
 * The plan's cookie-to-header EnvoyFilter, with current filter names, INSERT_FIRST on the HTTP
 * connection manager (so ext_authz and jwt_authn see the header; anchoring on jwt_authn is a
 * silent no-op when that filter is absent), and no listener port (the chart may change it).
 */
export function cookieToHeaderFilterObject(s: MeshSettings): IstioObject {
    return istioObject("EnvoyFilter", "cookie-to-header", s.istio.gateway.namespace, {
        workloadSelector: { labels: gatewaySelector(s.istio.gateway.name) },
        configPatches: [
            {
                applyTo: "HTTP_FILTER",
                match: {
                    context: "GATEWAY",
                    listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } } },
                },
                patch: {
                    operation: "INSERT_FIRST",
                    value: {
                        name: "envoy.filters.http.lua",
                        typed_config: {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
                            inlineCode: cookieToHeaderLua(s),
                        },
                    },
                },
            },
        ],
    });
}

/** Headers removed from every request at the gateway: identity headers apps read but Envoy does not strip. */
export function headersToStrip(s: MeshSettings): string[] {
    if (!s.layers.auth) return [];
    const claimHeaders = new Set(s.auth.claimHeaders.map((c) => c.header));
    return s.auth.stripHeaders.filter((h) => !claimHeaders.has(h));
}
