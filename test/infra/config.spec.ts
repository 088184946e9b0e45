import { expect } from "chai";
import { ConfigError } from "../../config";
import { clone, configFor, record, Recording, setPath, stackValues } from "../harness";
import { recorder, settle } from "../mocks";

// Bad AWS configuration fails in config validation, before the program registers anything.

interface BadCase {
    readonly name: string;
    readonly stack: "dev" | "prod";
    readonly set?: Record<string, unknown>;
    readonly unset?: string[];
    /** The key the message must name (after `eco2-mesh:`). */
    readonly key: string;
    /** Part of the reason/fix the operator reads. */
    readonly says: string;
}

const CASES: BadCase[] = [
    { name: "gateway subnet list empty", stack: "dev", set: { "gatewayNodes.subnetIds": [] }, key: "gatewayNodes.subnetIds", says: "at least one subnet" },
    { name: "NodePort below 30000", stack: "dev", set: { "istio.gateway.nodePorts.http": 29999 }, key: "istio.gateway.nodePorts.http", says: "30000-32767" },
    { name: "NodePort above 32767", stack: "prod", set: { "istio.gateway.nodePorts.status": 32768 }, key: "istio.gateway.nodePorts.status", says: "30000-32767" },
    { name: "cut-over weight above 100", stack: "prod", set: { "loadBalancer.cutover.weight": 101 }, key: "loadBalancer.cutover.weight", says: "0-100" },
    { name: "cut-over weight below 0", stack: "dev", set: { "loadBalancer.cutover.weight": -1 }, key: "loadBalancer.cutover.weight", says: "0-100" },
    {
        name: "native pod routing with a pod CIDR wider than /8",
        stack: "dev",
        set: { "cluster.podNetworkRouting": "native", "cluster.podNetworkCidr": "0.0.0.0/0" },
        key: "cluster.podNetworkCidr",
        says: "wider than a /8",
    },
    { name: "pod network routing not a known mode", stack: "dev", set: { "cluster.podNetworkRouting": "overlay" }, key: "cluster.podNetworkRouting", says: "encapsulated" },
    { name: 'load balancer type "elb"', stack: "dev", set: { "loadBalancer.type": "elb" }, key: "loadBalancer.type", says: '"nlb"' },
    { name: "HTTPS listener without a certificate", stack: "dev", unset: ["loadBalancer.certificateArn"], key: "loadBalancer.certificateArn", says: "listeners.https" },
    { name: "SSH open to 0.0.0.0/0", stack: "dev", set: { "gatewayNodes.sshCidrs": ["10.20.0.0/24", "0.0.0.0/0"] }, key: "gatewayNodes.sshCidrs[1]", says: "whole internet" },
    { name: "ALB with one subnet", stack: "prod", set: { "loadBalancer.subnetIds": ["subnet-0d1d2d3d4d5d6d7d8"] }, key: "loadBalancer.subnetIds", says: "at least 2" },
    { name: "ALB weight below 100 with neither weighted DNS nor a legacy target group", stack: "prod", unset: ["loadBalancer.cutover.dns"], key: "loadBalancer.cutover.dns", says: "weight 0" },
    {
        name: "NLB weight below 100 without the weighted DNS records",
        stack: "dev",
        set: { "loadBalancer.cutover.weight": 50 },
        unset: ["loadBalancer.cutover.dns"],
        key: "loadBalancer.cutover.dns",
        says: "weight 50",
    },
    { name: "Kubernetes version without pkgs.k8s.io packages", stack: "dev", set: { "cluster.kubernetesVersion": "1.23.17" }, key: "cluster.kubernetesVersion", says: "pkgs.k8s.io" },
    {
        name: "worker group repeats the control-plane group",
        stack: "dev",
        set: { "cluster.workerSecurityGroupIds": ["sg-0c1d2e3f4a5b60718"] },
        key: "cluster.workerSecurityGroupIds[0]",
        says: "duplicate",
    },
    { name: "drain timeout without a unit", stack: "prod", set: { "gatewayNodes.drainTimeout": "300" }, key: "gatewayNodes.drainTimeout", says: "duration" },
    { name: "join without an SSH CIDR", stack: "dev", set: { "gatewayNodes.sshCidrs": [] }, key: "gatewayNodes.sshCidrs", says: "cannot reach the nodes" },
    { name: "AWS layer without the AMI", stack: "prod", unset: ["gatewayNodes.amiId"], key: "gatewayNodes.amiId", says: "required with layers.aws" },
];

function without(values: Record<string, any>, dotted: string): void {
    const keys = dotted.split(".");
    let cur = values;
    for (const k of keys.slice(0, -1)) cur = cur[k];
    delete cur[keys[keys.length - 1]];
}

describe("infra: bad AWS config fails before any resource, naming the key", () => {
    for (const c of CASES) {
        it(`${c.name} → eco2-mesh:${c.key}`, async () => {
            const values = clone(stackValues(c.stack));
            for (const [k, v] of Object.entries(c.set ?? {})) setPath(values, k, v);
            for (const k of c.unset ?? []) without(values, k);

            recorder.resources = [];
            let recording: Recording | undefined;
            let error: unknown;
            try {
                recording = await record(configFor(values));
            } catch (e) {
                error = e;
            }
            await settle();
            expect(recording, "record must never be reached").to.equal(undefined);
            expect(recorder.resources, "no resource may be registered").to.deep.equal([]);
            expect(error).to.be.instanceOf(ConfigError);
            const message = (error as Error).message;
            expect(message).to.contain(`eco2-mesh:${c.key} `);
            const line = message.split("\n").find((l) => l.includes(`eco2-mesh:${c.key} `))!;
            expect(line).to.contain(c.says);
            expect(line).to.contain("Fix:");
        });
    }

    it("reports several AWS problems of one config together", () => {
        const values = clone(stackValues("prod"));
        setPath(values, "loadBalancer.type", "elb");
        setPath(values, "gatewayNodes.sshCidrs", ["0.0.0.0/0"]);
        setPath(values, "gatewayNodes.subnetIds", ["subnet-bad"]);
        expect(() => configFor(values))
            .to.throw(ConfigError)
            .with.property("problems")
            .with.length.greaterThanOrEqual(2);
    });
});
