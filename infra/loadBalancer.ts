import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { HTTP_PORT, HTTPS_PORT, DEREGISTRATION_DELAY_SECONDS } from "./defaults";

export type LoadBalancerType = "nlb" | "alb";

export interface CutoverDns {
    readonly zoneId: string;
    readonly recordName: string;
    readonly legacyDnsName: string;
    readonly legacyZoneId: string;
}

export interface GatewayLoadBalancerArgs {
    readonly environment: string;
    readonly type: LoadBalancerType;
    readonly internal: boolean;
    readonly vpcId: string;
    readonly subnetIds: readonly string[];
    /** Client CIDRs the listeners accept. */
    readonly ingressCidrs: readonly string[];
    readonly listeners: { readonly http: boolean; readonly https: boolean };
    readonly certificateArn?: string;
    readonly sslPolicy: string;
    readonly deletionProtection: boolean;
    readonly accessLogs?: { readonly bucket: string; readonly prefix: string };
    /**
     * The gateway Service's fixed NodePorts (`istio.gateway.nodePorts`, the one copy of the
     * numbers): `http` receives the traffic, `status` answers the health check.
     */
    readonly nodePorts: { readonly http: number; readonly https: number; readonly status: number };
    /** From gatewayHealthCheck (stacks/istio/values.ts): the status NodePort and /healthz/ready. */
    readonly healthCheck: { readonly port: number; readonly path: string };
    /** Traffic split with the legacy Ingress (plan §5). */
    readonly cutover: { readonly weight: number; readonly legacyTargetGroupArn?: string; readonly dns?: CutoverDns };
    /** Security group of the gateway nodes; gains ingress from the load balancer on the NodePorts. */
    readonly nodeSecurityGroupId: pulumi.Input<string>;
    /** The gateway instances; one attachment per instance per target group. */
    readonly instanceIds: readonly pulumi.Input<string>[];
    readonly tags?: Record<string, string>;
}

/** Target group role → NodePort. TLS ends at the load balancer, so traffic goes to the plain-HTTP NodePort. */
export function targetGroupPorts(nodePorts: GatewayLoadBalancerArgs["nodePorts"]): Record<string, number> {
    return { http: nodePorts.http };
}

/** Every NodePort the load balancer opens towards the nodes: its target groups' ports and the health check's. */
export function nodePortsReachedByLoadBalancer(nodePorts: GatewayLoadBalancerArgs["nodePorts"], healthCheckPort: number): number[] {
    return [...new Set([...Object.values(targetGroupPorts(nodePorts)), healthCheckPort])].sort((a, b) => a - b);
}

/**
 * An ALB listener action that splits traffic between the Istio gateway and the legacy Ingress
 * by weight (0 = all legacy, 100 = all Istio). A weight-0 target group stays in the action, so
 * moving the weight is the only change a rollback or a completion needs. AWS associates a
 * target group with one load balancer only (quota "Load balancers per target group: 1"), so
 * the legacy group must not be attached to the legacy ALB; otherwise use the DNS cut-over.
 */
export function weightedForward(istioTargetGroupArn: pulumi.Input<string>, weight: number, legacyTargetGroupArn?: string): aws.types.input.lb.ListenerDefaultAction {
    if (!legacyTargetGroupArn) return { type: "forward", targetGroupArn: istioTargetGroupArn };
    return {
        type: "forward",
        forward: {
            targetGroups: [
                { arn: istioTargetGroupArn, weight },
                { arn: legacyTargetGroupArn, weight: 100 - weight },
            ],
        },
    };
}

/** Route53 weights of the two alias records (same scale as the ALB weights). */
export function dnsWeights(weight: number): { istio: number; legacy: number } {
    return { istio: weight, legacy: 100 - weight };
}

/**
 * The load balancer in front of the gateway nodes: NLB (TCP 80, TLS 443) or ALB (HTTP 80 with a
 * redirect, HTTPS 443), instance target groups on the gateway's fixed NodePorts with the
 * gateway's readiness check, its own security group, and the cut-over with the legacy Ingress:
 * weighted Route53 alias records in front of either type, or an ALB weighted forward.
 */
export class GatewayLoadBalancer extends pulumi.ComponentResource {
    public readonly dnsName: pulumi.Output<string>;
    public readonly zoneId: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly targetGroupArns: Record<string, pulumi.Output<string>>;
    public readonly listenerArns: pulumi.Output<string>[];

    constructor(name: string, args: GatewayLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:infra:GatewayLoadBalancer", name, {}, opts);
        const child = { parent: this };
        const tags = { ...(args.tags ?? {}), "eco2-mesh/environment": args.environment };
        const isAlb = args.type === "alb";
        const listenerPorts = [...(args.listeners.http ? [HTTP_PORT] : []), ...(args.listeners.https ? [HTTPS_PORT] : [])];

        // NLBs accept a security group only when created with one (it cannot be added later), so
        // both types get theirs from the start; the nodes then trust this group, not client CIDRs.
        const sg = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.vpcId,
                description: `eco2-mesh ${args.environment} gateway load balancer`,
                tags: { ...tags, Name: `eco2-${args.environment}-gateway-lb` },
            },
            child,
        );
        this.securityGroupId = sg.id;
        args.ingressCidrs.forEach((cidr, c) => {
            for (const port of listenerPorts) {
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-clients-${c}-${port}`,
                    {
                        securityGroupId: sg.id,
                        description: `clients on ${port}`,
                        ipProtocol: "tcp",
                        fromPort: port,
                        toPort: port,
                        cidrIpv4: cidr,
                    },
                    child,
                );
            }
        });
        for (const port of nodePortsReachedByLoadBalancer(args.nodePorts, args.healthCheck.port)) {
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-to-nodes-${port}`,
                {
                    securityGroupId: sg.id,
                    description: `gateway NodePort ${port}`,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    referencedSecurityGroupId: args.nodeSecurityGroupId,
                },
                child,
            );
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-nodeport-${port}`,
                {
                    securityGroupId: args.nodeSecurityGroupId,
                    description: `gateway NodePort ${port} from the load balancer`,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    referencedSecurityGroupId: sg.id,
                },
                child,
            );
        }

        // Named by its type: switching between NLB and ALB replaces the load balancer anyway.
        const lb = new aws.lb.LoadBalancer(
            `${name}-${args.type}`,
            {
                loadBalancerType: isAlb ? "application" : "network",
                internal: args.internal,
                subnets: [...args.subnetIds],
                securityGroups: [sg.id],
                enableDeletionProtection: args.deletionProtection,
                accessLogs: args.accessLogs ? { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true } : undefined,
                // ALB: requests with header names Envoy would reject never reach the gateway.
                dropInvalidHeaderFields: isAlb ? true : undefined,
                // NLB: the node subnets need not match the load balancer's AZs.
                enableCrossZoneLoadBalancing: isAlb ? undefined : true,
                tags: { ...tags, Name: `eco2-${args.environment}-gateway` },
            },
            child,
        );
        this.dnsName = lb.dnsName;
        this.zoneId = lb.zoneId;
        this.arn = lb.arn;

        this.targetGroupArns = {};
        const targetGroups: Record<string, aws.lb.TargetGroup> = {};
        for (const [role, port] of Object.entries(targetGroupPorts(args.nodePorts))) {
            const tg = new aws.lb.TargetGroup(
                `${name}-tg-${role}`,
                {
                    targetType: "instance",
                    vpcId: args.vpcId,
                    port,
                    protocol: isAlb ? "HTTP" : "TCP",
                    deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
                    healthCheck: {
                        enabled: true,
                        protocol: "HTTP",
                        port: `${args.healthCheck.port}`,
                        path: args.healthCheck.path,
                        matcher: "200",
                    },
                    tags: { ...tags, Name: `eco2-${args.environment}-gateway-${role}` },
                },
                child,
            );
            targetGroups[role] = tg;
            this.targetGroupArns[role] = tg.arn;
            args.instanceIds.forEach((instanceId, i) => {
                new aws.lb.TargetGroupAttachment(`${name}-tg-${role}-node-${i}`, { targetGroupArn: tg.arn, targetId: instanceId, port }, child);
            });
        }
        const istioTargetGroup = targetGroups.http;
        const serve = isAlb ? weightedForward(istioTargetGroup.arn, args.cutover.weight, args.cutover.legacyTargetGroupArn) : { type: "forward", targetGroupArn: istioTargetGroup.arn };

        const listeners: aws.lb.Listener[] = [];
        if (args.listeners.http) {
            const redirect = isAlb && args.listeners.https;
            listeners.push(
                new aws.lb.Listener(
                    `${name}-listener-http`,
                    {
                        loadBalancerArn: lb.arn,
                        port: HTTP_PORT,
                        protocol: isAlb ? "HTTP" : "TCP",
                        defaultActions: [redirect ? { type: "redirect", redirect: { protocol: "HTTPS", port: `${HTTPS_PORT}`, statusCode: "HTTP_301" } } : serve],
                        tags,
                    },
                    child,
                ),
            );
        }
        if (args.listeners.https) {
            listeners.push(
                new aws.lb.Listener(
                    `${name}-listener-https`,
                    {
                        loadBalancerArn: lb.arn,
                        port: HTTPS_PORT,
                        protocol: isAlb ? "HTTPS" : "TLS",
                        certificateArn: args.certificateArn,
                        sslPolicy: args.sslPolicy,
                        defaultActions: [serve],
                        tags,
                    },
                    child,
                ),
            );
        }
        this.listenerArns = listeners.map((l) => l.arn);

        // DNS cut-over (NLB, or an ALB whose legacy Ingress is its own load balancer): two alias
        // records of one name, weighted. Both always exist, so weight 0 on either side is a valid
        // record that a rollback only has to re-weight.
        if (args.cutover.dns) {
            const dns = args.cutover.dns;
            const weights = dnsWeights(args.cutover.weight);
            const targets = [
                { side: "legacy", weight: weights.legacy, alias: { name: pulumi.output(dns.legacyDnsName), zoneId: pulumi.output(dns.legacyZoneId) } },
                { side: "istio", weight: weights.istio, alias: { name: lb.dnsName, zoneId: lb.zoneId } },
            ] as const;
            for (const t of targets) {
                new aws.route53.Record(
                    `${name}-dns-${t.side}`,
                    {
                        zoneId: dns.zoneId,
                        name: dns.recordName,
                        type: "A",
                        setIdentifier: t.side,
                        weightedRoutingPolicies: [{ weight: t.weight }],
                        aliases: [{ ...t.alias, evaluateTargetHealth: true }],
                    },
                    child,
                );
            }
        }

        this.registerOutputs({
            dnsName: this.dnsName,
            zoneId: this.zoneId,
            arn: this.arn,
            securityGroupId: this.securityGroupId,
            targetGroupArns: this.targetGroupArns,
            listenerArns: this.listenerArns,
        });
    }
}
