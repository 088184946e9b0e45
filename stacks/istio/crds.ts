import * as fs from "fs";
import * as YAML from "yaml";

export interface CrdDocument {
    apiVersion: string;
    kind: "CustomResourceDefinition";
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: {
        group: string;
        names: { kind: string; plural: string };
        versions: { name: string; served: boolean; storage: boolean; schema?: { openAPIV3Schema?: Record<string, unknown> } }[];
    };
}

const cache = new Map<string, CrdDocument[]>();

/** Parses a release's crd-all.gen.yaml (a multi-document YAML of CustomResourceDefinitions). */
export function readCrdFile(file: string): CrdDocument[] {
    const hit = cache.get(file);
    if (hit) return hit;
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
        .map((doc) => doc.toJS() as CrdDocument | null)
        .filter((doc): doc is CrdDocument => !!doc && doc.kind === "CustomResourceDefinition");
    if (docs.length === 0) throw new Error(`${file} holds no CustomResourceDefinition`);
    cache.set(file, docs);
    return docs;
}
