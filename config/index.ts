import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { arnRegion, MeshSettings } from "./schema";
import { readCrdFile } from "../stacks/istio/crds";
import { LOCAL_STACK_PASSPHRASE } from "./defaults";
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
    /** Their values, for the message (a Map: a key may be `constructor` or `__proto__`). */
    readonly unknownValues?: ReadonlyMap<string, unknown>;
    /** `aws:region` of the stack, when set: the ARNs in the config must be of that region. */
    readonly awsRegion?: string;
    /** The engine was started with the local stack's public passphrase (scripts/env.sh). */
    readonly localPassphrase?: boolean;
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
    const unknownValues = new Map<string, unknown>();
    const plainSecrets: SecretKey[] = [];
    const secretValues: string[] = [];
    let awsRegion: string | undefined;
    for (const [fullKey, text] of Object.entries(all)) {
        const [ns, key] = fullKey.split(":", 2);
        if (fullKey === "aws:region") awsRegion = text;
        if (ns !== CONFIG_NAMESPACE) continue;
        if ((SECRET_KEYS as readonly string[]).includes(key)) {
            secrets[key as SecretKey] = text;
            if (!isSecret(fullKey)) plainSecrets.push(key as SecretKey);
        } else if ((TOP_LEVEL_KEYS as string[]).includes(key)) {
            values[key] = parseValue(text);
            if (isSecret(fullKey)) secretValues.push(key);
        } else {
            unknownKeys.push(key);
            unknownValues.set(key, isSecret(fullKey) ? "<hidden>" : parseValue(text));
        }
    }
    return { values, secrets, unknownKeys, unknownValues, plainSecrets, secretValues, awsRegion };
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
            value: raw.unknownValues?.get(key),
            reason: "is not a known key",
            fix: `remove it (known keys: ${[...TOP_LEVEL_KEYS, ...SECRET_KEYS].join(", ")})`,
        });
    }
    for (const key of raw.plainSecrets) {
        problems.push({
            path: key,
            value: "<hidden>",
            reason: "is stored as plain text",
            // `config set --secret` replaces the same key, so the plain value must go first or the
            // secret would be removed with it; a plain credential that was committed is burnt.
            fix: `run: pulumi config rm ${key}, then pulumi config set --secret ${key} < file; if the stack file with the plain value was committed or shared, rotate the credential`,
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
    // A key stored with --secret is refused above; its own problems must not print its value.
    const hidden = raw.secretValues ?? [];
    problems.push(
        ...checked.problems.map((p) => (hidden.some((k) => pathsOverlap(k, p.path)) ? { ...p, value: "<hidden>", reason: "is invalid (details hidden: the key is stored as a secret)" } : p)),
    );
    // The file and secret checks below also run on a config the schema refused (on its
    // repaired form), so one run reports everything; keys the schema refused are skipped.
    const settings = checked.settings ?? checked.partial;
    if (!settings || (raw.secretValues ?? []).length > 0) throw new ConfigError(problems);
    const refused = (...keys: string[]) => checked.dropped.some((d) => keys.some((k) => pathsOverlap(d, k)));

    const clusterLayers = settings.layers.istio || settings.layers.mesh || settings.layers.routing || settings.layers.auth || settings.layers.observability || settings.layers.join;
    let kubeconfig: pulumi.Output<string> | undefined;
    if (raw.secrets.kubeconfig) {
        const shape = kubeconfigProblem(raw.secrets.kubeconfig);
        if (shape) problems.push({ path: "kubeconfig", value: "<hidden>", reason: shape, fix: "run: pulumi config set --secret kubeconfig < admin.conf (the kubeconfig file itself)" });
        kubeconfig = pulumi.secret(raw.secrets.kubeconfig);
    } else if (refused("cluster.kubeconfigPath")) {
        // Already reported by the schema.
    } else if (settings.cluster.kubeconfigPath) {
        const file = path.resolve(rootDir, expandHome(settings.cluster.kubeconfigPath));
        const problem = fileProblem(file);
        const text = problem ? undefined : fs.readFileSync(file, "utf8");
        const shape = text === undefined ? undefined : kubeconfigProblem(text);
        if (problem || shape) {
            problems.push({
                path: "cluster.kubeconfigPath",
                value: settings.cluster.kubeconfigPath,
                reason: `${problem ?? shape} (${file})`,
                fix: "point it at an existing kubeconfig, or set the secret kubeconfig key",
            });
        } else {
            kubeconfig = pulumi.secret(text!);
        }
    } else if (clusterLayers) {
        problems.push({
            path: "kubeconfig",
            value: undefined,
            reason: "is required for the cluster layers (the program never falls back to the ambient kubeconfig)",
            fix: "run: pulumi config set --secret kubeconfig < admin.conf, or set cluster.kubeconfigPath",
        });
    }
    if (raw.secrets.sshPrivateKey && !/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(raw.secrets.sshPrivateKey)) {
        problems.push({
            path: "sshPrivateKey",
            value: "<hidden>",
            reason: "does not hold a private key (no -----BEGIN … PRIVATE KEY----- block)",
            fix: "run: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519 (the private key file, not the .pub)",
        });
    }
    if (settings.layers.join && !raw.secrets.sshPrivateKey && !refused("layers.join")) {
        problems.push({ path: "sshPrivateKey", value: undefined, reason: "is required with layers.join", fix: "run: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519" });
    }
    if (settings.layers.istio && settings.istio.crds.source === "file" && !refused("istio.crds", "istio.version")) {
        const file = crdFilePath(settings, rootDir);
        const problem = fileProblem(file) ?? crdFileProblem(file);
        if (problem) {
            problems.push({
                path: "istio.crds.file",
                value: settings.istio.crds.file,
                reason: `${problem} (looked for ${file})`,
                fix: `point it at crd-all.gen.yaml of Istio ${settings.istio.version}, or set istio.crds.source=chart`,
            });
        }
    }
    if (settings.istio.chartDir && !refused("istio.chartDir")) {
        const dir = path.resolve(rootDir, expandHome(settings.istio.chartDir));
        const charts = ["base", "istiod", "gateway"];
        const missing = charts.filter((c) => fileProblem(path.join(dir, c, "Chart.yaml")) !== undefined);
        if (missing.length > 0)
            problems.push({
                path: "istio.chartDir",
                value: settings.istio.chartDir,
                reason: `lacks the chart(s) ${missing.join(", ")} (no Chart.yaml in ${dir})`,
                fix: `run: helm pull istio/<chart> --version ${settings.istio.version} --untar -d <dir> for each chart`,
            });
        // A local chart installs whatever is on disk, whatever version the release records.
        for (const c of charts.filter((x) => !missing.includes(x))) {
            const version = chartVersion(path.join(dir, c, "Chart.yaml"));
            if (version !== settings.istio.version)
                problems.push({
                    path: "istio.chartDir",
                    value: settings.istio.chartDir,
                    reason: `holds the ${c} chart at version ${version ?? "(none)"}, but istio.version is ${settings.istio.version}`,
                    fix: `unpack the ${settings.istio.version} charts there (helm pull istio/${c} --version ${settings.istio.version} --untar), or pin istio.version to the charts' version`,
                });
        }
    }
    if (raw.localPassphrase && settings.environment !== "local" && !refused("environment")) {
        problems.push({
            path: "environment",
            value: settings.environment,
            reason: "is not local, but PULUMI_CONFIG_PASSPHRASE is the local stack's passphrase (scripts/env.sh sets it), which is written in the repository: this stack's secrets would be readable by anyone",
            fix: "open a shell that has not sourced scripts/env.sh (or unset PULUMI_CONFIG_PASSPHRASE) and use this stack's own secrets provider (awskms://… or a passphrase of your own)",
        });
    }
    if (raw.awsRegion && settings.layers.aws) {
        const arns: [string, string | undefined][] = [
            ["loadBalancer.certificateArn", settings.loadBalancer.certificateArn],
            ["loadBalancer.cutover.legacyTargetGroupArn", settings.loadBalancer.cutover.legacyTargetGroupArn],
        ];
        for (const [key, arn] of arns) {
            if (arn && !refused(key) && arnRegion(arn) !== raw.awsRegion)
                problems.push({
                    path: key,
                    value: arn,
                    reason: `is in region ${arnRegion(arn)}, but the stack deploys to aws:region ${raw.awsRegion}; a load balancer uses resources of its own region only`,
                    fix: `use the ARN from ${raw.awsRegion}, or correct aws:region`,
                });
        }
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

/** Why `file` cannot be read as a file, or undefined when it can. */
function fileProblem(file: string): string | undefined {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        return "names a file that does not exist";
    }
    if (!stat.isFile()) return "names a directory or special file, not a file";
    try {
        fs.accessSync(file, fs.constants.R_OK);
    } catch {
        return "names a file this user cannot read";
    }
    return undefined;
}

/** Why a kubeconfig text is not one, or undefined; never quotes the text (it holds credentials). */
function kubeconfigProblem(text: string): string | undefined {
    let doc: unknown;
    try {
        doc = YAML.parse(text);
    } catch {
        return "is not YAML, so not a kubeconfig";
    }
    const d = doc as { clusters?: unknown; users?: unknown } | null;
    if (!d || typeof d !== "object" || !Array.isArray(d.clusters) || d.clusters.length === 0 || !Array.isArray(d.users)) return "is not a kubeconfig (no clusters and users lists)";
    return undefined;
}

function crdFileProblem(file: string): string | undefined {
    try {
        const crds = readCrdFile(file);
        const foreign = crds.find((c) => !String(c.spec?.group ?? "").endsWith("istio.io"));
        if (foreign) return `holds a CustomResourceDefinition of group ${String(foreign.spec?.group)}, not only Istio's`;
        if (!crds.some((c) => c.spec?.names?.kind === "VirtualService")) return "lacks Istio's networking CRDs (no VirtualService)";
        return undefined;
    } catch (e) {
        return `is not a CRD file: ${(e as Error).message.split("\n")[0].slice(0, 200)}`;
    }
}

function chartVersion(file: string): string | undefined {
    try {
        const v = (YAML.parse(fs.readFileSync(file, "utf8")) as { version?: unknown } | null)?.version;
        return typeof v === "string" ? v : undefined;
    } catch {
        return undefined;
    }
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
    const raw = collectRaw(pulumi.runtime.allConfig(), isConfigSecret);
    return resolveStackConfig({ ...raw, localPassphrase: process.env.PULUMI_CONFIG_PASSPHRASE === LOCAL_STACK_PASSPHRASE }, rootDir);
}
