import { gatewayNodesHaveNoPublicIp, gatewayNodesRequireImdsV2, gatewayRootVolumesAreEncrypted, loadBalancerIsProtectedInStrictEnvironments, noWorldOpenSshOrNodePorts } from "../../policies/rules";
import { FakeResource, UNKNOWN } from "./harness";
import { resourceRuleCases } from "./fixtures";

const LAUNCH_TEMPLATE: FakeResource = {
    type: "aws:ec2/launchTemplate:LaunchTemplate",
    name: "gateway-pool-lt",
    props: {
        imageId: "ami-0c9c942bd7bf113a2",
        instanceType: "t3.medium",
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 },
        blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { volumeSize: 30, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
    },
};
const INSTANCE: FakeResource = {
    type: "aws:ec2/instance:Instance",
    name: "gateway-pool-node-0",
    props: { launchTemplate: { id: "lt-1", version: "1" }, subnetId: "subnet-0a11b22c33d44e5f6", associatePublicIpAddress: false },
};
const SG_RULE: FakeResource = {
    type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    name: "ssh-0",
    props: { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "10.20.0.0/24" },
};
const LEGACY_SG: FakeResource = {
    type: "aws:ec2/securityGroup:SecurityGroup",
    name: "legacy",
    props: { vpcId: "vpc-1", ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] },
};
const SG_RULE_CLASSIC: FakeResource = {
    type: "aws:ec2/securityGroupRule:SecurityGroupRule",
    name: "classic",
    props: { type: "ingress", securityGroupId: "sg-1", protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
};
const LB: FakeResource = {
    type: "aws:lb/loadBalancer:LoadBalancer",
    name: "gateway-lb",
    props: { loadBalancerType: "application", enableDeletionProtection: true, accessLogs: { bucket: "eco2-prod-lb-logs", prefix: "gateway", enabled: true } },
};

describe("policies: aws family", () => {
    resourceRuleCases(gatewayNodesRequireImdsV2, LAUNCH_TEMPLATE, [
        ["httpTokens optional", "metadataOptions.httpTokens", "optional", ['metadataOptions.httpTokens is "optional"; set it to "required" (IMDSv2 only)']],
        ["no metadataOptions", "metadataOptions", undefined, ['metadataOptions.httpTokens is not set (IMDSv1 stays on); set it to "required" (IMDSv2 only)']],
        ["httpTokens unknown at preview", "metadataOptions.httpTokens", UNKNOWN, ["cannot be verified at preview: metadataOptions.httpTokens is unknown"]],
        ["no metadata service at all (httpEndpoint disabled) is safe", "metadataOptions", { httpEndpoint: "disabled" }, []],
    ]);
    describe("gatewayNodesRequireImdsV2 (instances)", () => {
        resourceRuleCases(gatewayNodesRequireImdsV2, INSTANCE, [
            ["an instance without a launch template or metadataOptions", "launchTemplate", undefined, ['metadataOptions.httpTokens is not set (IMDSv1 stays on); set it to "required" (IMDSv2 only)']],
            ["an instance overriding to optional", "metadataOptions", { httpTokens: "optional" }, ['metadataOptions.httpTokens is "optional"; set it to "required" (IMDSv2 only)']],
        ]);
    });

    resourceRuleCases(gatewayRootVolumesAreEncrypted, LAUNCH_TEMPLATE, [
        ["encrypted false", "blockDeviceMappings[0].ebs.encrypted", "false", ["blockDeviceMappings[0].ebs.encrypted is not true; encrypt the volume"]],
        ["no block device mapping", "blockDeviceMappings", undefined, ["maps no EBS root volume with encrypted: true; the AMI's default (unencrypted) root volume would be used"]],
        ["encrypted unknown at preview", "blockDeviceMappings[0].ebs.encrypted", UNKNOWN, ["cannot be verified at preview: blockDeviceMappings[0].ebs.encrypted is unknown"]],
    ]);
    describe("gatewayRootVolumesAreEncrypted (instances)", () => {
        resourceRuleCases(gatewayRootVolumesAreEncrypted, INSTANCE, [
            ["an unencrypted root block device", "rootBlockDevice", { encrypted: false }, ["rootBlockDevice.encrypted is not true; encrypt the root volume"]],
            ["no launch template and no root block device", "launchTemplate", undefined, ["has neither rootBlockDevice.encrypted nor a launch template that encrypts the root volume"]],
            ["an unencrypted extra EBS volume", "ebsBlockDevices", [{ deviceName: "/dev/sdf", encrypted: false }], ["ebsBlockDevices[0].encrypted is not true; encrypt the volume"]],
        ]);
    });

    resourceRuleCases(gatewayNodesHaveNoPublicIp, INSTANCE, [
        [
            "associatePublicIpAddress true",
            "associatePublicIpAddress",
            true,
            ["associatePublicIpAddress is true; gateway nodes must stay private (reach them through the load balancer, SSM or a bastion)"],
        ],
        ["associatePublicIpAddress unknown at preview", "associatePublicIpAddress", UNKNOWN, ["cannot be verified at preview: associatePublicIpAddress is unknown"]],
    ]);
    describe("gatewayNodesHaveNoPublicIp (launch templates)", () => {
        resourceRuleCases(gatewayNodesHaveNoPublicIp, LAUNCH_TEMPLATE, [
            [
                "a network interface with a public IP",
                "networkInterfaces",
                [{ associatePublicIpAddress: "true" }],
                ["networkInterfaces[0].associatePublicIpAddress is true; gateway nodes must stay private"],
            ],
        ]);
    });

    resourceRuleCases(noWorldOpenSshOrNodePorts, SG_RULE, [
        ["SSH from 0.0.0.0/0", "cidrIpv4", "0.0.0.0/0", ["this ingress rule admits 0.0.0.0/0 on tcp 22, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR"]],
        ["SSH from ::/0", "cidrIpv6", "::/0", ["this ingress rule admits ::/0 on tcp 22, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR"]],
        [
            "SSH from half the internet (0.0.0.0/1: the world in two rules)",
            "cidrIpv4",
            "0.0.0.0/1",
            ["this ingress rule admits 0.0.0.0/1 on tcp 22, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR"],
        ],
        ["SSH from a /7", "cidrIpv4", "10.0.0.0/7", ["this ingress rule admits 10.0.0.0/7 on tcp 22, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR"]],
        ["SSH from a /8 is not world-open", "cidrIpv4", "10.0.0.0/8", []],
        ["all protocols from the SSH CIDR", "ipProtocol", "-1", []],
        ["the CIDR unknown at preview", "cidrIpv4", UNKNOWN, ["cannot be verified at preview: cidrIpv4 is unknown"]],
    ]);
    describe("noWorldOpenSshOrNodePorts (world-open variants)", () => {
        const world = { ...SG_RULE, props: { ...SG_RULE.props, cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 } };
        resourceRuleCases(noWorldOpenSshOrNodePorts, world, [
            [
                "all protocols",
                "ipProtocol",
                "-1",
                [
                    "this ingress rule admits 0.0.0.0/0 on all ports, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR",
                    "this ingress rule admits 0.0.0.0/0 on all ports, which opens the NodePort range 30000-32767 to the world; let only the load balancer's security group reach the NodePorts",
                ],
            ],
            ["ICMP is not a port", "ipProtocol", "icmp", []],
            [
                "a range reaching into the NodePorts",
                "toPort",
                31080,
                ["this ingress rule admits 0.0.0.0/0 on tcp 443-31080, which opens the NodePort range 30000-32767 to the world; let only the load balancer's security group reach the NodePorts"],
            ],
        ]);
        resourceRuleCases(noWorldOpenSshOrNodePorts, LEGACY_SG, [
            ["an inline rule on SSH", "ingress[0].fromPort", 22, ["ingress[0] admits 0.0.0.0/0 on tcp 22-443, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR"]],
            [
                'protocol "ALL" in capitals with ports 0-0 (the provider lowercases it: every port)',
                "ingress[0]",
                { protocol: "ALL", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] },
                [
                    "ingress[0] admits 0.0.0.0/0 on all ports, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR",
                    "ingress[0] admits 0.0.0.0/0 on all ports, which opens the NodePort range 30000-32767 to the world; let only the load balancer's security group reach the NodePorts",
                ],
            ],
            ["an inline port unknown at preview", "ingress[0].fromPort", UNKNOWN, ["cannot be verified at preview: ingress[0].fromPort is unknown"]],
            ["an inline CIDR unknown at preview", "ingress[0].cidrBlocks", [UNKNOWN], ["cannot be verified at preview: ingress[0].cidrBlocks[0] is unknown"]],
        ]);
        resourceRuleCases(noWorldOpenSshOrNodePorts, { ...LEGACY_SG, type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", name: "default" }, [
            [
                "the VPC's default group, SSH from the world",
                "ingress[0].fromPort",
                22,
                ["ingress[0] admits 0.0.0.0/0 on tcp 22-443, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR"],
            ],
        ]);
        resourceRuleCases(noWorldOpenSshOrNodePorts, SG_RULE_CLASSIC, [
            ["a SecurityGroupRule on SSH", "fromPort", 22, ["this ingress rule admits 0.0.0.0/0 on tcp 22-80, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR"]],
            ["an egress SecurityGroupRule is not ingress", "type", "egress", []],
            ["a CIDR unknown at preview", "cidrBlocks", [UNKNOWN], ["cannot be verified at preview: cidrBlocks[0] is unknown"]],
        ]);
    });

    const prod = { loadBalancerIsProtectedInStrictEnvironments: { environment: "prod" } };
    resourceRuleCases(
        loadBalancerIsProtectedInStrictEnvironments,
        LB,
        [
            ["no deletion protection", "enableDeletionProtection", false, ["enableDeletionProtection is not true; environment prod requires deletion protection"]],
            ["no access logs", "accessLogs", undefined, ["accessLogs are not enabled with an S3 bucket; environment prod requires access logs"]],
            ["access logs disabled", "accessLogs.enabled", false, ["accessLogs are not enabled with an S3 bucket; environment prod requires access logs"]],
            ["deletion protection unknown at preview", "enableDeletionProtection", UNKNOWN, ["cannot be verified at preview: enableDeletionProtection is unknown"]],
        ],
        prod,
    );
    describe("loadBalancerIsProtectedInStrictEnvironments (dev is not strict)", () => {
        resourceRuleCases(loadBalancerIsProtectedInStrictEnvironments, { ...LB, props: {} }, [["dev: neither is required", "enableDeletionProtection", false, []]], {
            loadBalancerIsProtectedInStrictEnvironments: { environment: "dev" },
        });
    });
    describe("loadBalancerIsProtectedInStrictEnvironments (no config: strict by default)", () => {
        resourceRuleCases(loadBalancerIsProtectedInStrictEnvironments, LB, [
            ["no deletion protection", "enableDeletionProtection", false, ["enableDeletionProtection is not true; environment (unset) requires deletion protection"]],
        ]);
    });
});
