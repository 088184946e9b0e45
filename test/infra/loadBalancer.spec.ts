import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { stackValues } from "../harness";
import { dnsWeights, weightedForward } from "../../infra/loadBalancer";
import { mockArn, mockId, recordInfra, T } from "./helpers";

describe("infra: GatewayLoadBalancer (mocks)", () => {
    const dev = stackValues("dev") as any;
    const prod = stackValues("prod") as any;
    // A target group attached to no other load balancer (AWS allows one per target group).
    const legacyTg = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/eco2-prod-legacy/0123456789abcdef";
    const forwardCutover = (weight: number) => ({ "loadBalancer.cutover": { weight, legacyTargetGroupArn: legacyTg } });

    it("is one component with every child parented to it", async () => {
        const rec = await recordInfra("dev");
        const component = rec.resources.find((r) => r.type === "eco2:infra:GatewayLoadBalancer")!;
        expect(component.name).to.equal("gateway-lb");
        for (const t of [T.lb, T.targetGroup, T.attachment, T.listener, T.record]) {
            for (const r of rec.ofType(t)) expect(r.parent, r.name).to.equal(component.urn);
        }
        expect(rec.ofType(T.lb).map((r) => r.name)).to.deep.equal(["gateway-lb-nlb"]);
    });

    describe("target groups", () => {
        for (const stack of ["dev", "prod"] as const) {
            it(`${stack}: instance target groups on istio.gateway.nodePorts, the health check on the status NodePort's /healthz/ready`, async () => {
                const rec = await recordInfra(stack, { "istio.gateway.nodePorts": { http: 30180, https: 30543, status: 30121 } });
                const tgs = rec.ofType(T.targetGroup);
                expect(tgs.map((t) => t.name)).to.deep.equal(["gateway-lb-tg-http"]);
                const [tg] = tgs;
                expect(tg.inputs).to.include({ targetType: "instance", port: 30180, protocol: stack === "prod" ? "HTTP" : "TCP", vpcId: (stack === "dev" ? dev : prod).cluster.vpcId });
                expect(tg.inputs.healthCheck).to.include({ protocol: "HTTP", port: "30121", path: "/healthz/ready", enabled: true });
                expect(rec.outputs.gatewayNodePorts).to.deep.equal({ http: 30180, https: 30543, status: 30121 });
            });
        }

        it("one attachment per node per target group, on the target group's NodePort", async () => {
            const rec = await recordInfra("prod");
            const nodes = rec.ofType(T.instance);
            const tgs = rec.ofType(T.targetGroup);
            const attachments = rec.ofType(T.attachment);
            expect(attachments).to.have.length(nodes.length * tgs.length);
            for (const tg of tgs) {
                const mine = attachments.filter((a) => a.inputs.targetGroupArn === mockArn(tg));
                expect(mine.map((a) => a.inputs.targetId).sort()).to.deep.equal(nodes.map(mockId).sort());
                expect(mine.every((a) => a.inputs.port === tg.inputs.port)).to.equal(true);
            }
        });
    });

    describe("listeners", () => {
        it("NLB: TCP 80 and TLS 443 with the certificate, both to the http NodePort target group", async () => {
            const rec = await recordInfra("dev", { "loadBalancer.cutover.weight": 100 });
            const tg = mockArn(rec.named("gateway-lb-tg-http"));
            const http = rec.named("gateway-lb-tg-http");
            expect(http.type).to.equal(T.targetGroup);
            const [l80, l443] = ["gateway-lb-listener-http", "gateway-lb-listener-https"].map((n) => rec.named(n));
            expect(l80.inputs).to.include({ port: 80, protocol: "TCP" });
            expect(l80.inputs.defaultActions).to.deep.equal([{ type: "forward", targetGroupArn: tg }]);
            expect(l443.inputs).to.include({ port: 443, protocol: "TLS", certificateArn: dev.loadBalancer.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
            expect(l443.inputs.defaultActions).to.deep.equal([{ type: "forward", targetGroupArn: tg }]);
            expect(rec.named("gateway-lb-nlb").inputs).to.include({ loadBalancerType: "network" });
        });

        it("ALB: HTTP redirects to HTTPS, HTTPS terminates TLS with the certificate, invalid header fields dropped", async () => {
            const rec = await recordInfra("prod");
            const listeners = rec.ofType(T.listener);
            const l80 = listeners.find((l) => l.inputs.port === 80)!;
            const l443 = listeners.find((l) => l.inputs.port === 443)!;
            expect(l80.inputs.protocol).to.equal("HTTP");
            expect(l80.inputs.defaultActions).to.deep.equal([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]);
            expect(l443.inputs).to.include({ protocol: "HTTPS", certificateArn: prod.loadBalancer.certificateArn });
            expect(rec.named("gateway-lb-alb").inputs).to.include({ loadBalancerType: "application", dropInvalidHeaderFields: true });
        });

        it("ALB without HTTPS: port 80 carries the weighted forward itself", async () => {
            const rec = await recordInfra("prod", { "loadBalancer.listeners": { http: true, https: false }, ...forwardCutover(30) });
            const listeners = rec.ofType(T.listener);
            expect(listeners.map((l) => l.inputs.port)).to.deep.equal([80]);
            expect(listeners[0].inputs.defaultActions[0].forward.targetGroups.map((t: any) => t.weight)).to.deep.equal([30, 70]);
        });
    });

    describe("cut-over (plan §5)", () => {
        for (const weight of [0, 50, 100]) {
            it(`ALB weight ${weight}: the HTTPS listener forwards ${weight}% to the Istio target group, the rest to the legacy Ingress`, async () => {
                const rec = await recordInfra("prod", forwardCutover(weight));
                const https = rec.ofType(T.listener).find((l) => l.inputs.port === 443)!;
                expect(https.inputs.defaultActions).to.deep.equal([
                    {
                        type: "forward",
                        forward: {
                            targetGroups: [
                                { arn: mockArn(rec.named("gateway-lb-tg-http")), weight },
                                { arn: legacyTg, weight: 100 - weight },
                            ],
                        },
                    },
                ]);
                expect(rec.ofType(T.record)).to.deep.equal([]);
            });

            it(`NLB weight ${weight}: weighted Route53 aliases, istio=${weight} legacy=${100 - weight}, for cutover.dns.recordName`, async () => {
                const rec = await recordInfra("dev", { "loadBalancer.cutover.weight": weight });
                const records = rec.ofType(T.record);
                expect(records.map((r) => r.inputs.setIdentifier).sort()).to.deep.equal(["istio", "legacy"]);
                const dns = dev.loadBalancer.cutover.dns;
                const istio = records.find((r) => r.inputs.setIdentifier === "istio")!;
                const legacy = records.find((r) => r.inputs.setIdentifier === "legacy")!;
                for (const r of records) expect(r.inputs).to.include({ zoneId: dns.zoneId, name: dns.recordName, type: "A" });
                expect(istio.inputs.weightedRoutingPolicies).to.deep.equal([{ weight }]);
                expect(legacy.inputs.weightedRoutingPolicies).to.deep.equal([{ weight: 100 - weight }]);
                expect(istio.inputs.aliases).to.deep.equal([{ name: "gateway-lb-nlb.elb.ap-northeast-2.amazonaws.com", zoneId: "ZWKZPGTI48KDX", evaluateTargetHealth: true }]);
                expect(legacy.inputs.aliases).to.deep.equal([{ name: dns.legacyDnsName, zoneId: dns.legacyZoneId, evaluateTargetHealth: true }]);
            });

            it(`ALB with cutover.dns, weight ${weight}: weighted Route53 aliases to the legacy ALB and this one; the listener forwards plainly`, async () => {
                const rec = await recordInfra("prod", { "loadBalancer.cutover.weight": weight });
                const dns = prod.loadBalancer.cutover.dns;
                const records = rec.ofType(T.record);
                const istio = records.find((r) => r.inputs.setIdentifier === "istio")!;
                const legacy = records.find((r) => r.inputs.setIdentifier === "legacy")!;
                expect(records).to.have.length(2);
                expect(istio.inputs.weightedRoutingPolicies).to.deep.equal([{ weight }]);
                expect(legacy.inputs.weightedRoutingPolicies).to.deep.equal([{ weight: 100 - weight }]);
                expect(istio.inputs.aliases[0].name).to.equal("gateway-lb-alb.elb.ap-northeast-2.amazonaws.com");
                expect(legacy.inputs.aliases).to.deep.equal([{ name: dns.legacyDnsName, zoneId: dns.legacyZoneId, evaluateTargetHealth: true }]);
                const https = rec.ofType(T.listener).find((l) => l.inputs.port === 443)!;
                expect(https.inputs.defaultActions).to.deep.equal([{ type: "forward", targetGroupArn: mockArn(rec.named("gateway-lb-tg-http")) }]);
            });
        }

        it("ALB at 100 without a legacy target group forwards plainly to the Istio target group", async () => {
            const rec = await recordInfra("prod", { "loadBalancer.cutover": { weight: 100 } });
            const https = rec.ofType(T.listener).find((l) => l.inputs.port === 443)!;
            expect(https.inputs.defaultActions).to.deep.equal([{ type: "forward", targetGroupArn: mockArn(rec.named("gateway-lb-tg-http")) }]);
        });

        it("NLB at 100 without cutover.dns creates no records (DNS is the operator's)", async () => {
            const rec = await recordInfra("dev", { "loadBalancer.cutover": { weight: 100 } });
            expect(rec.ofType(T.record)).to.deep.equal([]);
        });

        it("pure helpers keep weight-0 targets and records valid", () => {
            expect(dnsWeights(0)).to.deep.equal({ istio: 0, legacy: 100 });
            expect(dnsWeights(100)).to.deep.equal({ istio: 100, legacy: 0 });
            const action = weightedForward(pulumi.output("arn:new") as never, 0, legacyTg);
            expect((action.forward as any).targetGroups.map((t: any) => t.weight)).to.deep.equal([0, 100]);
        });
    });

    describe("environment flags", () => {
        it("prod: deletion protection and access logs from config", async () => {
            const lb = (await recordInfra("prod")).named("gateway-lb-alb");
            expect(lb.inputs.enableDeletionProtection).to.equal(true);
            expect(lb.inputs.accessLogs).to.deep.equal({ bucket: "eco2-prod-lb-logs", prefix: "gateway", enabled: true });
            expect(lb.inputs.subnets).to.deep.equal(prod.loadBalancer.subnetIds);
        });

        it("dev: neither, internet-facing, cross-zone on for the NLB", async () => {
            const lb = (await recordInfra("dev")).named("gateway-lb-nlb");
            expect(lb.inputs.enableDeletionProtection).to.equal(false);
            expect(lb.inputs.accessLogs).to.equal(undefined);
            expect(lb.inputs).to.include({ internal: false, enableCrossZoneLoadBalancing: true });
        });

        it("clients reach the listeners only from loadBalancer.ingressCidrs, on the listener ports", async () => {
            const rec = await recordInfra("prod", { "loadBalancer.ingressCidrs": ["203.0.113.0/24"] });
            const lbSg = mockId(rec.named("gateway-lb-sg"));
            const rules = rec.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === lbSg);
            expect(rules.map((r) => [r.inputs.cidrIpv4, r.inputs.fromPort])).to.deep.equal([
                ["203.0.113.0/24", 80],
                ["203.0.113.0/24", 443],
            ]);
        });
    });
});
