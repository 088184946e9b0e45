import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { z } from "zod";
import { meshConfigSchema } from "../config/schema";
import { SECRET_KEYS } from "../config/validate";

// Generates docs/config-reference.md from the schema that validates the stacks, so the
// reference cannot drift: `npm run docs:config` writes it, a test fails when it is stale.
//
// Every key's example is, in this order: what the committed stacks set; the schema's own
// `.meta({ examples })`; its default; its first allowed value. Each one is parsed with the
// key's own zod schema before it is printed, so the reference never shows a value the
// validation would refuse (the generator throws instead).

const ROOT = path.resolve(__dirname, "..", "..");
export const REFERENCE_FILE = path.join(ROOT, "docs", "config-reference.md");

type Json = Record<string, any>;

function exampleValues(): Json {
    const out: Json = {};
    for (const stack of ["dev", "prod", "local"]) {
        const doc = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Json };
        for (const [k, v] of Object.entries(doc.config)) {
            if (!k.startsWith("eco2-mesh:")) continue;
            const key = k.slice("eco2-mesh:".length);
            out[key] = out[key] === undefined ? v : mergeExamples(out[key], v);
        }
    }
    return out;
}

/** `a` with the keys it lacks taken from `b`, recursively; lists are never merged (the first wins). */
function mergeExamples(a: any, b: any): any {
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
        const out = { ...a };
        for (const [k, v] of Object.entries(b)) out[k] = out[k] === undefined ? v : mergeExamples(out[k], v);
        return out;
    }
    return a;
}

function typeOf(s: Json): string {
    if (s.enum) return "enum";
    if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
    if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "any"}`;
    if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object") return `map of ${typeOf(s.additionalProperties)}`;
    return s.type ?? "any";
}

function allowed(s: Json): string {
    const parts: string[] = [];
    if (s.enum) parts.push(s.enum.map((v: unknown) => `\`${JSON.stringify(v)}\``).join(", "));
    if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? "…"}–${s.maximum ?? "…"}`);
    if (s.minItems) parts.push(`at least ${s.minItems}`);
    if (s.pattern) parts.push(`matches \`${s.pattern.replace(/\|/g, "\\|")}\``);
    if (s.type === "array" && s.items?.enum) parts.push(`each ${s.items.enum.map((v: unknown) => `\`${v}\``).join(", ")}`);
    // What a refinement or a cross-key rule adds, which JSON Schema cannot express: .meta({ constraint }).
    if (typeof s.constraint === "string") parts.push(s.constraint);
    return parts.join("; ");
}

function show(v: unknown): string {
    if (v === undefined) return "";
    const s = JSON.stringify(v);
    return `\`${(s.length > 70 ? `${s.slice(0, 67)}...` : s).replace(/\|/g, "\\|")}\``;
}

/** The schema inside its optional / default / prefault wrappers. */
function unwrapped(schema: z.ZodType): z.ZodType {
    let s = schema;
    for (let i = 0; i < 10; i++) {
        const inner = (s as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def.innerType;
        if (!inner) break;
        s = inner;
    }
    return s;
}

function zodProperty(schema: z.ZodType | undefined, key: string): z.ZodType | undefined {
    const s = schema && unwrapped(schema);
    return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>)[key] : undefined;
}

function zodElement(schema: z.ZodType | undefined): z.ZodType | undefined {
    const s = schema && unwrapped(schema);
    return s instanceof z.ZodArray ? (s.element as z.ZodType) : undefined;
}

/** An empty list or map shows nothing of what the key holds; it is not used as an example. */
function informative(v: unknown): boolean {
    if (v === undefined) return false;
    if (Array.isArray(v)) return v.length > 0;
    if (v !== null && typeof v === "object") return Object.keys(v).length > 0;
    return true;
}

function chooseExample(s: Json, fromStacks: unknown): unknown {
    const candidates = [fromStacks, ...(Array.isArray(s.examples) ? s.examples : []), s.default, ...(Array.isArray(s.enum) ? s.enum.slice(0, 1) : [])];
    return candidates.find(informative);
}

/** Throws unless the key's own schema accepts the example. */
function checkExample(keyPath: string, schema: z.ZodType | undefined, example: unknown): void {
    if (!schema) throw new Error(`config reference: found no zod schema for ${keyPath}`);
    const parsed = schema.safeParse(example);
    if (!parsed.success) {
        const why = parsed.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
        throw new Error(`config reference: the example of ${keyPath}, ${JSON.stringify(example)}, is refused by the key's own schema (${why}); fix the example in config/schema.ts or the stack file`);
    }
}

/** One row of the reference: a key, and whether other rows describe keys inside it. */
export interface ReferenceRow {
    readonly key: string;
    readonly type: string;
    readonly default: string;
    readonly allowed: string;
    readonly description: string;
    /** JSON of the example; undefined for objects, whose keys have their own rows. */
    readonly example?: string;
    /** True when no other row describes a key inside this one. */
    readonly leaf: boolean;
}

function rows(s: Json, keyPath: string, fromStacks: unknown, required: boolean, schema: z.ZodType | undefined, out: ReferenceRow[]): void {
    const isObject = s.type === "object" && !!s.properties;
    const listOfObjects = s.type === "array" && s.items?.type === "object" && !!s.items.properties;
    const example = isObject ? undefined : chooseExample(s, fromStacks);
    if (example !== undefined) checkExample(keyPath, schema, example);
    const def = s.default !== undefined && !(isObject && JSON.stringify(s.default) === "{}") ? show(s.default) : required ? "**required**" : "";
    out.push({
        key: keyPath,
        type: typeOf(s),
        default: def,
        allowed: allowed(s),
        description: s.description ?? "",
        example: example === undefined ? undefined : JSON.stringify(example),
        leaf: !isObject && !listOfObjects,
    });
    if (isObject) {
        // A stack that does not set the object leaves its default, whose fields are examples too.
        const source = (fromStacks ?? s.default) as Json | undefined;
        for (const [k, child] of Object.entries<Json>(s.properties)) {
            rows(child, `${keyPath}.${k}`, source?.[k], (s.required ?? []).includes(k) && child.default === undefined, zodProperty(schema, k), out);
        }
    } else if (listOfObjects) {
        // Fields of all the listed entries, so a field only a later entry sets still has its example.
        const items = Array.isArray(example) ? example.filter((e) => e && typeof e === "object") : [];
        const merged = items.reduce((acc: Json | undefined, e: Json) => (acc === undefined ? e : mergeExamples(acc, e)), undefined);
        for (const [k, child] of Object.entries<Json>(s.items.properties)) {
            rows(child, `${keyPath}[].${k}`, merged?.[k], (s.items.required ?? []).includes(k) && child.default === undefined, zodProperty(zodElement(schema), k), out);
        }
    }
}

/** Every row of the reference, in order, under each top-level key of `schema`. */
export function referenceSections(schema: z.ZodObject = meshConfigSchema): { key: string; description: string; rows: ReferenceRow[] }[] {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
    const examples = exampleValues();
    return Object.entries<Json>(json.properties).map(([top, s]) => {
        const out: ReferenceRow[] = [];
        rows(s, top, examples[top], (json.required ?? []).includes(top), (schema.shape as Record<string, z.ZodType>)[top], out);
        return { key: top, description: s.description ?? "", rows: out };
    });
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

export function renderReference(schema: z.ZodObject = meshConfigSchema): string {
    const out: string[] = [
        "# Configuration reference",
        "",
        "<!-- Generated by `npm run docs:config` from config/schema.ts; a test fails when this file is stale. -->",
        "",
        "Every key lives under the project namespace `eco2-mesh:` in `Pulumi.<stack>.yaml` and is validated",
        "before any resource is created: an unknown key, a wrong type or a value out of range stops the",
        "run with the key, the value and the fix. Examples are what the committed dev/prod/local stacks",
        "set; for a key no stack sets, the schema's own example, else the default, else the first allowed",
        "value. The generator parses every example with its key's schema, so none would be refused.",
        "",
        "Secrets are separate keys, set only with `pulumi config set --secret` (plain values are refused):",
        "",
        ...SECRET_KEYS.map((k) => `- \`${k}\` — ${k === "kubeconfig" ? "kubeconfig of the cluster (or set `cluster.kubeconfigPath`)" : "SSH private key of the join (`layers.join`)"}`),
        "",
    ];
    for (const section of referenceSections(schema)) {
        out.push(`## \`${section.key}\``, "", section.description, "", "| key | type | default | allowed | description | example |", "|---|---|---|---|---|---|");
        for (const r of section.rows) {
            out.push(`| \`${r.key}\` | ${r.type} | ${r.default} | ${r.allowed} | ${cell(r.description)} | ${r.example === undefined ? "" : show(JSON.parse(r.example))} |`);
        }
        out.push("");
    }
    return out.join("\n");
}

if (require.main === module) {
    fs.mkdirSync(path.dirname(REFERENCE_FILE), { recursive: true });
    fs.writeFileSync(REFERENCE_FILE, renderReference());
    console.log(`wrote ${path.relative(ROOT, REFERENCE_FILE)}`);
}
