import { MeshSettings, Domain } from "../../config/schema";
import { IstioObject, istioObject } from "../common/istio";

/** Annotation on pod templates (and on the namespace) whose value follows the namespace's injection setting. */
export const INJECTION_RESTART_ANNOTATION = "eco2-mesh/sidecar-injection";

export function injectionLabels(injection: boolean): Record<string, string> {
    // Rollback removes the label (plan §5) rather than writing `disabled`, so the namespace
    // returns to exactly its pre-mesh state.
    return injection ? { "istio-injection": "enabled" } : {};
}

/**
 * Pod-template annotation that changes when injection is switched, so the Deployment rolls
 * and its pods gain or lose the sidecar (labelling a namespace alone does not: IST0103).
 */
export function restartAnnotation(injection: boolean): Record<string, string> {
    return { [INJECTION_RESTART_ANNOTATION]: injection ? "enabled" : "disabled" };
}

/** Mesh-wide mTLS lives in the root namespace under the name `default`. */
export function meshPeerAuthentication(s: MeshSettings): IstioObject {
    return istioObject("PeerAuthentication", "default", s.istio.namespace, { mtls: { mode: s.mesh.mtlsMode } });
}

export function domainServiceSpec(dm: Domain): Record<string, unknown> {
    return {
        type: "ClusterIP",
        selector: dm.service.selector ?? { app: dm.service.name },
        ports: [{ name: "http", appProtocol: "http", port: dm.service.port, targetPort: dm.service.targetPort ?? dm.service.port, protocol: "TCP" }],
    };
}

/** One domain per Service (several domains may route different paths to one Service). */
export function domainsByService(domains: readonly Domain[]): Domain[] {
    const seen = new Map<string, Domain>();
    for (const dm of domains) {
        const key = `${dm.namespace}/${dm.service.name}`;
        if (!seen.has(key)) seen.set(key, dm);
    }
    return [...seen.values()];
}
