import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { SSH_DIAL_ERROR_LIMIT } from "./defaults";
import { asRoot, drainScript, gatewayNodeName, joinCommandScript, labelScript, nodeJoinScript, nodeResetScript, Taint } from "./joinScripts";

export interface SshSettings {
    readonly user: string;
    readonly port: number;
    readonly bastion?: { readonly host: string; readonly user: string; readonly port: number };
}

export interface JoinNode {
    readonly instanceId: pulumi.Input<string>;
    readonly privateIp: pulumi.Input<string>;
}

export interface NodeJoinArgs {
    readonly environment: string;
    /** The instances to join; one set of commands each. */
    readonly nodes: readonly JoinNode[];
    /** Address of a control-plane node (kubeadm token create, kubectl). */
    readonly controlPlaneHost: string;
    readonly ssh: SshSettings;
    /** The SSH private key; a Pulumi secret, and kept one in every connection. */
    readonly privateKey: pulumi.Input<string>;
    readonly kubernetesVersion: string;
    readonly joinTokenTtl: string;
    readonly drainTimeout: string;
    readonly labels: Record<string, string>;
    readonly taint: Taint;
    /** Network rules the commands need (SSH to the nodes, nodes to the API server). */
    readonly networkReady?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Joins the gateway instances to the existing kubeadm cluster over SSH. Per node, three
 * commands in this order:
 *  1. `join-command` (control plane): a fresh short-lived bootstrap token; its stdout is secret
 *     and never logged. Triggered by the instance id, so a replaced instance gets a new token
 *     and an expired one from state is never handed to a new node (kubeadm#668).
 *  2. `join` (node): `kubeadm join` with that command on stdin; a no-op on a joined node.
 *     Its delete runs `kubeadm reset -f` on the instance.
 *  3. `label` (control plane): the gateway labels and taint. Its delete drains the node and
 *     removes the Node object; because it depends on `join`, Pulumi runs it before the reset.
 */
export class NodeJoin extends pulumi.ComponentResource {
    public readonly nodeNames: pulumi.Output<string>[];
    public readonly joinCommands: command.remote.Command[] = [];
    public readonly joins: command.remote.Command[] = [];
    /** The labelled, tainted nodes: what the gateway pods wait for. */
    public readonly labelled: command.remote.Command[] = [];

    constructor(name: string, args: NodeJoinArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:infra:NodeJoin", name, {}, opts);
        const child = { parent: this };
        const privateKey = pulumi.secret(args.privateKey);
        const bastion = args.ssh.bastion;
        const connection = (host: pulumi.Input<string>): command.types.input.remote.ConnectionArgs => ({
            host,
            port: args.ssh.port,
            user: args.ssh.user,
            privateKey,
            dialErrorLimit: SSH_DIAL_ERROR_LIMIT,
            proxy: bastion ? { host: bastion.host, port: bastion.port, user: bastion.user, privateKey } : undefined,
        });
        const controlPlane = connection(args.controlPlaneHost);

        this.nodeNames = args.nodes.map((node, i) => {
            const nodeName = pulumi.output(node.instanceId).apply((id) => gatewayNodeName(args.environment, i, id));
            const triggers = [node.instanceId];

            const joinCommand = new command.remote.Command(
                `${name}-${i}-join-command`,
                {
                    connection: controlPlane,
                    create: asRoot(joinCommandScript({ ttl: args.joinTokenTtl, description: `eco2-mesh ${args.environment} gateway node ${i}` })),
                    triggers,
                    logging: "none",
                    // The previous stdout (an older join command) would otherwise be sent as an SSH env var.
                    addPreviousOutputInEnv: false,
                },
                { ...child, additionalSecretOutputs: ["stdout", "stderr"], dependsOn: args.networkReady },
            );

            const join = new command.remote.Command(
                `${name}-${i}-join`,
                {
                    connection: connection(node.privateIp),
                    create: pulumi
                        .all([nodeName, joinCommand.urn])
                        .apply(([n, urn]) => asRoot(nodeJoinScript({ nodeName: n, kubernetesVersion: args.kubernetesVersion, taint: args.taint, replaceHint: urn }))),
                    delete: asRoot(nodeResetScript()),
                    stdin: pulumi.secret(joinCommand.stdout),
                    triggers,
                    logging: "none",
                    addPreviousOutputInEnv: false,
                },
                { ...child, additionalSecretOutputs: ["stdout", "stderr"], dependsOn: [joinCommand, ...(args.networkReady ?? [])] },
            );

            // The script text holds the node name, unknown at preview for a new instance; the
            // placement is also given as a structured trigger so the policy pack can check it
            // then (gatewayPodsFitJoinedNodes), and the output is hidden so that a command whose
            // text cannot be read yet still passes joinTokenCommandsDoNotLogOutput.
            const label = new command.remote.Command(
                `${name}-${i}-label`,
                {
                    connection: controlPlane,
                    create: nodeName.apply((n) => asRoot(labelScript({ nodeName: n, labels: args.labels, taint: args.taint }))),
                    delete: nodeName.apply((n) => asRoot(drainScript({ nodeName: n, drainTimeout: args.drainTimeout }))),
                    triggers: [...triggers, { nodeLabels: { ...args.labels }, nodeTaint: { ...args.taint } }],
                    logging: "none",
                    addPreviousOutputInEnv: false,
                },
                { ...child, additionalSecretOutputs: ["stdout", "stderr"], dependsOn: [join] },
            );

            this.joinCommands.push(joinCommand);
            this.joins.push(join);
            this.labelled.push(label);
            return nodeName;
        });

        this.registerOutputs({ nodeNames: this.nodeNames });
    }
}
