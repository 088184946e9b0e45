import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { collectRaw, resolveStackConfig, StackConfig, RawStackConfig } from "../config";
import { deployMesh, ProgramOutputs } from "../program";
import { RecordedResource, recorder, settle } from "./mocks";

/** The repository root (tests run from bin/test, compiled). */
export const ROOT = (() => {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        const up = path.dirname(dir);
        if (up === dir) throw new Error("Pulumi.yaml not found above " + __dirname);
        dir = up;
    }
    return dir;
})();

export const STACKS = ["local", "dev", "prod"] as const;

/** Stand-ins for the secret keys a real stack sets with `pulumi config set --secret`. */
export const FAKE_SECRETS = {
    kubeconfig: "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: { server: https://127.0.0.1:6443 }\nusers:\n- name: admin\n  user: { token: fake-kubeconfig-for-tests }\n",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nfake-key-for-tests\n-----END OPENSSH PRIVATE KEY-----\n",
};

/** The `eco2-mesh:` values of a committed stack file, as the engine would pass them. */
export function stackValues(stack: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        if (k.startsWith("eco2-mesh:")) out[k.slice("eco2-mesh:".length)] = v;
    }
    return out;
}

/** Raw config from plain values (+ fake secrets, marked secret). */
export function rawConfig(values: Record<string, unknown>, secrets: Partial<typeof FAKE_SECRETS> = FAKE_SECRETS): RawStackConfig {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) flat[`eco2-mesh:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const [k, v] of Object.entries(secrets)) if (v !== undefined) flat[`eco2-mesh:${k}`] = v;
    const secretKeys = new Set(Object.keys(secrets).map((k) => `eco2-mesh:${k}`));
    return collectRaw(flat, (k) => secretKeys.has(k));
}

export function configFor(values: Record<string, unknown>, secrets?: Partial<typeof FAKE_SECRETS>): StackConfig {
    return resolveStackConfig(rawConfig(values, secrets), ROOT);
}

export function clone<T>(v: T): T {
    return JSON.parse(JSON.stringify(v)) as T;
}

/** Sets `a.b[0].c` in a plain object (creating objects on the way). */
export function setPath(obj: Record<string, any>, dotted: string, value: unknown): Record<string, any> {
    const keys = dotted.replace(/\[(\d+)\]/g, ".$1").split(".");
    let cur: any = obj;
    for (const k of keys.slice(0, -1)) {
        if (cur[k] === undefined) cur[k] = {};
        cur = cur[k];
    }
    cur[keys[keys.length - 1]] = value;
    return obj;
}

export class Recording {
    constructor(
        public readonly resources: RecordedResource[],
        public readonly outputs: ProgramOutputs,
    ) {}

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** Istio custom resources (and any other CRs) by kind. */
    kind(kind: string): RecordedResource[] {
        return this.resources.filter((r) => r.inputs.kind === kind && r.type.startsWith("kubernetes:"));
    }

    named(name: string): RecordedResource {
        const hit = this.resources.find((r) => r.name === name);
        if (!hit) throw new Error(`no resource named ${name}; have: ${this.resources.map((r) => r.name).join(", ")}`);
        return hit;
    }

    has(name: string): boolean {
        return this.resources.some((r) => r.name === name);
    }

    byUrn(urn: string): RecordedResource | undefined {
        return this.resources.find((r) => r.urn === urn);
    }

    /** True when `a` waits for `b`, directly or through other resources. */
    dependsOn(a: RecordedResource, b: RecordedResource): boolean {
        const seen = new Set<string>();
        const stack = [...a.dependencies];
        while (stack.length > 0) {
            const urn = stack.pop()!;
            if (urn === b.urn) return true;
            if (seen.has(urn)) continue;
            seen.add(urn);
            const r = this.byUrn(urn);
            if (r) stack.push(...r.dependencies);
        }
        return false;
    }
}

/** Runs the program under the mocks and returns every registration it made. */
export async function record(cfg: StackConfig): Promise<Recording> {
    recorder.resources = [];
    const outputs = deployMesh(cfg);
    await settle();
    return new Recording([...recorder.resources], outputs);
}

export async function recordStack(stack: string, overrides: Record<string, unknown> = {}): Promise<Recording> {
    const values = clone(stackValues(stack));
    for (const [k, v] of Object.entries(overrides)) setPath(values, k, v);
    return record(configFor(values));
}
