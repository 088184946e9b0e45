import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asRecord, walkStrings } from "../lib/values";

const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
/** A kubeconfig: YAML (`apiVersion: v1` … `kind: Config`, either order) or its JSON form. */
const KUBECONFIG_YAML = /(^|\n)\s*kind:\s*["']?Config["']?\s*(\n|$)/;
const API_V1_YAML = /(^|\n)\s*apiVersion:\s*["']?v1["']?\s*(\n|$)/;
const KUBECONFIG_JSON = /"kind"\s*:\s*"Config"/;

/**
 * Fields the providers' schemas declare secret, so their values are encrypted in state even
 * when the program passes them as plain strings: `type` → field paths.
 */
export const SECRET_FIELDS: Record<string, string[]> = {
    "command:remote:Command": ["connection.privateKey", "connection.password", "connection.proxy.privateKey", "connection.proxy.password"],
    "command:remote:CopyToRemote": ["connection.privateKey", "connection.password", "connection.proxy.privateKey", "connection.proxy.password"],
    "pulumi:providers:kubernetes": ["kubeconfig"],
    // pulumi-kubernetes stores a Secret's data and stringData as secrets (every key below them).
    "kubernetes:core/v1:Secret": ["data", "stringData"],
};

interface Config {
    /** More `type#path` pairs that may hold key material. */
    readonly allowedFields?: string[];
}

export function keyMaterialKind(s: string): string | undefined {
    if (PRIVATE_KEY.test(s)) return "a private key (PEM)";
    if ((KUBECONFIG_YAML.test(s) && API_V1_YAML.test(s)) || (KUBECONFIG_JSON.test(s) && /"clusters"\s*:/.test(s))) return "a kubeconfig";
    return undefined;
}

/**
 * Policies see inputs with secrets already unwrapped (@pulumi/policy analyzes with
 * `deserializeProperties(…, false)`), so "is this input secret?" cannot be asked; key material
 * is therefore allowed only in fields the provider itself keeps secret.
 */
export const noPlaintextKeyMaterialInInputs: ResourceValidationPolicy = {
    name: "noPlaintextKeyMaterialInInputs",
    description:
        "No resource input holds a private key (PEM) or a kubeconfig outside the fields the provider keeps secret (command connection.privateKey, the Kubernetes provider's kubeconfig, a Kubernetes Secret's data).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedFields: { type: "array", items: { type: "string" }, default: [], description: "Extra <type>#<path> fields that may hold key material." },
        },
    },
    validateResource: (args, report) => {
        const extra = (args.getConfig<Config>().allowedFields ?? []).filter((f) => f.startsWith(`${args.type}#`)).map((f) => f.slice(args.type.length + 1));
        const allowed = new Set([...(SECRET_FIELDS[args.type] ?? []), ...extra]);
        walkStrings(asRecord(args.props), "", (path, s) => {
            if ([...allowed].some((a) => path === a || path.startsWith(`${a}.`))) return;
            const kind = keyMaterialKind(s);
            if (kind) report(`${path} holds ${kind} in plain text; pass it only through a field the provider keeps secret (e.g. connection.privateKey) or drop it`);
        });
    },
};
