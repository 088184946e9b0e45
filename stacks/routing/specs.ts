import { Domain, MeshSettings } from "../../config/schema";
import { gatewaySelector, IstioObject, istioObject, serviceHost } from "../common/istio";

/** `<namespace>/<name>`: a bare name from another namespace resolves to nothing (istio/istio#18225). */
export function gatewayRef(s: MeshSettings): string {
    return `${s.istio.gateway.namespace}/${s.routing.gateway.name}`;
}

export function gatewayObject(s: MeshSettings): IstioObject {
    const g = s.routing.gateway;
    const servers: Record<string, unknown>[] = [
        {
            port: { number: 80, name: "http", protocol: "HTTP" },
            hosts: [...g.hosts],
            ...(g.httpsRedirect ? { tls: { httpsRedirect: true } } : {}),
        },
    ];
    if (g.tlsCredentialName) {
        servers.push({
            port: { number: 443, name: "https", protocol: "HTTPS" },
            hosts: [...g.hosts],
            tls: { mode: "SIMPLE", credentialName: g.tlsCredentialName },
        });
    }
    return istioObject("Gateway", g.name, s.istio.gateway.namespace, { selector: gatewaySelector(s.istio.gateway.name), servers });
}

function cookieRegex(name: string, value: string): string {
    const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return `^(.*?;\\s*)?${esc(name)}=${esc(value)}(;.*)?$`;
}

/** The URI matches of a domain's path prefix, on segment boundaries. */
export function routeMatches(pathPrefix: string): Record<string, string>[] {
    if (pathPrefix.endsWith("/")) return [{ prefix: pathPrefix }];
    return [{ exact: pathPrefix }, { prefix: `${pathPrefix}/` }];
}

/** One VirtualService per domain: path prefix → service:port, timeout, retries, canary. */
export function virtualServiceObject(s: MeshSettings, dm: Domain, stripHeaders: readonly string[]): IstioObject {
    const host = serviceHost(dm.service.name, dm.namespace);
    // Match on path-segment boundaries: `/api/v1/scan` and `/api/v1/scan/...`, never
    // `/api/v1/scanner` (a plain string prefix would route paths no auth rule names).
    const uris = routeMatches(dm.pathPrefix);
    const dest = (subset?: string) => ({ host, port: { number: dm.service.port }, ...(subset ? { subset } : {}) });
    const common = {
        timeout: dm.timeout,
        retries: { attempts: dm.retries.attempts, perTryTimeout: dm.retries.perTryTimeout, retryOn: dm.retries.retryOn },
        ...(stripHeaders.length > 0 ? { headers: { request: { remove: [...stripHeaders] } } } : {}),
    };
    const http: Record<string, unknown>[] = [];
    const c = dm.canary;
    if (c?.header) {
        http.push({
            name: `${dm.name}-canary-header`,
            match: uris.map((uri) => ({ uri, headers: { [c.header!.name]: { exact: c.header!.exact } } })),
            route: [{ destination: dest("canary") }],
            ...common,
        });
    }
    if (c?.cookie) {
        http.push({
            name: `${dm.name}-canary-cookie`,
            match: uris.map((uri) => ({ uri, headers: { cookie: { regex: cookieRegex(c.cookie!.name, c.cookie!.value) } } })),
            route: [{ destination: dest("canary") }],
            ...common,
        });
    }
    const route = c
        ? c.weight > 0
            ? [
                  { destination: dest("stable"), weight: 100 - c.weight },
                  { destination: dest("canary"), weight: c.weight },
              ]
            : [{ destination: dest("stable") }]
        : [{ destination: dest() }];
    http.push({ name: dm.name, match: uris.map((uri) => ({ uri })), route, ...common });
    return istioObject("VirtualService", dm.name, dm.namespace, {
        hosts: [...(dm.hosts ?? s.routing.gateway.hosts)],
        gateways: [gatewayRef(s)],
        http,
    });
}

export function destinationRuleObject(dm: Domain): IstioObject {
    const spec: Record<string, unknown> = {
        host: serviceHost(dm.service.name, dm.namespace),
        trafficPolicy: {
            connectionPool: {
                tcp: { maxConnections: dm.connectionPool.maxConnections },
                http: { http1MaxPendingRequests: dm.connectionPool.http1MaxPendingRequests, http2MaxRequests: dm.connectionPool.http2MaxRequests },
            },
            outlierDetection: {
                consecutive5xxErrors: dm.outlierDetection.consecutive5xxErrors,
                interval: dm.outlierDetection.interval,
                baseEjectionTime: dm.outlierDetection.baseEjectionTime,
                maxEjectionPercent: dm.outlierDetection.maxEjectionPercent,
            },
        },
    };
    if (dm.canary) {
        spec.subsets = [
            { name: "stable", labels: { version: dm.canary.stableVersion } },
            { name: "canary", labels: { version: dm.canary.canaryVersion } },
        ];
    }
    // Named after the Service: domains that share a Service share its one DestinationRule.
    return istioObject("DestinationRule", dm.service.name, dm.namespace, spec);
}
