import type { ResourceValidationPolicy } from "@pulumi/policy";
import { COMMAND_TYPES } from "../lib/kinds";
import { asArray, isUnknown, raw, unknownMessage } from "../lib/values";

/** What may stand before a command: a line start, a separator, a quote, or a wrapper that runs the rest. */
const COMMAND_START = String.raw`(?:^|[;&|({!'"\x60]|\$\(|\b(?:then|do|else|if|while|until|exec|time|nohup|xargs|sudo(?:\s+-\S+)*|env(?:\s+-\S+|\s+\w+=\S*)*|timeout(?:\s+-\S+)*\s+\S+|(?:ba)?sh(?:\s+-\w*)*\s+-\w*c))`;
/** Flags (with an optional value) between a command and its subcommand: `--v=5`, `--kubeconfig x`. */
const FLAGS = String.raw`(?:\s+-\S+(?:\s+[^-\s;&|]\S*)?)*`;

/**
 * `kubeadm join`, `kubeadm init` (it prints a join command with its token) or `kubeadm token
 * create` in command position, however it is wrapped (`sudo`, `bash -c '…'`, `env K=V`,
 * `timeout 60`, `if`, `{ …; }`) and whatever flags come between (`kubeadm --v=5 join`,
 * `kubeadm token --kubeconfig x create`); not a mention in prose, such as an error message.
 */
export const JOIN_TOKEN_COMMAND = new RegExp(String.raw`${COMMAND_START}[ \t]*(?:\S*/)?kubeadm${FLAGS}\s+(?:join|init|token${FLAGS}\s+create)\b`, "m");

export function runsJoinToken(text: string): boolean {
    return JOIN_TOKEN_COMMAND.test(text.replace(/'\\''/g, "'"));
}

/**
 * `@pulumi/command` logs stdout and stderr and stores stdout in plain state unless told
 * otherwise (pulumi-command#260, #111; kubeadm#160): a join command would print the bootstrap
 * token into CI logs and the state file.
 */
export const joinTokenCommandsDoNotLogOutput: ResourceValidationPolicy = {
    name: "joinTokenCommandsDoNotLogOutput",
    description: 'Commands whose text runs `kubeadm token create`, `kubeadm join` or `kubeadm init` set logging to "none" and list stdout in additionalSecretOutputs.',
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!(COMMAND_TYPES as readonly string[]).includes(args.type)) return;
        const p = raw(args.props);
        const fields = ["create", "update", "delete"] as const;
        const unknownField = fields.find((f) => isUnknown(p[f]));
        const text = fields.map((f) => (typeof p[f] === "string" && !isUnknown(p[f]) ? p[f] : "")).join("\n");
        const logging = p.logging;
        const secretOutputs = asArray<string>(args.opts?.additionalSecretOutputs);
        const safe = logging === "none" && secretOutputs.includes("stdout");
        if (!runsJoinToken(text)) {
            // Text unknown at preview: decidable only if the command is safe whatever it runs.
            if (unknownField && !safe) report(unknownMessage(unknownField));
            return;
        }
        if (isUnknown(logging)) report(unknownMessage("logging"));
        else if (logging !== "none") report(`runs kubeadm token create/join but logging is ${logging === undefined ? "not set (stdout and stderr are logged)" : `"${logging}"`}; set logging: "none"`);
        if (!secretOutputs.includes("stdout")) report(`runs kubeadm token create/join but stdout is not in additionalSecretOutputs (it would be stored in plain state); add "stdout"`);
    },
};
