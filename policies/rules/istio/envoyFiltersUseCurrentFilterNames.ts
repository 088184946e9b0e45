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
};

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
                    if (!/(^|\.)name$/.test(path)) return;
                    const current = REMOVED_FILTER_NAMES[s];
                    if (current) report(`${path} is "${s}", a filter name Istio no longer matches (silently a no-op since 1.19); use "${current}"`);
                },
                (path) => report(`cannot be verified at preview: ${path} is unknown`),
            );
        });
    },
};
