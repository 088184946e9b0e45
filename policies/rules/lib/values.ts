// How the policy engine hands values to a rule, and how a rule reads them without being
// silently switched off.
//
// @pulumi/policy 1.21 wraps `props` in a proxy (proxy.js `unknownCheckingProxy`) that throws
// `UnknownValueError` when a rule touches a value that is unknown at preview; the engine then
// turns the whole check into an advisory "can't run policy … during preview" note
// (pulumi-policy#218, #258) — a mandatory rule passes without deciding. Rules here catch that
// error themselves (`guard`) and report "cannot be verified at preview: <field> is unknown" as
// a violation, or read the proxy's target (`raw`) to decide when the unknown does not matter.

/**
 * The engine's unknown sentinels (pulumi `runtime/rpc.ts` `unknownValue` and the typed ones in
 * @pulumi/policy proxy.js). Every unknown the engine sends over gRPC is the string one.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN_SENTINELS = new Set<unknown>([
    UNKNOWN,
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** proxy.js `getSpecialProxyTarget`: reading this key from the engine's proxy yields the plain object. */
const PROXY_TARGET = "__getSpecialProxyTarget";

export function isUnknown(v: unknown): boolean {
    return UNKNOWN_SENTINELS.has(v);
}

/** The plain object behind the engine's unknown-checking proxy (or the value itself). */
export function raw<T = any>(v: T): T {
    if (v !== null && typeof v === "object") {
        const target = (v as any)[PROXY_TARGET];
        if (target !== undefined) return target as T;
    }
    return v;
}

/** Thrown by `need` for an unknown value a rule cannot decide without. */
export class UnknownField extends Error {
    constructor(public readonly field: string) {
        super(`cannot be verified at preview: ${field} is unknown`);
    }
}

/** The engine's UnknownValueError (not exported by @pulumi/policy's typings): it carries the property path. */
function unknownPath(e: unknown): string | undefined {
    if (e instanceof UnknownField) return e.field;
    if (e instanceof Error && e.constructor?.name === "UnknownValueError" && Array.isArray((e as any).props)) {
        return ((e as any).props as unknown[])
            .map(String)
            .join(".")
            .replace(/\.(\d+)(?=\.|$)/g, "[$1]");
    }
    return undefined;
}

/** The message every rule uses when a value it needs is unknown at preview. */
export function unknownMessage(field: string): string {
    return `cannot be verified at preview: ${field} is unknown`;
}

/**
 * Runs `fn`; an unknown value it touches becomes a violation naming the field (prefixed with
 * `subject` in stack rules) instead of the engine's advisory skip.
 */
export function guard(report: (message: string) => void, fn: () => void, subject?: string): void {
    try {
        fn();
    } catch (e) {
        const field = unknownPath(e);
        if (field === undefined) throw e;
        report(subject ? `${subject}: ${unknownMessage(field)}` : unknownMessage(field));
    }
}

/**
 * Reads `path` (dots and [i]) from a plain object; throws UnknownField when any step is
 * unknown, returns undefined when a step is absent.
 */
export function need(obj: unknown, path: string): any {
    let cur: any = raw(obj);
    const steps = path
        .replace(/\[(\d+)\]/g, ".$1")
        .split(".")
        .filter((s) => s.length > 0);
    let at = "";
    for (const step of steps) {
        if (isUnknown(cur)) throw new UnknownField(at || "(value)");
        if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
        cur = raw(cur)[step];
        at = /^\d+$/.test(step) ? `${at}[${step}]` : at ? `${at}.${step}` : step;
    }
    if (isUnknown(cur)) throw new UnknownField(at);
    return cur;
}

/** Every string inside a value, with its path; unknowns are reported separately. */
export function walkStrings(v: unknown, path: string, visit: (path: string, s: string) => void, onUnknown?: (path: string) => void): void {
    const x = raw(v);
    if (isUnknown(x)) {
        onUnknown?.(path);
    } else if (typeof x === "string") {
        visit(path, x);
    } else if (Array.isArray(x)) {
        x.forEach((e, i) => walkStrings(e, `${path}[${i}]`, visit, onUnknown));
    } else if (x !== null && typeof x === "object") {
        for (const [k, e] of Object.entries(x)) walkStrings(e, path ? `${path}.${k}` : k, visit, onUnknown);
    }
}

export function asArray<T = any>(v: unknown): T[] {
    return Array.isArray(v) ? (v as T[]) : [];
}

export function asRecord(v: unknown): Record<string, any> {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, any>) : {};
}
