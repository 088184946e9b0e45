import { MeshSettings } from "../../config/schema";
import { READINESS_PATH, STATUS_PORT } from "../../config/defaults";
import { gatewaySelector } from "../common/istio";

// Helm values of the three Istio charts, as pure functions of the settings. The conformance
// tier checks every key against the chart's own values.yaml / values.schema.json.

export type HelmValues = Record<string, unknown>;

export function baseValues(s: MeshSettings): HelmValues {
    const values: HelmValues = { global: { istioNamespace: s.istio.namespace } };
    if (s.istio.crds.source === "file") {
        // The program applies the CRDs itself; the release must not claim them too.
        values.base = { enableCRDTemplates: false };
    }
    return values;
}

/** Tolerations for every `key=value` of a node selector, plus kubeadm's control-plane taint. */
export function controlPlaneTolerations(nodeSelector: Record<string, string>): Record<string, string>[] {
    return [
        ...Object.entries(nodeSelector).map(([key, value]) => ({ key, operator: "Equal", value, effect: "NoSchedule" })),
        { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
    ];
}

/** MeshConfig (https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/). */
export function meshConfig(s: MeshSettings): HelmValues {
    const mc: HelmValues = { enablePrometheusMerge: true };
    if (s.layers.observability && s.observability.accessLogs) {
        mc.accessLogFile = "/dev/stdout";
        mc.accessLogEncoding = "JSON";
    }
    if (s.layers.auth && s.auth.extAuthz.enabled) {
        // The provider names declared here are the ones the CUSTOM policies use (one source).
        mc.extensionProviders = s.auth.extAuthz.providers.map((p) => ({
            name: p.name,
            envoyExtAuthzGrpc: { service: p.service, port: p.port, timeout: p.timeout, failOpen: p.failOpen },
        }));
    }
    return mc;
}

export function istiodValues(s: MeshSettings): HelmValues {
    const nodeSelector = s.cluster.controlPlane?.nodeSelector ?? { role: "control-plane" };
    // Top-level keys: the 1.24+ chart reads them directly (the plan's `pilot.` prefix is a
    // legacy alias the chart folds in).
    return {
        global: { istioNamespace: s.istio.namespace },
        autoscaleEnabled: false,
        replicaCount: s.istio.istiod.replicas,
        nodeSelector: { ...nodeSelector },
        tolerations: controlPlaneTolerations(nodeSelector),
        meshConfig: meshConfig(s),
    };
}

/** The gateway Service ports: the chart's list replaced whole, status port kept, every port pinned. */
export function gatewayServicePorts(s: MeshSettings): { name: string; port: number; protocol: string; targetPort: number; nodePort: number }[] {
    const np = s.istio.gateway.nodePorts;
    return [
        { name: "status-port", port: STATUS_PORT, protocol: "TCP", targetPort: STATUS_PORT, nodePort: np.status },
        { name: "http2", port: 80, protocol: "TCP", targetPort: 80, nodePort: np.http },
        { name: "https", port: 443, protocol: "TCP", targetPort: 443, nodePort: np.https },
    ];
}

export function gatewayTolerations(s: MeshSettings): Record<string, string>[] {
    const t = s.gatewayNodes.taint;
    return [{ key: t.key, operator: "Equal", value: t.value, effect: t.effect }];
}

export function gatewayValues(s: MeshSettings): HelmValues {
    const gw = s.istio.gateway;
    const values: HelmValues = {
        service: { type: "NodePort", ports: gatewayServicePorts(s) },
        nodeSelector: { ...s.gatewayNodes.labels },
        tolerations: gatewayTolerations(s),
        // One gateway pod per node where possible, so losing a node loses one replica.
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: gatewaySelector(gw.name) } }],
        podDisruptionBudget: { minAvailable: gw.minAvailable },
        autoscaling: gw.autoscaling ? { enabled: true, minReplicas: gw.replicas, maxReplicas: gw.maxReplicas, targetCPUUtilizationPercentage: 80 } : { enabled: false },
    };
    if (!gw.autoscaling) values.replicaCount = gw.replicas;
    return values;
}

/** Health check of the load balancer: the status port's readiness endpoint on its NodePort. */
export function gatewayHealthCheck(s: MeshSettings): { port: number; path: string } {
    return { port: s.istio.gateway.nodePorts.status, path: READINESS_PATH };
}
