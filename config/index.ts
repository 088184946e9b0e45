import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MeshSettings } from "./schema";
import { CONFIG_NAMESPACE, ConfigError, ConfigProblem, SECRET_KEYS, SecretKey, TOP_LEVEL_KEYS, checkSettings, pathsOverlap } from "./validate";

export * from "./schema";
export * from "./validate";
export * as defaults from "./defaults";

// `isConfigSecret` is not in the SDK's typings but is how the engine marks secret keys.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };

/** The validated settings plus the secrets, which stay Pulumi secrets from here on. */
export interface StackConfig extends MeshSettings {
    readonly secrets: {
        /** Kubeconfig of the target cluster (secret). */
        readonly kubeconfig?: pulumi.Output<string>;
        /** SSH private key for the join (secret). */
        readonly sshPrivateKey?: pulumi.Output<string>;
    };
    /** Directory the relative paths of the config resolve against (the project root). */
    readonly rootDir: string;
}

export interface RawStackConfig {
    readonly values: Record<string, unknown>;
    readonly secrets: Partial<Record<SecretKey, string>>;
    /** Keys set under the namespace that the program does not know. */
    readonly unknownKeys: string[];
    /** Secret keys that were set as plain text. */
    readonly plainSecrets: SecretKey[];
    /** Ordinary keys stored as secrets (e.g. one value set with `--secret --path`). */
    readonly secretValues?: string[];
}

/** Splits the engine's flat `eco2-mesh:key` map into values and secrets. */
export function collectRaw(all: Record<string, string>, isSecret: (key: string) => boolean): RawStackConfig {
    const values: Record<string, unknown> = {};
    const secrets: Partial<Record<SecretKey, string>> = {};
    const unknownKeys: string[] = [];
    const plainSecrets: SecretKey[] = [];
    const secretValues: string[] = [];
    for (const [fullKey, text] of Object.entries(all)) {
        const [ns, key] = fullKey.split(":", 2);
        if (ns !== CONFIG_NAMESPACE) continue;
        if ((SECRET_KEYS as readonly string[]).includes(key)) {
            secrets[key as SecretKey] = text;
            if (!isSecret(fullKey)) plainSecrets.push(key as SecretKey);
        } else if ((TOP_LEVEL_KEYS as string[]).includes(key)) {
            values[key] = parseValue(text);
            if (isSecret(fullKey)) secretValues.push(key);
        } else {
            unknownKeys.push(key);
        }
    }
    return { values, secrets, unknownKeys, plainSecrets, secretValues };
}

function parseValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function expandHome(p: string): string {
    return p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}

/** Resolves raw config into the one typed object, or throws a ConfigError listing every problem. */
export function resolveStackConfig(raw: RawStackConfig, rootDir: string): StackConfig {
    const problems: ConfigProblem[] = [];
    for (const key of raw.unknownKeys) {
        problems.push({
            path: key,
            value: raw.values[key],
            reason: "is not a known key",
            fix: `remove it (known keys: ${[...TOP_LEVEL_KEYS, ...SECRET_KEYS].join(", ")})`,
        });
    }
    for (const key of raw.plainSecrets) {
        problems.push({
            path: key,
            value: "<hidden>",
            reason: "is stored as plain text",
            fix: `run: pulumi config set --secret ${key} < file (then remove the plain value)`,
        });
    }
    for (const key of raw.secretValues ?? []) {
        // A secret here would be handed to resources in plain text (and printed in errors).
        problems.push({
            path: key,
            value: "<hidden>",
            reason: `is stored as a secret, but only ${SECRET_KEYS.join(" and ")} are handled as secrets`,
            fix: `set the values of ${key} as plain config (pulumi config set --path ${key}.… without --secret); put credentials only in the secret keys`,
        });
    }
    const checked = checkSettings(raw.values);
    problems.push(...checked.problems);
    // The file and secret checks below also run on a config the schema refused (on its
    // repaired form), so one run reports everything; keys the schema refused are skipped.
    const settings = checked.settings ?? checked.partial;
    if (!settings || (raw.secretValues ?? []).length > 0) throw new ConfigError(problems);
    const refused = (...keys: string[]) => checked.dropped.some((d) => keys.some((k) => pathsOverlap(d, k)));

    const clusterLayers = settings.layers.istio || settings.layers.mesh || settings.layers.routing || settings.layers.auth || settings.layers.observability || settings.layers.join;
    let kubeconfig: pulumi.Output<string> | undefined;
    if (raw.secrets.kubeconfig) {
        kubeconfig = pulumi.secret(raw.secrets.kubeconfig);
    } else if (refused("cluster.kubeconfigPath")) {
        // Already reported by the schema.
    } else if (settings.cluster.kubeconfigPath) {
        const file = path.resolve(rootDir, expandHome(settings.cluster.kubeconfigPath));
        if (fs.existsSync(file)) {
            kubeconfig = pulumi.secret(fs.readFileSync(file, "utf8"));
        } else {
            problems.push({ path: "cluster.kubeconfigPath", value: settings.cluster.kubeconfigPath, reason: `names a file that does not exist (${file})`, fix: "point it at an existing kubeconfig, or set the secret kubeconfig key" });
        }
    } else if (clusterLayers) {
        problems.push({ path: "kubeconfig", value: undefined, reason: "is required for the cluster layers (the program never falls back to the ambient kubeconfig)", fix: "run: pulumi config set --secret kubeconfig < admin.conf, or set cluster.kubeconfigPath" });
    }
    if (settings.layers.join && !raw.secrets.sshPrivateKey && !refused("layers.join")) {
        problems.push({ path: "sshPrivateKey", value: undefined, reason: "is required with layers.join", fix: "run: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519" });
    }
    if (settings.layers.istio && settings.istio.crds.source === "file" && !refused("istio.crds", "istio.version")) {
        const file = crdFilePath(settings, rootDir);
        if (!fs.existsSync(file)) {
            problems.push({ path: "istio.crds.file", value: settings.istio.crds.file, reason: `names no file (looked for ${file})`, fix: `point it at crd-all.gen.yaml of Istio ${settings.istio.version}, or set istio.crds.source=chart` });
        }
    }
    if (settings.istio.chartDir && !refused("istio.chartDir")) {
        const dir = path.resolve(rootDir, expandHome(settings.istio.chartDir));
        const missing = ["base", "istiod", "gateway"].filter((c) => !fs.existsSync(path.join(dir, c, "Chart.yaml")));
        if (missing.length > 0) problems.push({ path: "istio.chartDir", value: settings.istio.chartDir, reason: `lacks the chart(s) ${missing.join(", ")} (no Chart.yaml in ${dir})`, fix: `run: helm pull istio/<chart> --version ${settings.istio.version} --untar -d <dir> for each chart` });
    }
    if (problems.length > 0 || !checked.settings) throw new ConfigError(problems);

    return {
        ...checked.settings,
        secrets: {
            kubeconfig,
            sshPrivateKey: raw.secrets.sshPrivateKey ? pulumi.secret(raw.secrets.sshPrivateKey) : undefined,
        },
        rootDir,
    };
}

/**
 * Where the pinned release's CRDs are read from when `istio.crds.source` is `file`: the
 * configured file, else `<release data>/<version>/crd-all.gen.yaml`, where the release data is
 * $ECO2_ISTIO_DATA (the same directory the conformance tier and scripts/fetch-istio-release.sh
 * use) or ../shared/data/istio beside the project.
 */
export function crdFilePath(settings: MeshSettings, rootDir: string): string {
    const releases = process.env.ECO2_ISTIO_DATA || path.join("..", "shared", "data", "istio");
    const file = settings.istio.crds.file ?? path.join(releases, settings.istio.version, "crd-all.gen.yaml");
    return path.resolve(rootDir, expandHome(file));
}

/** Reads and validates the stack's configuration; the only place that touches Pulumi config. */
export function readStackConfig(rootDir: string = process.cwd()): StackConfig {
    return resolveStackConfig(collectRaw(pulumi.runtime.allConfig(), isConfigSecret), rootDir);
}
