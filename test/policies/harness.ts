import * as fs from "fs";
import * as path from "path";
import type { PolicyResource, Policies, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ROOT } from "../harness";
import type { RecordedResource } from "../mocks";

// Runs the rules the way @pulumi/policy 1.21's analyzer does (server.js): props behind the
// unknown-checking proxy, secrets already unwrapped, `getConfig` returning the rule's entry of
// the pack config without `enforcementLevel`, an UnknownValueError turned into an advisory
// "can't run … during preview" note — recorded here as `skipped`, so tests can prove no rule
// is silently skipped.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(v: T): T; UnknownValueError: new (...a: any[]) => Error };

export { UNKNOWN } from "../../policies/rules/lib/values";

export type PolicyConfigEntry = string | ({ enforcementLevel?: string } & Record<string, unknown>);
export type PackConfig = Record<string, PolicyConfigEntry>;

export interface RunResult {
    readonly violations: string[];
    /** Set when the engine would have skipped the rule (an unknown value escaped it). */
    readonly skipped?: string;
}

function configOf(entry: PolicyConfigEntry | undefined): Record<string, unknown> {
    if (!entry || typeof entry === "string") return {};
    const { enforcementLevel: _level, ...rest } = entry;
    return rest;
}

export function levelOf(policy: { name: string; enforcementLevel?: string }, config: PackConfig = {}): string {
    const e = config[policy.name];
    return (typeof e === "string" ? e : e?.enforcementLevel) ?? policy.enforcementLevel ?? "mandatory";
}

const DEFAULT_OPTS = () => ({ protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] as string[] });

/** Drops the harness's `{__secret, value}` markers: policies see secrets unwrapped. */
export function unsecret(v: any): any {
    if (Array.isArray(v)) return v.map(unsecret);
    if (v && typeof v === "object") {
        if (v.__secret === true && "value" in v) return unsecret(v.value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsecret(x)]));
    }
    return v;
}

export interface FakeResource {
    type: string;
    name?: string;
    urn?: string;
    props: Record<string, any>;
    additionalSecretOutputs?: string[];
    parent?: string;
    dependencies?: string[];
}

let counter = 0;
function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::eco2-mesh::${type}::${name}`;
}

/** PolicyResources as AnalyzeStack builds them (parent and dependencies resolved to objects). */
export function toPolicyResources(fakes: FakeResource[]): PolicyResource[] {
    const out = fakes.map((f) => {
        const name = f.name ?? `r${++counter}`;
        const type = f.type;
        const props = proxy.unknownCheckingProxy(unsecret(f.props));
        const r: PolicyResource = {
            type,
            props,
            urn: f.urn ?? urnOf(type, name),
            name,
            opts: { ...DEFAULT_OPTS(), additionalSecretOutputs: [...(f.additionalSecretOutputs ?? [])], ...(f.parent ? { parent: f.parent } : {}) },
            dependencies: [],
            propertyDependencies: {},
            isType: (cls: any) => cls?.__pulumiType === type,
            asType: ((cls: any) => (cls?.__pulumiType === type ? props : undefined)) as any,
        };
        return r;
    });
    const byUrn = new Map(out.map((r) => [r.urn, r]));
    out.forEach((r, i) => {
        const f = fakes[i];
        if (f.parent && byUrn.has(f.parent)) r.parent = byUrn.get(f.parent);
        r.dependencies = (f.dependencies ?? []).map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x);
    });
    return out;
}

/** The recorded program (test/mocks.ts) as the fakes the policies run on. */
export function fromRecording(resources: readonly RecordedResource[]): FakeResource[] {
    return resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: JSON.parse(JSON.stringify(r.inputs)),
        additionalSecretOutputs: [...r.additionalSecretOutputs],
        parent: r.parent || undefined,
        dependencies: [...r.dependencies],
    }));
}

function isSkip(e: unknown): boolean {
    return e instanceof proxy.UnknownValueError;
}

export async function runResource(policy: ResourceValidationPolicy, fake: FakeResource, config: PackConfig = {}): Promise<RunResult> {
    const [r] = toPolicyResources([fake]);
    const violations: string[] = [];
    const report: ReportViolation = (m: string) => void violations.push(m);
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    try {
        for (const v of validations) {
            await v(
                {
                    type: r.type,
                    props: r.props,
                    urn: r.urn,
                    name: r.name,
                    opts: r.opts,
                    stackTags: new Map(),
                    isType: r.isType,
                    asType: r.asType as any,
                    getConfig: <T extends object>() => configOf(config[policy.name]) as T,
                    notApplicable: (reason?: string): never => {
                        throw new Error(`notApplicable: ${reason}`);
                    },
                },
                report,
            );
        }
    } catch (e) {
        if (isSkip(e)) return { violations, skipped: (e as Error).message };
        throw e;
    }
    return { violations };
}

export async function runStack(policy: StackValidationPolicy, fakes: FakeResource[] | PolicyResource[], config: PackConfig = {}): Promise<RunResult> {
    const resources = fakes.length > 0 && "isType" in fakes[0] ? (fakes as PolicyResource[]) : toPolicyResources(fakes as FakeResource[]);
    const violations: string[] = [];
    try {
        await policy.validateStack(
            {
                resources,
                stackTags: new Map(),
                getConfig: <T extends object>() => configOf(config[policy.name]) as T,
                notApplicable: (reason?: string): never => {
                    throw new Error(`notApplicable: ${reason}`);
                },
            },
            (m: string) => void violations.push(m),
        );
    } catch (e) {
        if (isSkip(e)) return { violations, skipped: (e as Error).message };
        throw e;
    }
    return { violations };
}

export interface PackResult {
    /** Rule name → violation messages (resource rules prefixed with the resource name). */
    readonly violations: Map<string, string[]>;
    readonly skipped: Map<string, string[]>;
}

/** Every rule of the pack over a stack, as `pulumi preview --policy-pack` would run them. */
export async function runPack(policies: Policies, fakes: FakeResource[], config: PackConfig = {}): Promise<PackResult> {
    const resources = toPolicyResources(fakes);
    const violations = new Map<string, string[]>();
    const skipped = new Map<string, string[]>();
    const add = (m: Map<string, string[]>, k: string, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
    for (const p of policies) {
        if (levelOf(p, config) === "disabled") continue;
        if ("validateStack" in p) {
            const res = await runStack(p, resources, config);
            res.violations.forEach((v) => add(violations, p.name, v));
            if (res.skipped) add(skipped, p.name, res.skipped);
        } else {
            for (const [i, r] of resources.entries()) {
                const res = await runResource(p, fakes[i], config);
                res.violations.forEach((v) => add(violations, p.name, `${r.name}: ${v}`));
                if (res.skipped) add(skipped, p.name, `${r.name}: ${res.skipped}`);
            }
        }
    }
    return { violations, skipped };
}

/** `policies/config.<env>.json`. */
export function packConfig(env: string): PackConfig {
    return JSON.parse(fs.readFileSync(path.join(ROOT, "policies", `config.${env}.json`), "utf8")) as PackConfig;
}
