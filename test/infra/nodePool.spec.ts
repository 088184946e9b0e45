import { expect } from "chai";
import { stackValues } from "../harness";
import { RecordedResource } from "../mocks";
import { mockId, recordInfra, T } from "./helpers";

describe("infra: GatewayNodePool (mocks)", () => {
    const dev = stackValues("dev") as any;
    const cpSg: string = dev.cluster.controlPlane.securityGroupId;

    it("is one component with every AWS child parented to it", async () => {
        const rec = await recordInfra("dev");
        const pool = rec.named("gateway-pool");
        expect(pool.type).to.equal("eco2:infra:GatewayNodePool");
        for (const t of [T.sg, T.role, T.profile, T.launchTemplate, T.instance, T.rolePolicy]) {
            for (const r of rec.ofType(t).filter((x) => x.name.startsWith("gateway-pool-"))) expect(r.parent, r.name).to.equal(pool.urn);
        }
        for (const r of rec.resources.filter((x) => x.name.startsWith("gateway-pool-"))) expect(r.name).to.match(/^gateway-pool-[a-z0-9-]+$/);
    });

    describe("security groups", () => {
        let rec: Awaited<ReturnType<typeof recordInfra>>;
        let nodeSg: RecordedResource;
        let lbSg: RecordedResource;
        const rulesOn = (sgId: string) => rec.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sgId);
        before(async () => {
            rec = await recordInfra("dev");
            nodeSg = rec.named("gateway-pool-sg");
            lbSg = rec.named("gateway-lb-sg");
        });

        it("lets the load balancer's group reach the nodes only on the gateway NodePorts (traffic + status)", () => {
            const np = dev.istio.gateway.nodePorts;
            const fromLb = rulesOn(mockId(nodeSg)).filter((r) => r.inputs.referencedSecurityGroupId === mockId(lbSg));
            expect(fromLb.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort]).sort()).to.deep.equal(
                [
                    ["tcp", np.status, np.status],
                    ["tcp", np.http, np.http],
                ].sort(),
            );
            const egress = rec.ofType(T.egress).filter((r) => r.inputs.securityGroupId === mockId(lbSg));
            expect(egress.every((r) => r.inputs.referencedSecurityGroupId === mockId(nodeSg))).to.equal(true);
            expect(egress.map((r) => r.inputs.fromPort).sort()).to.deep.equal([np.status, np.http].sort());
        });

        it("gives both NLB and ALB their own security group, attached to the load balancer", async () => {
            expect(rec.named("gateway-lb-nlb").inputs.securityGroups).to.deep.equal([mockId(lbSg)]);
            const prod = await recordInfra("prod");
            expect(prod.named("gateway-lb-alb").inputs.loadBalancerType).to.equal("application");
            expect(prod.named("gateway-lb-alb").inputs.securityGroups).to.deep.equal([mockId(prod.named("gateway-lb-sg"))]);
        });

        it("opens SSH only from gatewayNodes.sshCidrs, never the world", () => {
            const ssh = rulesOn(mockId(nodeSg)).filter((r) => r.inputs.fromPort === 22);
            expect(ssh.map((r) => r.inputs.cidrIpv4)).to.deep.equal(dev.gatewayNodes.sshCidrs);
            const anyCidr = rec.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === mockId(nodeSg) && r.inputs.cidrIpv4);
            expect(anyCidr.every((r) => r.inputs.fromPort === 22 && r.inputs.cidrIpv4 !== "0.0.0.0/0")).to.equal(true);
        });

        it("lets the control plane reach the kubelet (10250), and the nodes reach the API server (6443) on the existing control-plane group", () => {
            const kubelet = rulesOn(mockId(nodeSg)).filter((r) => r.inputs.fromPort === 10250);
            expect(kubelet).to.have.length(1);
            expect(kubelet[0].inputs).to.include({ ipProtocol: "tcp", toPort: 10250, referencedSecurityGroupId: cpSg });
            const api = rulesOn(cpSg).filter((r) => r.inputs.fromPort === 6443);
            expect(api).to.have.length(1);
            expect(api[0].inputs).to.include({ ipProtocol: "tcp", toPort: 6443, referencedSecurityGroupId: mockId(nodeSg) });
            expect(api[0].inputs.description).to.contain("existing control-plane group");
        });

        it("opens the CNI rules from config both ways between control plane and gateway nodes, and among the gateway nodes", () => {
            const cni = [{ protocol: "tcp", fromPort: 179, toPort: 179 }, { protocol: "udp", fromPort: 4789, toPort: 4789 }, { protocol: "tcp", fromPort: 5473, toPort: 5473 }, { protocol: "4" }];
            const shape = (r: RecordedResource) => JSON.stringify([r.inputs.ipProtocol, r.inputs.fromPort ?? null, r.inputs.toPort ?? null]);
            const expected = cni.map((c) => JSON.stringify([c.protocol, c.fromPort ?? null, c.toPort ?? null])).sort();
            const fromCp = rulesOn(mockId(nodeSg)).filter((r) => r.inputs.referencedSecurityGroupId === cpSg && r.inputs.fromPort !== 10250);
            const toCp = rulesOn(cpSg).filter((r) => r.inputs.referencedSecurityGroupId === mockId(nodeSg) && r.inputs.fromPort !== 6443);
            const peers = rulesOn(mockId(nodeSg)).filter((r) => r.inputs.referencedSecurityGroupId === mockId(nodeSg));
            expect(fromCp.map(shape).sort()).to.deep.equal(expected);
            expect(toCp.map(shape).sort()).to.deep.equal(expected);
            expect(peers.map(shape).sort()).to.deep.equal(expected);
        });

        it("follows a custom cluster.cniRules list and adds the worker groups of cluster.workerSecurityGroupIds", async () => {
            const custom = await recordInfra("dev", {
                "cluster.cniRules": [{ protocol: "udp", fromPort: 8472, toPort: 8472, description: "Flannel VXLAN" }],
                "cluster.workerSecurityGroupIds": ["sg-0123456789abcdef9"],
            });
            const sg = mockId(custom.named("gateway-pool-sg"));
            const cniRules = custom.ofType(T.ingress).filter((r) => r.inputs.description?.startsWith("Flannel VXLAN"));
            expect(cniRules.map((r) => [r.inputs.securityGroupId, r.inputs.referencedSecurityGroupId]).sort()).to.deep.equal(
                [
                    [sg, sg],
                    [sg, cpSg],
                    [sg, "sg-0123456789abcdef9"],
                    [cpSg, sg],
                    ["sg-0123456789abcdef9", sg],
                ].sort(),
            );
            expect(cniRules.every((r) => r.inputs.ipProtocol === "udp" && r.inputs.fromPort === 8472)).to.equal(true);
            expect(custom.ofType(T.ingress).some((r) => r.inputs.description?.startsWith("Calico"))).to.equal(false);
        });
    });

    describe("pod network routing", () => {
        it("encapsulated (default): no rule from the pod CIDR, source/destination check left on", async () => {
            const rec = await recordInfra("dev");
            const sg = mockId(rec.named("gateway-pool-sg"));
            expect(rec.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sg && r.inputs.cidrIpv4 === "192.168.0.0/16")).to.have.length(0);
            expect(rec.ofType("aws:ec2/instance:Instance").every((i) => i.inputs.sourceDestCheck === undefined)).to.equal(true);
        });

        it("native: the gateway nodes accept the pod network and forward pod addresses", async () => {
            const rec = await recordInfra("dev", { "cluster.podNetworkRouting": "native", "cluster.podNetworkCidr": "10.244.0.0/16" });
            const sg = mockId(rec.named("gateway-pool-sg"));
            const pod = rec.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sg && r.inputs.cidrIpv4 === "10.244.0.0/16");
            expect(pod).to.have.length(1);
            expect(pod[0].inputs.ipProtocol).to.equal("-1");
            const nodes = rec.ofType("aws:ec2/instance:Instance");
            expect(nodes.length).to.be.greaterThan(0);
            expect(nodes.every((i) => i.inputs.sourceDestCheck === false)).to.equal(true);
        });
    });

    describe("IAM", () => {
        it("a role only EC2 can assume, with Session Manager only, and no admin or wildcard policy", async () => {
            const rec = await recordInfra("dev");
            const role = rec.named("gateway-pool-role");
            const trust = JSON.parse(role.inputs.assumeRolePolicy);
            expect(trust.Statement).to.deep.equal([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
            const attached = rec.ofType(T.rolePolicy).map((r) => r.inputs.policyArn);
            expect(attached).to.deep.equal(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
            expect(rec.resources.some((r) => r.type.startsWith("aws:iam/rolePolicy:") || r.type.startsWith("aws:iam/policy:"))).to.equal(false);
            expect(rec.named("gateway-pool-profile").inputs.role).to.equal(role.name);
            const withoutSsm = await recordInfra("dev", { "gatewayNodes.ssmAccess": false });
            expect(withoutSsm.ofType(T.rolePolicy)).to.deep.equal([]);
        });
    });

    describe("launch template and instances", () => {
        it("requires IMDSv2 with the configured hop limit", async () => {
            const lt = (await recordInfra("dev", { "gatewayNodes.imdsHopLimit": 1 })).named("gateway-pool-lt");
            expect(lt.inputs.metadataOptions).to.include({ httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 });
            const def = (await recordInfra("dev")).named("gateway-pool-lt");
            expect(def.inputs.metadataOptions.httpPutResponseHopLimit).to.equal(2);
        });

        it("has an encrypted gp3 root volume on the AMI's root device, sized from config", async () => {
            const rec = await recordInfra("prod");
            const [root] = rec.named("gateway-pool-lt").inputs.blockDeviceMappings;
            expect(root.deviceName).to.equal("/dev/sda1");
            expect(root.ebs).to.include({ encrypted: "true", volumeType: "gp3", volumeSize: 50, deleteOnTermination: "true" });
        });

        it("boots the rendered node-bootstrap.sh at the cluster version and uses the node role's profile", async () => {
            const rec = await recordInfra("dev", { "cluster.kubernetesVersion": "1.30.7" });
            const lt = rec.named("gateway-pool-lt");
            const userData = Buffer.from(lt.inputs.userData, "base64").toString("utf8");
            expect(userData).to.contain('KUBERNETES_VERSION="1.30.7"');
            expect(userData).to.contain('KUBERNETES_MINOR="1.30"');
            expect(userData).to.contain("/var/lib/eco2-mesh/bootstrap.done");
            expect(lt.inputs.iamInstanceProfile.arn).to.contain("gateway-pool-profile");
            expect(lt.inputs.imageId).to.equal(dev.gatewayNodes.amiId);
        });

        it("spreads instances round-robin over the subnets, named per environment, private unless asked", async () => {
            const rec = await recordInfra("dev", { "gatewayNodes.count": 3 });
            const nodes = [0, 1, 2].map((i) => rec.named(`gateway-pool-node-${i}`));
            const subnets = dev.gatewayNodes.subnetIds;
            expect(nodes.map((n) => n.inputs.subnetId)).to.deep.equal([subnets[0], subnets[1], subnets[0]]);
            expect(nodes.map((n) => n.inputs.tags.Name)).to.deep.equal(["eco2-dev-gateway-0", "eco2-dev-gateway-1", "eco2-dev-gateway-2"]);
            for (const n of nodes) {
                expect(n.inputs.associatePublicIpAddress).to.equal(false);
                expect(n.inputs.vpcSecurityGroupIds).to.deep.equal([mockId(rec.named("gateway-pool-sg"))]);
                expect(n.inputs.launchTemplate.id).to.equal(mockId(rec.named("gateway-pool-lt")));
            }
            const pub = await recordInfra("dev", { "gatewayNodes.associatePublicIp": true });
            expect(pub.named("gateway-pool-node-0").inputs.associatePublicIpAddress).to.equal(true);
            const prod = await recordInfra("prod");
            expect(prod.ofType(T.instance).map((n) => n.inputs.tags.Name)).to.deep.equal(["eco2-prod-gateway-0", "eco2-prod-gateway-1", "eco2-prod-gateway-2"]);
        });

        it("replaces an instance when its launch template changes, creating the new one before deleting the old", async () => {
            const node = (await recordInfra("dev")).named("gateway-pool-node-0");
            expect(node.replaceOnChanges).to.deep.equal(["launchTemplate"]);
            expect(node.deleteBeforeReplace).to.equal(false);
        });
    });
});
