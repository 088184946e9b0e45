import { arnRegion, MeshSettings } from "../config/schema";
import type { ConfigProblem } from "../config/validate";
import { MIN_KUBERNETES_MINOR, MIN_SSH_PREFIX } from "./defaults";

/**
 * Keys that have a default but must be written out in some configurations: a legacy entry in
 * the cut-over with no weight would send all traffic to the new path (the default, 100) on the
 * first up.
 */
export function explicitAwsKeys(raw: Record<string, unknown>, s: MeshSettings): ConfigProblem[] {
    if (!s.layers.aws) return [];
    const cutover = (raw.loadBalancer as { cutover?: Record<string, unknown> } | undefined)?.cutover;
    if (cutover && typeof cutover === "object" && !("weight" in cutover) && (cutover.dns !== undefined || cutover.legacyTargetGroupArn !== undefined)) {
        return [
            {
                path: "loadBalancer.cutover.weight",
                value: undefined,
                reason: "is not set while the cut-over names a legacy entry; its default (100) would send all traffic to the Istio gateway on the first up",
                fix: "set it explicitly: 0 keeps all traffic on the legacy path, 100 completes the migration",
            },
        ];
    }
    return [];
}

/** Cross-key rules of the AWS layers (gateway nodes, load balancer, join). */
export function awsChecks(s: MeshSettings): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const add = (path: string, value: unknown, reason: string, fix: string) => out.push({ path, value, reason, fix });
    const { layers } = s;
    if (layers.join && !layers.aws) {
        add("layers.join", true, "needs the gateway nodes the aws layer creates", "set layers.aws=true or layers.join=false");
    }
    if (layers.aws) {
        if (!s.cluster.kubernetesVersion)
            add("cluster.kubernetesVersion", undefined, "is required with layers.aws (the nodes install kubelet/kubeadm at it)", 'set it to the cluster\'s version, e.g. "1.31.4" (kubectl version)');
        else if (Number(s.cluster.kubernetesVersion.split(".")[1]) < MIN_KUBERNETES_MINOR)
            add(
                "cluster.kubernetesVersion",
                s.cluster.kubernetesVersion,
                `is older than 1.${MIN_KUBERNETES_MINOR}, the oldest release pkgs.k8s.io has packages for (the gateway nodes install from there)`,
                `upgrade the cluster to 1.${MIN_KUBERNETES_MINOR} or newer first`,
            );
        const cpSg = s.cluster.controlPlane?.securityGroupId;
        s.cluster.workerSecurityGroupIds.forEach((id, i) => {
            if (id === cpSg)
                add(
                    `cluster.workerSecurityGroupIds[${i}]`,
                    id,
                    "is the control-plane security group, which already gets the CNI rules (AWS refuses duplicate rules)",
                    "list only the workers' own groups",
                );
        });
        if (!s.cluster.vpcId) add("cluster.vpcId", undefined, "is required with layers.aws", "set the VPC id of the cluster (vpc-…)");
        if (!s.cluster.controlPlane)
            add(
                "cluster.controlPlane",
                undefined,
                "is required with layers.aws (security group of the control plane, SSH host)",
                "set cluster.controlPlane.host and cluster.controlPlane.securityGroupId",
            );
        if (!s.gatewayNodes.amiId) add("gatewayNodes.amiId", undefined, "is required with layers.aws", "set an Ubuntu AMI id (ami-…) of the region");
        if (s.gatewayNodes.subnetIds.length === 0) add("gatewayNodes.subnetIds", [], "is empty; the nodes need at least one subnet", "list the private subnets (subnet-…) of the gateway nodes");
        const lbSubnets = s.loadBalancer.subnetIds.length;
        const needed = s.loadBalancer.type === "alb" ? 2 : 1;
        if (lbSubnets < needed)
            add(
                "loadBalancer.subnetIds",
                s.loadBalancer.subnetIds,
                `has ${lbSubnets} subnet(s); an ${s.loadBalancer.type.toUpperCase()} needs at least ${needed}`,
                `list ${needed} or more subnets in different availability zones`,
            );
        if (s.loadBalancer.listeners.https && !s.loadBalancer.certificateArn)
            add("loadBalancer.certificateArn", undefined, "is required when loadBalancer.listeners.https is on", "set the ACM certificate ARN, or set loadBalancer.listeners.https=false");
        if (!s.loadBalancer.listeners.http && !s.loadBalancer.listeners.https) add("loadBalancer.listeners", s.loadBalancer.listeners, "turns off every listener", "enable http, https or both");
        const { cutover } = s.loadBalancer;
        const isAlb = s.loadBalancer.type === "alb";
        if (cutover.weight < 100 && !cutover.dns && !(isAlb && cutover.legacyTargetGroupArn)) {
            add(
                "loadBalancer.cutover.dns",
                undefined,
                `is required while cutover.weight is below 100 (got weight ${cutover.weight}): weighted DNS records split the traffic between the legacy entry and this load balancer${isAlb ? " (an ALB can instead forward by weight to cutover.legacyTargetGroupArn, a target group attached to no other load balancer)" : ""}`,
                "set zoneId, recordName, legacyDnsName and legacyZoneId, or set cutover.weight=100",
            );
        }
        if (!isAlb && cutover.legacyTargetGroupArn)
            add(
                "loadBalancer.cutover.legacyTargetGroupArn",
                cutover.legacyTargetGroupArn,
                "is for an ALB's weighted forward; an NLB splits traffic with weighted DNS records",
                "remove it and set cutover.dns",
            );
        if (cutover.dns) {
            const dns = cutover.dns;
            if (dns.legacyDnsName === dns.recordName)
                add(
                    "loadBalancer.cutover.dns.legacyDnsName",
                    dns.legacyDnsName,
                    "is recordName itself: the legacy alias would point at its own record",
                    "set the legacy load balancer's DNS name (describe-load-balancers DNSName)",
                );
            if (dns.legacyZoneId === dns.zoneId && /\.elb\.amazonaws\.com$/.test(dns.legacyDnsName))
                add(
                    "loadBalancer.cutover.dns.legacyZoneId",
                    dns.legacyZoneId,
                    `is the id of your own zone (cutover.dns.zoneId), but ${dns.legacyDnsName} is a load balancer: an alias to it needs the load balancer's canonical hosted zone id, and Route53 refuses the record`,
                    "set CanonicalHostedZoneId of the legacy load balancer (aws elbv2 describe-load-balancers)",
                );
            if (layers.routing && !s.routing.gateway.hosts.some((g) => g === dns.recordName || (g.startsWith("*.") && dns.recordName.endsWith(g.slice(1)))))
                add(
                    "loadBalancer.cutover.dns.recordName",
                    dns.recordName,
                    `is not served by the Istio Gateway (routing.gateway.hosts: ${JSON.stringify(s.routing.gateway.hosts)}): once traffic moves, every request to it gets 404`,
                    "add it to routing.gateway.hosts, or cut over the name the gateway serves",
                );
        }
        // ARNs of another region than each other (or the stack's aws:region, checked where the
        // provider config is read) are refused by the load balancer API half-way through an apply.
        const regions = [
            ["loadBalancer.certificateArn", s.loadBalancer.certificateArn],
            ["loadBalancer.cutover.legacyTargetGroupArn", cutover.legacyTargetGroupArn],
        ].filter((e): e is [string, string] => typeof e[1] === "string");
        if (regions.length === 2 && arnRegion(regions[0][1]) !== arnRegion(regions[1][1]))
            add(
                regions[1][0],
                regions[1][1],
                `is in region ${arnRegion(regions[1][1])}, but ${regions[0][0]} is in ${arnRegion(regions[0][1])}; a load balancer uses resources of its own region only`,
                "use the ARN of the load balancer's region",
            );
        if (isAlb && cutover.dns && cutover.legacyTargetGroupArn)
            add(
                "loadBalancer.cutover.legacyTargetGroupArn",
                cutover.legacyTargetGroupArn,
                "is set together with cutover.dns: the traffic would be split twice, and the legacy share would reach the legacy Ingress both ways",
                "keep one: cutover.dns (the legacy load balancer as it is) or legacyTargetGroupArn (a weighted forward on this ALB)",
            );
    }
    if (layers.aws || layers.join) {
        s.gatewayNodes.sshCidrs.forEach((c, i) => {
            if (c.endsWith("/0")) add(`gatewayNodes.sshCidrs[${i}]`, c, "opens SSH to the whole internet", "list the operators' or the bastion's CIDR instead");
            else if (Number(c.split("/")[1]) < MIN_SSH_PREFIX)
                add(
                    `gatewayNodes.sshCidrs[${i}]`,
                    c,
                    `is wider than a /${MIN_SSH_PREFIX}; a few such ranges open SSH to most of the internet (0.0.0.0/1 and 128.0.0.0/1 are the whole of it)`,
                    "list the operators' or the bastion's CIDR instead",
                );
        });
        if (layers.join && s.gatewayNodes.sshCidrs.length === 0)
            add("gatewayNodes.sshCidrs", [], "is empty, so the join cannot reach the nodes", "list the CIDR the program connects from (or the bastion's)");
    }

    return out;
}
