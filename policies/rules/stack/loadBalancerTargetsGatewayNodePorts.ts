import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { AWS } from "../lib/kinds";
import { gatewayServicePorts, istioReleases } from "../lib/mesh";
import { guard, need } from "../lib/values";

/** Istio's gateway readiness endpoint (`status-port` 15021). */
export const READINESS_PATH = "/healthz/ready";
export const STATUS_PORT = 15021;

function label(r: PolicyResource): string {
    return `${r.type.split(":").pop()} ${r.name}`;
}

/**
 * NodePorts that differ between the gateway Service and the target groups leave every target
 * unhealthy (istio/istio#35348, #28856, #48492); traffic ports stay unhealthy until a Gateway
 * opens them (istio/istio#14861), so health checks go to the status port's readiness path.
 */
export const loadBalancerTargetsGatewayNodePorts: StackValidationPolicy = {
    name: "loadBalancerTargetsGatewayNodePorts",
    description:
        "The load balancer's instance target groups use the gateway Service's NodePorts (gateway Helm values service.ports[].nodePort) and health-check the status port's NodePort at /healthz/ready.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const targetGroups = args.resources.filter((r) => (AWS.targetGroups as readonly string[]).includes(r.type));
        const attachments = args.resources.filter((r) => (AWS.targetGroupAttachments as readonly string[]).includes(r.type));
        if (targetGroups.length === 0) return;
        const gateway = istioReleases(args.resources).gateway;
        if (!gateway) {
            report("the stack has load balancer target groups but no gateway Helm release, so their ports cannot be checked against the gateway Service's NodePorts");
            return;
        }
        let ports: ReturnType<typeof gatewayServicePorts> | undefined;
        guard(
            (m) => report(m, gateway.urn),
            () => {
                ports = gatewayServicePorts(gateway);
            },
            `${label(gateway)}`,
        );
        if (!ports) return;
        const status = ports.find((p) => p.name === "status-port" || p.port === STATUS_PORT);
        const trafficNodePorts = ports.filter((p) => p !== status && p.nodePort !== undefined).map((p) => p.nodePort!);
        if (!status || status.nodePort === undefined) {
            report(`the gateway Helm values pin no nodePort for the status port (${STATUS_PORT}); pin one so the load balancer can health-check it`, gateway.urn);
        }
        for (const tg of targetGroups) {
            guard(
                (m) => report(m, tg.urn),
                () => {
                    const targetType = need(tg.props, "targetType") ?? "instance";
                    if (targetType !== "instance") return;
                    const port = need(tg.props, "port");
                    if (!trafficNodePorts.includes(Number(port))) {
                        report(`${label(tg)} targets port ${port}, which is not a gateway traffic NodePort (${trafficNodePorts.join(", ") || "none pinned"})`, tg.urn);
                    }
                    const hcPort = need(tg.props, "healthCheck.port");
                    const hcPath = need(tg.props, "healthCheck.path");
                    const hcProtocol = need(tg.props, "healthCheck.protocol");
                    if (status?.nodePort !== undefined && String(hcPort) !== String(status.nodePort)) {
                        report(`${label(tg)} health-checks port ${hcPort ?? "traffic-port"}; check the status port's NodePort ${status.nodePort}`, tg.urn);
                    }
                    if (hcPath !== READINESS_PATH) {
                        report(`${label(tg)} health-checks path ${hcPath ?? "(none)"}; use ${READINESS_PATH}`, tg.urn);
                    }
                    if (hcProtocol !== undefined && hcProtocol !== "HTTP") {
                        report(`${label(tg)} health-checks with ${hcProtocol}; the status port answers HTTP`, tg.urn);
                    }
                },
                label(tg),
            );
        }
        for (const a of attachments) {
            guard(
                (m) => report(m, a.urn),
                () => {
                    const port = need(a.props, "port");
                    if (port !== undefined && !trafficNodePorts.includes(Number(port))) {
                        report(`${label(a)} registers targets on port ${port}, which is not a gateway traffic NodePort (${trafficNodePorts.join(", ")})`, a.urn);
                    }
                },
                label(a),
            );
        }
    },
};
