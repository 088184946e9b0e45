import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { API_SERVER_PORT, KUBELET_PORT } from "./defaults";

export interface CniRule {
    readonly protocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly description: string;
}

export interface GatewayNodePoolArgs {
    /** Environment name (dev, prod): instance names are `eco2-<environment>-gateway-<i>`. */
    readonly environment: string;
    readonly vpcId: string;
    /** Subnets the instances are spread over, round-robin. */
    readonly subnetIds: readonly string[];
    /** Number of instances; a plain value because it decides how many resources exist. */
    readonly count: number;
    readonly instanceType: string;
    readonly amiId: string;
    /** @default false — nodes sit in private subnets behind the load balancer. */
    readonly associatePublicIp?: boolean;
    readonly rootVolumeGb: number;
    /** IMDSv2 PUT response hop limit. */
    readonly imdsHopLimit: number;
    /** Rendered user data (infra/scripts/node-bootstrap.sh with the version filled in). */
    readonly userData: string;
    /** CIDRs allowed to SSH (the program's runner or bastion); never 0.0.0.0/0. */
    readonly sshCidrs: readonly string[];
    readonly sshPort: number;
    /** Existing security group of the control-plane nodes; gains ingress rules from the gateway nodes. */
    readonly controlPlaneSecurityGroupId: string;
    /** Existing security groups of worker nodes that exchange CNI traffic with the gateway nodes. */
    readonly workerSecurityGroupIds?: readonly string[];
    /** Node-to-node traffic of the cluster's CNI. */
    readonly cniRules: readonly CniRule[];
    /**
     * Set when the CNI routes pod addresses without an overlay: the nodes then accept traffic
     * from the pod network and forward packets that are not addressed to them.
     * @default undefined — encapsulated (IP-in-IP or VXLAN), node addresses only.
     */
    readonly nativePodNetworkCidr?: string;
    /** @default true — AmazonSSMManagedInstanceCore on the node role. */
    readonly ssmAccess?: boolean;
    readonly tags?: Record<string, string>;
}

/** Security-group rule fields for a CNI rule: "all" is -1 and protocol numbers carry no ports. */
export function cniRuleFields(rule: CniRule): { ipProtocol: string; fromPort?: number; toPort?: number } {
    if (rule.protocol === "all") return { ipProtocol: "-1" };
    if (rule.protocol === "tcp" || rule.protocol === "udp") return { ipProtocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort };
    return { ipProtocol: rule.protocol };
}

/** The name a gateway instance carries in AWS (the Name tag). */
export function gatewayInstanceName(environment: string, index: number): string {
    return `eco2-${environment}-gateway-${index}`;
}

/**
 * The dedicated ingress-gateway EC2 nodes: their security group, IAM role and instance profile,
 * a launch template (IMDSv2 only, encrypted gp3 root volume, kubeadm-worker user data) and the
 * instances, spread round-robin over the subnets. They are not in the cluster until NodeJoin
 * runs; the load balancer reaches them through rules GatewayLoadBalancer adds to `securityGroupId`.
 */
export class GatewayNodePool extends pulumi.ComponentResource {
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly launchTemplateId: pulumi.Output<string>;
    public readonly instanceIds: pulumi.Output<string>[];
    public readonly privateIps: pulumi.Output<string>[];
    /** The instances themselves, for components that run commands on them. */
    public readonly instances: aws.ec2.Instance[];
    /** Rules the join needs in place first: SSH to the nodes, the nodes to the API server. */
    public readonly networkReady: pulumi.Resource[] = [];

    constructor(name: string, args: GatewayNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:infra:GatewayNodePool", name, {}, opts);
        const child = { parent: this };
        const tags = { ...(args.tags ?? {}), "eco2-mesh/environment": args.environment, "eco2-mesh/role": "ingress-gateway" };

        // Rules are separate resources (aws.vpc.*Rule): inline rules and rule resources on the
        // same group fight over it, and the control-plane group is not ours to own whole.
        const sg = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.vpcId,
                description: `eco2-mesh ${args.environment} ingress-gateway nodes`,
                tags: { ...tags, Name: `eco2-${args.environment}-gateway-nodes` },
            },
            child,
        );
        this.securityGroupId = sg.id;

        args.sshCidrs.forEach((cidr, i) => {
            this.networkReady.push(
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-ssh-${i}`,
                    {
                        securityGroupId: sg.id,
                        description: "SSH for the kubeadm join (operators / bastion)",
                        ipProtocol: "tcp",
                        fromPort: args.sshPort,
                        toPort: args.sshPort,
                        cidrIpv4: cidr,
                    },
                    child,
                ),
            );
        });

        new aws.vpc.SecurityGroupIngressRule(
            `${name}-kubelet-from-control-plane`,
            {
                securityGroupId: sg.id,
                description: "kubelet API from the control plane (logs, exec, port-forward)",
                ipProtocol: "tcp",
                fromPort: KUBELET_PORT,
                toPort: KUBELET_PORT,
                referencedSecurityGroupId: args.controlPlaneSecurityGroupId,
            },
            child,
        );

        // This rule is added to the EXISTING control-plane security group (not created by this
        // program); deleting the stack removes only the rule, never the group.
        this.networkReady.push(
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-apiserver-from-gateway`,
                {
                    securityGroupId: args.controlPlaneSecurityGroupId,
                    description: "kube-apiserver from the eco2-mesh gateway nodes (added to the existing control-plane group)",
                    ipProtocol: "tcp",
                    fromPort: API_SERVER_PORT,
                    toPort: API_SERVER_PORT,
                    referencedSecurityGroupId: sg.id,
                },
                child,
            ),
        );

        // CNI both ways between the gateway nodes and every other node group, and among the
        // gateway nodes themselves (a gateway pod talks to pods on its peers and on the workers).
        const peers: { role: string; id: string }[] = [
            { role: "control-plane", id: args.controlPlaneSecurityGroupId },
            ...(args.workerSecurityGroupIds ?? []).map((id, i) => ({ role: `workers-${i}`, id })),
        ];
        args.cniRules.forEach((rule, r) => {
            const fields = cniRuleFields(rule);
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-cni-${r}-from-gateway`,
                {
                    securityGroupId: sg.id,
                    description: `${rule.description} between gateway nodes`,
                    ...fields,
                    referencedSecurityGroupId: sg.id,
                },
                child,
            );
            for (const peer of peers) {
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-cni-${r}-from-${peer.role}`,
                    {
                        securityGroupId: sg.id,
                        description: `${rule.description} from ${peer.role}`,
                        ...fields,
                        referencedSecurityGroupId: peer.id,
                    },
                    child,
                );
                // Added to the existing group of that node role.
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-cni-${r}-to-${peer.role}`,
                    {
                        securityGroupId: peer.id,
                        description: `${rule.description} from eco2-mesh gateway nodes`,
                        ...fields,
                        referencedSecurityGroupId: sg.id,
                    },
                    child,
                );
            }
        });

        if (args.nativePodNetworkCidr) {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-pod-network`,
                {
                    securityGroupId: sg.id,
                    description: "pods on other nodes (the CNI routes pod addresses natively, no overlay)",
                    ipProtocol: "-1",
                    cidrIpv4: args.nativePodNetworkCidr,
                },
                child,
            );
        }

        // Egress is open: the nodes pull packages (pkgs.k8s.io, Ubuntu mirrors) and images
        // (registry.k8s.io, docker.io for Istio) through the VPC's NAT, and the target set is
        // not a fixed list of CIDRs. Inbound is what the rules above restrict.
        this.networkReady.push(
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-egress`,
                {
                    securityGroupId: sg.id,
                    description: "packages, images, API server, CNI",
                    ipProtocol: "-1",
                    cidrIpv4: "0.0.0.0/0",
                },
                child,
            ),
        );

        const partition = aws.getPartitionOutput({}, child).partition;
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: `eco2-mesh ${args.environment} ingress-gateway nodes`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags,
            },
            child,
        );
        this.roleArn = role.arn;
        // Only Session Manager, and only when asked: the kubelet authenticates to the cluster with
        // its own certificate, and the gateway's images are public (no ECR pull rights needed).
        if (args.ssmAccess ?? true) {
            new aws.iam.RolePolicyAttachment(
                `${name}-ssm`,
                {
                    role: role.name,
                    policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
                },
                child,
            );
        }
        const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags }, child);

        // Deprecated AMIs are hidden from lookups by default; a pinned, older Ubuntu image is still ours to use.
        const ami = aws.ec2.getAmiOutput({ filters: [{ name: "image-id", values: [args.amiId] }], includeDeprecated: true }, child);
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-lt`,
            {
                description: `eco2-mesh ${args.environment} ingress-gateway node`,
                imageId: args.amiId,
                instanceType: args.instanceType,
                iamInstanceProfile: { arn: profile.arn },
                metadataOptions: {
                    httpEndpoint: "enabled",
                    httpTokens: "required",
                    httpPutResponseHopLimit: args.imdsHopLimit,
                    instanceMetadataTags: "disabled",
                },
                blockDeviceMappings: [
                    {
                        // The AMI decides its root device name (/dev/sda1 on Ubuntu, /dev/xvda elsewhere).
                        deviceName: ami.rootDeviceName,
                        ebs: { volumeSize: args.rootVolumeGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
                    },
                ],
                userData: Buffer.from(args.userData, "utf8").toString("base64"),
                updateDefaultVersion: true,
                tagSpecifications: [{ resourceType: "volume", tags }],
                tags,
            },
            child,
        );
        this.launchTemplateId = launchTemplate.id;

        this.instances = [];
        for (let i = 0; i < args.count; i++) {
            const instanceName = gatewayInstanceName(args.environment, i);
            this.instances.push(
                new aws.ec2.Instance(
                    `${name}-node-${i}`,
                    {
                        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((v) => `${v}`) },
                        subnetId: args.subnetIds[i % args.subnetIds.length],
                        associatePublicIpAddress: args.associatePublicIp ?? false,
                        vpcSecurityGroupIds: [sg.id],
                        // Without an overlay a node sends and receives packets for its pods' addresses,
                        // which EC2 drops unless the source/destination check is off.
                        ...(args.nativePodNetworkCidr ? { sourceDestCheck: false } : {}),
                        tags: { ...tags, Name: instanceName },
                        volumeTags: { ...tags, Name: instanceName },
                    },
                    {
                        ...child,
                        // User data only runs at first boot: a new template version (another Kubernetes
                        // version, AMI, size) means a new instance. Created before the old one is deleted:
                        // the new node joins under its own name (the instance id is part of it) while the
                        // old one still serves, and NodeJoin's delete then drains and removes the old Node.
                        replaceOnChanges: ["launchTemplate"],
                        deleteBeforeReplace: false,
                    },
                ),
            );
        }
        this.instanceIds = this.instances.map((n) => n.id);
        this.privateIps = this.instances.map((n) => n.privateIp);

        this.registerOutputs({
            securityGroupId: this.securityGroupId,
            roleArn: this.roleArn,
            launchTemplateId: this.launchTemplateId,
            instanceIds: this.instanceIds,
            privateIps: this.privateIps,
        });
    }
}
