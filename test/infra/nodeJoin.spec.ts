import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { NodeJoin } from "../../infra/nodeJoin";
import { FAKE_SECRETS, stackValues } from "../harness";
import { MOCK_BOOTSTRAP_TOKEN, RecordedResource, recorder, settle } from "../mocks";
import { isSecret, mockId, plain, recordInfra, secretValue, T } from "./helpers";

/** The recorded inputs with every secret value removed: what would be stored or shown in plain text. */
function withoutSecrets(v: unknown): unknown {
    if (isSecret(v)) return "<secret>";
    if (Array.isArray(v)) return v.map(withoutSecrets);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
    return v;
}

describe("infra: NodeJoin (mocks)", () => {
    const dev = stackValues("dev") as any;
    const prod = stackValues("prod") as any;
    let rec: Awaited<ReturnType<typeof recordInfra>>;
    const commands = () => rec.ofType(T.command);
    const cmd = (i: number, role: string) => rec.named(`gateway-join-${i}-${role}`);
    before(async () => {
        rec = await recordInfra("dev");
    });

    it("creates join-command, join and label per node, all children of one NodeJoin", () => {
        const component = rec.resources.find((r) => r.type === "eco2:infra:NodeJoin")!;
        expect(component.name).to.equal("gateway-join");
        expect(
            commands()
                .map((c) => c.name)
                .sort(),
        ).to.deep.equal([0, 1].flatMap((i) => ["join-command", "join", "label"].map((r) => `gateway-join-${i}-${r}`)).sort());
        for (const c of commands()) expect(c.parent, c.name).to.equal(component.urn);
    });

    it("join-command: kubeadm token create with the configured TTL on the control plane; stdout secret, logging none", () => {
        for (const i of [0, 1]) {
            const jc = cmd(i, "join-command");
            expect(jc.inputs.create).to.contain("kubeadm token create");
            expect(jc.inputs.create).to.contain("--ttl '\\''30m'\\''");
            expect(jc.inputs.create).to.contain("--print-join-command");
            expect(jc.inputs.logging).to.equal("none");
            expect(jc.additionalSecretOutputs).to.include.members(["stdout", "stderr"]);
            expect(plain(jc.inputs.connection).host).to.equal(dev.cluster.controlPlane.host);
        }
    });

    it("join-command is per node and triggered by that node's instance id (a replacement gets a fresh token)", () => {
        for (const i of [0, 1]) {
            const instance = rec.named(`gateway-pool-node-${i}`);
            expect(cmd(i, "join-command").inputs.triggers).to.deep.equal([mockId(instance)]);
            expect(cmd(i, "join").inputs.triggers).to.deep.equal([mockId(instance)]);
            // The label step also declares its placement as a trigger (read by the policy pack at preview).
            expect(cmd(i, "label").inputs.triggers).to.deep.equal([
                mockId(instance),
                { nodeLabels: { role: "ingress-gateway" }, nodeTaint: { key: "role", value: "ingress-gateway", effect: "NoSchedule" } },
            ]);
        }
    });

    it("join: runs on the node's private IP, reads the join command from stdin (a secret), hides its output", () => {
        for (const i of [0, 1]) {
            const join = cmd(i, "join");
            const instance = rec.named(`gateway-pool-node-${i}`);
            expect(plain(join.inputs.connection).host).to.match(/^10\.0\.\d+\.\d+$/);
            expect(rec.dependsOn(join, instance)).to.equal(true);
            expect(secretValue<string>(join.inputs.stdin, "join stdin")).to.contain(`--token ${MOCK_BOOTSTRAP_TOKEN}`);
            expect(join.inputs.logging).to.equal("none");
            expect(join.additionalSecretOutputs).to.include.members(["stdout", "stderr"]);
            expect(join.inputs.create).to.contain("kubeadm join --config");
            expect(join.inputs.create).to.contain(`name: "eco2-dev-gateway-${i}-`);
            expect(join.inputs.delete).to.contain("kubeadm reset -f");
        }
    });

    it("join depends on the join-command for the same node, and on the SSH and API-server rules", () => {
        for (const i of [0, 1]) {
            const join = cmd(i, "join");
            expect(join.dependencies).to.include(cmd(i, "join-command").urn);
            expect(join.dependencies).not.to.include(cmd(1 - i, "join-command").urn);
            expect(rec.dependsOn(join, rec.named("gateway-pool-apiserver-from-gateway"))).to.equal(true);
            expect(rec.dependsOn(join, rec.named("gateway-pool-ssh-0"))).to.equal(true);
        }
    });

    it("label: gatewayNodes.labels and gatewayNodes.taint with --overwrite after the join; its delete drains and removes the Node", async () => {
        const custom = await recordInfra("dev", {
            "gatewayNodes.labels": { role: "ingress-gateway", "eco2.app/pool": "edge" },
            "gatewayNodes.taint": { key: "dedicated", value: "gateway", effect: "NoExecute" },
            "gatewayNodes.drainTimeout": "7m",
        });
        const label = custom.named("gateway-join-0-label");
        expect(label.dependencies).to.include(custom.named("gateway-join-0-join").urn);
        expect(plain(label.inputs.connection).host).to.equal(dev.cluster.controlPlane.host);
        expect(label.inputs.create).to.contain(`kubectl label node "$node" --overwrite -- '\\''role=ingress-gateway'\\'' '\\''eco2.app/pool=edge'\\''`);
        expect(label.inputs.create).to.contain(`kubectl taint node "$node" --overwrite -- '\\''dedicated=gateway:NoExecute'\\''`);
        expect(label.inputs.delete).to.contain("kubectl drain \"$node\" --ignore-daemonsets --delete-emptydir-data --timeout='\\''7m'\\''");
        expect(label.inputs.delete).to.contain('kubectl delete node "$node"');
        // The join registers the node with the same taint, so nothing else lands before the label step.
        expect(custom.named("gateway-join-0-join").inputs.create).to.contain('key: "dedicated"');
    });

    it("every remote.Command connects with the SSH key as a secret (and through the bastion when configured)", async () => {
        for (const c of commands()) {
            expect(isSecret(c.inputs.connection) || isSecret(c.inputs.connection?.privateKey), c.name).to.equal(true);
            const conn = plain(c.inputs.connection);
            expect(conn.privateKey).to.equal(FAKE_SECRETS.sshPrivateKey);
            expect(conn).to.include({ user: "ubuntu", port: 22 });
            expect(conn.proxy).to.equal(undefined);
        }
        const p = await recordInfra("prod");
        for (const c of p.ofType(T.command)) {
            expect(isSecret(c.inputs.connection) || isSecret(c.inputs.connection?.privateKey), c.name).to.equal(true);
            const conn = plain(c.inputs.connection);
            expect(conn.proxy).to.include({ host: prod.gatewayNodes.ssh.bastion.host, user: "ubuntu", port: 22, privateKey: FAKE_SECRETS.sshPrivateKey });
        }
    });

    it("neither the token nor the SSH key appears anywhere outside a secret", async () => {
        for (const r of [...rec.resources, ...(await recordInfra("prod")).resources]) {
            const text = JSON.stringify(withoutSecrets(r.inputs));
            expect(text, r.name).not.to.contain(MOCK_BOOTSTRAP_TOKEN);
            expect(text, r.name).not.to.contain("fake-key-for-tests");
        }
    });

    it("never echoes: no command line (create/delete) embeds the join command", () => {
        for (const c of commands()) {
            for (const k of ["create", "delete"]) expect(JSON.stringify(c.inputs[k] ?? ""), `${c.name}.${k}`).not.to.contain(MOCK_BOOTSTRAP_TOKEN);
        }
    });

    it("InfraOutputs.joined is the label commands, which the gateway release waits for; empty without layers.join", async () => {
        expect(rec.outputs.infra!.joined.length).to.equal(2);
        const labels = commands()
            .filter((c) => c.name.endsWith("-label"))
            .map((c) => c.urn)
            .sort();
        const joinedUrns = await Promise.all(
            rec.outputs.infra!.joined.map(
                (r) =>
                    new Promise<string>((res) =>
                        r.urn.apply((u) => {
                            res(u);
                            return u;
                        }),
                    ),
            ),
        );
        expect(joinedUrns.sort()).to.deep.equal(labels);
        const noJoin = await recordInfra("dev", { "layers.join": false });
        expect(noJoin.ofType(T.command)).to.deep.equal([]);
        expect(noJoin.outputs.infra!.joined).to.deep.equal([]);
    });

    it("a changed instance id changes every trigger of that node (and nothing else)", async () => {
        const recordJoin = async (instanceId: string): Promise<RecordedResource[]> => {
            recorder.resources = [];
            new NodeJoin(`trigger-${instanceId}`, {
                environment: "dev",
                nodes: [{ instanceId, privateIp: "10.0.0.5" }],
                controlPlaneHost: "10.20.1.10",
                ssh: { user: "ubuntu", port: 22 },
                privateKey: pulumi.secret("key"),
                kubernetesVersion: "1.31.4",
                joinTokenTtl: "30m",
                drainTimeout: "5m",
                labels: { role: "ingress-gateway" },
                taint: { key: "role", value: "ingress-gateway", effect: "NoSchedule" },
            });
            await settle();
            return recorder.resources.filter((r) => r.type === T.command);
        };
        const before = await recordJoin("i-0aaaaaaaaaaaaaaa1");
        const after = await recordJoin("i-0bbbbbbbbbbbbbbb2");
        expect(before).to.have.length(3);
        for (const role of ["join-command", "join", "label"]) {
            const a = before.find((r) => r.name.endsWith(`-0-${role}`))!;
            const b = after.find((r) => r.name.endsWith(`-0-${role}`))!;
            expect(a.inputs.triggers[0]).to.equal("i-0aaaaaaaaaaaaaaa1");
            expect(b.inputs.triggers[0]).to.equal("i-0bbbbbbbbbbbbbbb2");
            expect(a.inputs.triggers.slice(1), "only the instance id differs").to.deep.equal(b.inputs.triggers.slice(1));
        }
        // The Node name follows the instance, so the new node never collides with the old (kubernetes#81056).
        const nameIn = (rs: RecordedResource[]) => /node='\\''([^']+)'\\''/.exec(rs.find((r) => r.name.endsWith("-0-label"))!.inputs.create)![1];
        expect(nameIn(before)).to.equal("eco2-dev-gateway-0-0aaaaaaaaaaaaaaa1");
        expect(nameIn(after)).to.equal("eco2-dev-gateway-0-0bbbbbbbbbbbbbbb2");
    });
});
