import * as pulumi from "@pulumi/pulumi";
import { installMocks, recorder, settle } from "../../test/mocks";
import { clone, configFor, record, stackValues } from "../../test/harness";
import { chains } from "./graph";

// One measurement in its own process, so peak memory belongs to it alone.
// Usage: node bin/scripts/bench/worker.js program|floor|replay|policy <domains|resources>

/** The dev stack grown to `n` domains, one namespace each. */
export function devWithDomains(n: number): Record<string, unknown> {
    const v = clone(stackValues("dev")) as any;
    const template = v.routing.domains[0];
    v.routing.domains = Array.from({ length: n }, (_, i) => ({ ...template, name: `d${i}`, namespace: `d${i}`, pathPrefix: `/api/v1/d${i}`, service: { name: `d${i}-api`, port: 8000 } }));
    v.mesh.namespaces = Array.from({ length: n }, (_, i) => ({ name: `d${i}`, workloads: [`d${i}-api`] }));
    v.auth.protectedPaths = Array.from({ length: n }, (_, i) => `/api/v1/d${i}*`);
    return v;
}

async function program(n: number) {
    // Warm-up: the SDKs load their resource modules lazily on first use; that cost is not the program's.
    await record(configFor(devWithDomains(2)));
    const cfg = configFor(devWithDomains(n));
    const t0 = process.hrtime.bigint();
    const rec = await record(cfg);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = chains(rec.resources);
    return { ms, resources: rec.resources.filter((r) => r.custom).length, chain: c.actual, requiredChain: c.required };
}

/** A resource with no inputs and no component: the least the engine can be asked to register. */
class Bare extends pulumi.CustomResource {
    constructor(name: string) {
        super("eco2:bench:Bare", name, {});
    }
}

async function floor(n: number) {
    for (let i = 0; i < 20; i++) new Bare(`warm-${i}`);
    await settle();
    recorder.resources = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) new Bare(`bare-${i}`);
    await settle();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, resources: recorder.resources.length };
}

/** Any resource type with the given inputs, as the engine sees it; no typed SDK class around it. */
class Replayed extends pulumi.CustomResource {
    constructor(type: string, name: string, inputs: pulumi.Inputs) {
        super(type, name, inputs);
    }
}

/**
 * The program's resources replayed: every custom resource it registers at `n` domains, with the
 * same type and inputs, as a generic CustomResource straight from a loop. The SDK's cost of
 * registering exactly that payload; the program against it is the program's own cost.
 */
async function replay(n: number) {
    await record(configFor(devWithDomains(2)));
    const rec = await record(configFor(devWithDomains(n)));
    const items = rec.resources
        .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
        .map((r) => ({ type: r.type, name: r.name, inputs: JSON.parse(JSON.stringify(r.inputs)) as pulumi.Inputs }));
    recorder.resources = [];
    const t0 = process.hrtime.bigint();
    for (const it of items) new Replayed(it.type, `replay-${it.name}`, it.inputs);
    await settle();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, resources: items.length };
}

async function policy(n: number) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { policies } = require("../../policies/rules") as typeof import("../../policies/rules");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const h = require("../../test/policies/harness") as typeof import("../../test/policies/harness");
    const rec = await record(configFor(devWithDomains(n)));
    const fakes = h.fromRecording(rec.resources);
    const config = h.packConfig("dev");
    const resourcePolicies = policies.filter((p) => "validateResource" in p) as import("@pulumi/policy").ResourceValidationPolicy[];
    const stackPolicies = policies.filter((p) => "validateStack" in p) as import("@pulumi/policy").StackValidationPolicy[];
    let t0 = process.hrtime.bigint();
    for (const f of fakes) for (const p of resourcePolicies) await h.runResource(p, f, config);
    const resourceMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const policyResources = h.toPolicyResources(fakes);
    t0 = process.hrtime.bigint();
    for (const p of stackPolicies) await h.runStack(p, policyResources, config);
    const stackMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return { resources: fakes.length, resourceMs, stackMs, rules: policies.length };
}

async function main() {
    const [mode, nText] = process.argv.slice(2);
    const n = Number(nText);
    await installMocks();
    const fn = { program, floor, replay, policy }[mode as "program" | "floor" | "replay" | "policy"];
    if (!fn || !Number.isInteger(n)) throw new Error("usage: worker.js program|floor|replay|policy <n>");
    const result = await fn(n);
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify({ mode, n, ...result, maxRssMb }) + "\n");
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
