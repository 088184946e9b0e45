import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { NodeJoin } from "../../../infra/nodeJoin";

// The join component alone, for test/integration/join.spec.ts: "nodes" are loopback addresses
// served by the test's sshd; the test replaces a node by changing its instance id (and address).
const config = new pulumi.Config();
const nodes = config.requireObject<{ instanceId: string; privateIp: string }[]>("nodes");

const join = new NodeJoin("gw", {
    environment: "itest",
    nodes,
    controlPlaneHost: config.get("controlPlaneHost") ?? "127.0.0.1",
    ssh: { user: config.get("sshUser") ?? "root", port: config.requireNumber("sshPort") },
    privateKey: config.requireSecret("sshPrivateKey"),
    kubernetesVersion: "1.31.4",
    joinTokenTtl: "30m",
    drainTimeout: "1m",
    labels: { "eco2.io/gateway": "true" },
    taint: { key: "eco2.io/gateway", value: "true", effect: "NoSchedule" },
});

export const nodeNames = join.nodeNames;

// Extra commands on the control plane that exercise the provider itself (logging, stdin,
// environment, failures); none by default.
interface Probe {
    script: string;
    logging?: "stdout" | "stderr" | "stdoutAndStderr" | "none";
    stdin?: string;
    environment?: Record<string, string>;
}
const probes = (config.getObject<Probe[]>("probes") ?? []).map(
    (p, i) =>
        new command.remote.Command(`probe-${i}`, {
            connection: {
                host: config.get("controlPlaneHost") ?? "127.0.0.1",
                port: config.requireNumber("sshPort"),
                user: config.get("sshUser") ?? "root",
                privateKey: config.requireSecret("sshPrivateKey"),
            },
            create: p.script,
            logging: p.logging,
            stdin: p.stdin,
            environment: p.environment,
        }),
);
// Secret outputs, so `pulumi up` does not print them in its outputs diff: the test checks what
// the provider streams to the log, and reads the values with --show-secrets.
export const probeStdout = pulumi.secret(pulumi.all(probes.map((p) => p.stdout)));
export const probeStderr = pulumi.secret(pulumi.all(probes.map((p) => p.stderr)));
