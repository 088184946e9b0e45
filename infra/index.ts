import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { gatewayHealthCheck } from "../stacks/istio/values";
import { readNodeBootstrapTemplate, renderNodeBootstrap } from "./bootstrap";
import { GatewayLoadBalancer } from "./loadBalancer";
import { NodeJoin } from "./nodeJoin";
import { GatewayNodePool } from "./nodePool";

export { GatewayLoadBalancer } from "./loadBalancer";
export { GatewayNodePool } from "./nodePool";
export { NodeJoin } from "./nodeJoin";

/** What the AWS layers hand to the cluster layers and to the stack outputs. */
export interface InfraOutputs {
    readonly loadBalancerDnsName: pulumi.Output<string>;
    readonly instanceIds: pulumi.Output<string>[];
    readonly privateIps: pulumi.Output<string>[];
    readonly targetGroupArns: Record<string, pulumi.Output<string>>;
    /** Resources the cluster layers wait for (the joined nodes), empty without the join layer. */
    readonly joined: pulumi.Resource[];
    /** Kubernetes Node names of the gateway instances (empty without the join layer). */
    readonly nodeNames: pulumi.Output<string>[];
    readonly nodeSecurityGroupId: pulumi.Output<string>;
    readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
}

/** Refuses a configuration the AWS layers cannot use; config validation should have caught it. */
function required<T>(value: T | undefined, key: string): T {
    if (value === undefined) throw new Error(`eco2-mesh:${key} is required with layers.aws (config validation should have reported it)`);
    return value;
}

/**
 * The AWS gateway tier: node pool → load balancer → (optionally) the join of the nodes to the
 * cluster. The NodePorts, node labels and taint come from the same config keys the gateway's
 * Helm values use (stacks/istio/values.ts), so the two sides cannot drift.
 */
export function deployInfra(cfg: StackConfig): InfraOutputs {
    const { cluster, gatewayNodes: gn, loadBalancer: lbCfg } = cfg;
    const kubernetesVersion = required(cluster.kubernetesVersion, "cluster.kubernetesVersion");
    const controlPlane = required(cluster.controlPlane, "cluster.controlPlane");
    const vpcId = required(cluster.vpcId, "cluster.vpcId");
    const tags = { "eco2-mesh/cluster": cluster.name, "eco2-mesh/managed-by": "pulumi" };

    const pool = new GatewayNodePool("gateway-pool", {
        environment: cfg.environment,
        vpcId,
        subnetIds: gn.subnetIds,
        count: gn.count,
        instanceType: gn.instanceType,
        amiId: required(gn.amiId, "gatewayNodes.amiId"),
        associatePublicIp: gn.associatePublicIp,
        rootVolumeGb: gn.rootVolumeGb,
        imdsHopLimit: gn.imdsHopLimit,
        userData: renderNodeBootstrap(readNodeBootstrapTemplate(cfg.rootDir), kubernetesVersion),
        sshCidrs: gn.sshCidrs,
        sshPort: gn.ssh.port,
        controlPlaneSecurityGroupId: controlPlane.securityGroupId,
        workerSecurityGroupIds: cluster.workerSecurityGroupIds,
        cniRules: cluster.cniRules,
        nativePodNetworkCidr: cluster.podNetworkRouting === "native" ? cluster.podNetworkCidr : undefined,
        ssmAccess: gn.ssmAccess,
        tags,
    });

    const lb = new GatewayLoadBalancer("gateway-lb", {
        environment: cfg.environment,
        type: lbCfg.type,
        internal: lbCfg.internal,
        vpcId,
        subnetIds: lbCfg.subnetIds,
        ingressCidrs: lbCfg.ingressCidrs,
        listeners: lbCfg.listeners,
        certificateArn: lbCfg.certificateArn,
        sslPolicy: lbCfg.sslPolicy,
        deletionProtection: lbCfg.deletionProtection,
        accessLogs: lbCfg.accessLogs,
        nodePorts: cfg.istio.gateway.nodePorts,
        healthCheck: gatewayHealthCheck(cfg),
        cutover: lbCfg.cutover,
        nodeSecurityGroupId: pool.securityGroupId,
        instanceIds: pool.instanceIds,
        tags,
    });

    let join: NodeJoin | undefined;
    if (cfg.layers.join) {
        join = new NodeJoin("gateway-join", {
            environment: cfg.environment,
            nodes: pool.instances.map((n) => ({ instanceId: n.id, privateIp: n.privateIp })),
            controlPlaneHost: controlPlane.host,
            ssh: gn.ssh,
            privateKey: required(cfg.secrets.sshPrivateKey, "sshPrivateKey"),
            kubernetesVersion,
            joinTokenTtl: gn.joinTokenTtl,
            drainTimeout: gn.drainTimeout,
            labels: gn.labels,
            taint: gn.taint,
            networkReady: pool.networkReady,
        });
    }

    return {
        loadBalancerDnsName: lb.dnsName,
        instanceIds: pool.instanceIds,
        privateIps: pool.privateIps,
        targetGroupArns: lb.targetGroupArns,
        joined: join ? [...join.labelled] : [],
        nodeNames: join ? join.nodeNames : [],
        nodeSecurityGroupId: pool.securityGroupId,
        loadBalancerSecurityGroupId: lb.securityGroupId,
    };
}
