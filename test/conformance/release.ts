import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import Ajv, { ValidateFunction } from "ajv";
import { CrdDocument, readCrdFile } from "../../stacks/istio/crds";
import { ROOT } from "../harness";
import { CONFORMANCE_ISTIO_VERSIONS } from "../../config/defaults";

/** Releases the conformance tier checks (one list with the config's version guard). */
export const VERSIONS = CONFORMANCE_ISTIO_VERSIONS;

/** Where the real release files live: $ECO2_ISTIO_DATA/<version>/, default ../shared/data/istio/<version>/. */
export function releaseDir(version: string): string {
    const base = process.env.ECO2_ISTIO_DATA ?? path.resolve(ROOT, "..", "shared", "data", "istio");
    const dir = path.join(base, version);
    const needed = ["crd-all.gen.yaml", "base.values.yaml", "istiod.values.yaml", "gateway.values.yaml", "gateway.values.schema.json"];
    const missing = needed.filter((f) => !fs.existsSync(path.join(dir, f)));
    if (missing.length > 0) {
        throw new Error(
            `conformance data for Istio ${version} is missing in ${dir} (${missing.join(", ")}). ` +
                `Fix: put ../shared beside the repo, set ECO2_ISTIO_DATA to a directory holding <version>/ folders, ` +
                `or run: bash scripts/fetch-istio-release.sh ${version}`,
        );
    }
    return dir;
}

export interface CrdIndex {
    /** `group/Kind` → CRD. */
    byKind: Map<string, CrdDocument>;
}

export function crdIndex(version: string): CrdIndex {
    const byKind = new Map<string, CrdDocument>();
    for (const crd of readCrdFile(path.join(releaseDir(version), "crd-all.gen.yaml"))) {
        byKind.set(`${crd.spec.group}/${crd.spec.names.kind}`, crd);
    }
    return { byKind };
}

export interface SchemaStats {
    celRulesNotEvaluated: number;
}

/**
 * Turns a CRD's structural openAPIV3Schema into a JSON schema that fails where the API server
 * would prune or reject: objects with `properties` get `additionalProperties: false` unless
 * they preserve unknown fields; int-or-string becomes an anyOf; CEL rules are counted (ajv
 * cannot run CEL) and reported.
 */
export function toJsonSchema(node: any, stats: SchemaStats): any {
    if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, stats));
    if (!node || typeof node !== "object") return node;
    const out: any = {};
    for (const [k, v] of Object.entries(node)) {
        if (k === "x-kubernetes-validations") {
            stats.celRulesNotEvaluated += (v as unknown[]).length;
            continue;
        }
        if (k.startsWith("x-kubernetes-")) continue;
        out[k] = k === "properties" || k === "patternProperties" ? mapValues(v as Record<string, unknown>, (x) => toJsonSchema(x, stats)) : toJsonSchema(v, stats);
    }
    if (node["x-kubernetes-int-or-string"]) {
        delete out.type;
        return { ...out, anyOf: [{ type: "integer" }, { type: "string" }] };
    }
    if (node["x-kubernetes-preserve-unknown-fields"]) return out;
    if (out.type === "object" && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
}

function mapValues<T>(o: Record<string, T>, f: (x: T) => unknown): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

/** The validator of one served version of a CRD, for whole objects (metadata left to the API server). */
export function crdValidator(version: string, crd: CrdDocument, apiVersion: string, stats: SchemaStats): ValidateFunction {
    const key = `${version}|${crd.metadata.name}|${apiVersion}`;
    const hit = validators.get(key);
    if (hit) return hit;
    const v = crd.spec.versions.find((x) => `${crd.spec.group}/${x.name}` === apiVersion)!;
    const schema = toJsonSchema(v.schema!.openAPIV3Schema, stats);
    schema.properties = { ...schema.properties, metadata: { type: "object" }, apiVersion: { type: "string" }, kind: { type: "string" } };
    const fn = ajv.compile(schema);
    validators.set(key, fn);
    return fn;
}

/** A chart's defaults: values.yaml with the `_internal_defaults_do_not_set` wrapper unfolded. */
export function chartDefaults(version: string, chart: "base" | "istiod" | "gateway"): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(releaseDir(version), `${chart}.values.yaml`), "utf8")) as Record<string, any>;
    const inner = doc._internal_defaults_do_not_set ?? {};
    const rest = { ...doc };
    delete rest._internal_defaults_do_not_set;
    return deepMerge(inner, rest);
}

function deepMerge(a: Record<string, any>, b: Record<string, any>): Record<string, any> {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) {
        out[k] = v && typeof v === "object" && !Array.isArray(v) && out[k] && typeof out[k] === "object" ? deepMerge(out[k], v) : v;
    }
    return out;
}

export function gatewaySchemaValidator(version: string): ValidateFunction {
    const key = `gateway-schema|${version}`;
    const hit = validators.get(key);
    if (hit) return hit;
    const raw = JSON.parse(fs.readFileSync(path.join(releaseDir(version), "gateway.values.schema.json"), "utf8"));
    // The chart's root is `$ref: #/$defs/values` with `additionalProperties: false` beside it
    // (1.24) or inside it (1.30): either way unknown top-level keys are refused.
    const root = { ...raw.$defs.values, additionalProperties: false, $defs: raw.$defs };
    const fn = ajv.compile(root);
    validators.set(key, fn);
    return fn;
}
