import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isEnvoyFilter } from "../lib/kinds";
import { guard, need, walkStrings } from "../lib/values";

/**
 * Filter names Istio stopped matching in 1.19 (istio PR #45675, istio/istio#29737): a patch
 * anchored on one of them silently does nothing. Value: the current name.
 */
export const REMOVED_FILTER_NAMES: Record<string, string> = {
    "envoy.lua": "envoy.filters.http.lua",
    "envoy.router": "envoy.filters.http.router",
    "envoy.http_connection_manager": "envoy.filters.network.http_connection_manager",
    "envoy.cors": "envoy.filters.http.cors",
    "envoy.fault": "envoy.filters.http.fault",
    "envoy.ext_authz": "envoy.filters.http.ext_authz",
    "envoy.buffer": "envoy.filters.http.buffer",
    "envoy.gzip": "envoy.filters.http.compressor",
    "envoy.grpc_web": "envoy.filters.http.grpc_web",
    "envoy.health_check": "envoy.filters.http.health_check",
    "envoy.rate_limit": "envoy.filters.http.ratelimit",
    "envoy.ratelimit": "envoy.filters.network.ratelimit",
    "envoy.tcp_proxy": "envoy.filters.network.tcp_proxy",
    "envoy.filters.http.jwt_authn.v2": "envoy.filters.http.jwt_authn",
    "envoy.listener.tls_inspector": "envoy.filters.listener.tls_inspector",
    "envoy.listener.original_dst": "envoy.filters.listener.original_dst",
    "envoy.listener.http_inspector": "envoy.filters.listener.http_inspector",
    "envoy.listener.proxy_protocol": "envoy.filters.listener.proxy_protocol",
    "envoy.csrf": "envoy.filters.http.csrf",
    "envoy.grpc_json_transcoder": "envoy.filters.http.grpc_json_transcoder",
    "envoy.grpc_http1_bridge": "envoy.filters.http.grpc_http1_bridge",
    "envoy.ip_tagging": "envoy.filters.http.ip_tagging",
    "envoy.client_ssl_auth": "envoy.filters.network.client_ssl_auth",
    "envoy.echo": "envoy.filters.network.echo",
    "envoy.mongo_proxy": "envoy.filters.network.mongo_proxy",
    "envoy.redis_proxy": "envoy.filters.network.redis_proxy",
};

/** Fields that hold a filter name: `name` anywhere in a patch, and a match's `listenerFilter`. */
const NAME_FIELD = /(^|\.)(name|listenerFilter|subFilter\.name)$/;

/** v2 (and v2alpha) config type URLs: Envoy dropped the v2 API, so a typed_config of one fails to load. */
const V2_TYPE_URL = /^type\.googleapis\.com\/envoy\.config\.filter\.[\w.]+\.v2(alpha\d*)?\./;

export const envoyFiltersUseCurrentFilterNames: ResourceValidationPolicy = {
    name: "envoyFiltersUseCurrentFilterNames",
    description: "EnvoyFilters name Envoy filters by their current names (envoy.filters.http.lua, not envoy.lua; envoy.filters.network.http_connection_manager, not envoy.http_connection_manager).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isEnvoyFilter(args.type)) return;
        guard(report, () => {
            walkStrings(
                need(args.props, "spec.configPatches"),
                "spec.configPatches",
                (path, s) => {
                    if (NAME_FIELD.test(path)) {
                        const current = REMOVED_FILTER_NAMES[s];
                        if (current) report(`${path} is "${s}", a filter name Istio no longer matches (silently a no-op since 1.19); use "${current}"`);
                    } else if (/(^|\.)(@type|type_url|typeUrl)$/.test(path) && V2_TYPE_URL.test(s)) {
                        report(`${path} is "${s}", a v2 config type Envoy no longer loads; use the v3 type (type.googleapis.com/envoy.extensions.filters.…v3.…)`);
                    }
                },
                // Only a name or a type can decide this rule: an unknown Lua body or value cannot.
                (path) => {
                    if (NAME_FIELD.test(path) || /(^|\.)(@type|type_url|typeUrl)$/.test(path)) report(`cannot be verified at preview: ${path} is unknown`);
                },
            );
        });
    },
};
