import type { ResourceValidationPolicy } from "@pulumi/policy";
import { COMMAND_TYPES } from "../lib/kinds";
import { asArray, isUnknown, raw, unknownMessage } from "../lib/values";

/**
 * `kubeadm token create` / `kubeadm join` in command position (line start, after `;`, `&&`,
 * `|`, `$(`, `then`, `do`, `sudo …`), not in prose such as an error message that mentions it.
 * The quoting of `bash -c '<script>'` is undone first.
 */
export const JOIN_TOKEN_COMMAND = /(^|[;&|(`]|\$\(|\bthen\b|\bdo\b|\bsudo(?:\s+-\S+)*)[ \t]*(?:\S*\/)?kubeadm\s+(?:token\s+create|join)\b/m;

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
    description: 'Commands whose text runs `kubeadm token create` or `kubeadm join` set logging to "none" and list stdout in additionalSecretOutputs.',
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
