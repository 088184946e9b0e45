import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { expect } from "chai";
import { FakeResource, PackConfig, runResource, runStack } from "./harness";

// Table-driven rule tests: a passing fixture, then one field changed per case with the exact
// messages expected.

export function clone<T>(v: T): T {
    return JSON.parse(JSON.stringify(v)) as T;
}

/** Sets (or, with undefined, deletes) `a.b[0].c`. */
export function set(obj: Record<string, any>, dotted: string, value: unknown): void {
    const keys = dotted.replace(/\[(\d+)\]/g, ".$1").split(".");
    let cur: any = obj;
    for (const k of keys.slice(0, -1)) {
        if (cur[k] === undefined) cur[k] = /^\d+$/.test(k) ? [] : {};
        cur = cur[k];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) delete cur[last];
    else cur[last] = value;
}

export function cr(apiVersion: string, kind: string, namespace: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): FakeResource {
    return {
        type: `kubernetes:${apiVersion}:${kind}`,
        name: `${kind.toLowerCase()}-${namespace}-${name}`,
        props: { apiVersion, kind, metadata: { name, namespace, ...(labels ? { labels } : {}) }, spec },
    };
}

export function release(chart: string, namespace: string, version: string | undefined, values: Record<string, unknown>, name = chart): FakeResource {
    return { type: "kubernetes:helm.sh/v3:Release", name: `release-${chart}`, props: { name, chart, namespace, ...(version !== undefined ? { version } : {}), values } };
}

/** [case, field path (props), new value, expected messages]. */
export type FieldCase = [string, string, unknown, string[]];

export function resourceRuleCases(policy: ResourceValidationPolicy, base: FakeResource, cases: FieldCase[], config: PackConfig = {}): void {
    describe(policy.name, () => {
        it("has a description and a default enforcement level", () => {
            expect(policy.description).to.match(/\.$/);
            expect(["mandatory", "advisory"]).to.include(policy.enforcementLevel);
        });
        it("passes the fixture", async () => {
            const r = await runResource(policy, clone(base), config);
            expect(r).to.deep.equal({ violations: [] });
        });
        for (const [name, path, value, messages] of cases) {
            it(name, async () => {
                const fake = clone(base);
                set(fake.props, path, value);
                const r = await runResource(policy, fake, config);
                expect(r.skipped, "skipped by the engine").to.equal(undefined);
                expect(r.violations).to.deep.equal(messages);
            });
        }
    });
}

/** [case, change to the fixture, expected messages]. */
export type StackCase = [string, (rs: FakeResource[]) => void, string[]];

export function stackRuleCases(policy: StackValidationPolicy, base: FakeResource[], cases: StackCase[], config: PackConfig = {}): void {
    describe(policy.name, () => {
        it("has a description and a default enforcement level", () => {
            expect(policy.description).to.match(/\.$/);
            expect(["mandatory", "advisory"]).to.include(policy.enforcementLevel);
        });
        it("passes the fixture", async () => {
            expect(await runStack(policy, clone(base), config)).to.deep.equal({ violations: [] });
        });
        for (const [name, change, messages] of cases) {
            it(name, async () => {
                const rs = clone(base);
                change(rs);
                const r = await runStack(policy, rs, config);
                expect(r.skipped, "skipped by the engine").to.equal(undefined);
                expect(r.violations).to.deep.equal(messages);
            });
        }
    });
}

export function named(rs: FakeResource[], name: string): FakeResource {
    const r = rs.find((x) => x.props.metadata?.name === name || x.name === name);
    if (!r) throw new Error(`no fixture resource ${name}`);
    return r;
}
