import { expect } from "chai";
import { clone, Recording, STACKS } from "../harness";
import { recordVariants } from "./variants";
import { chartDefaults, crdIndex, crdValidator, gatewaySchemaValidator, releaseDir, SchemaStats, VERSIONS } from "./release";

// Conformance: every Istio object the program registers, for every stack and supported
// release, validated against the real CRD schemas; every Helm values object checked against
// the real chart. Data: ../shared/data/istio/<version>/ (or $ECO2_ISTIO_DATA).

/**
 * MeshConfig fields the program may set, transcribed from istio/api mesh/v1alpha1/config.proto
 * (field names in JSON form). `meshConfig` is a free map to the chart (its values.yaml only shows
 * enablePrometheusMerge), so keys are checked here instead; extend from the proto when the
 * program sets a new field.
 */
const MESH_CONFIG_FIELDS: Record<string, (v: unknown) => string | undefined> = {
    enablePrometheusMerge: (v) => (typeof v === "boolean" ? undefined : "must be a boolean"),
    accessLogFile: (v) => (typeof v === "string" ? undefined : "must be a string"),
    accessLogEncoding: (v) => (v === "TEXT" || v === "JSON" ? undefined : 'must be "TEXT" or "JSON"'),
    extensionProviders: (v) => {
        if (!Array.isArray(v)) return "must be a list";
        const grpcFields = new Set(["service", "port", "timeout", "failOpen", "statusOnError", "includeRequestBodyInCheck", "clearRouteCache"]);
        for (const p of v as Record<string, any>[]) {
            const kinds = Object.keys(p).filter((k) => k !== "name");
            if (typeof p.name !== "string") return "provider without a name";
            if (kinds.length !== 1 || kinds[0] !== "envoyExtAuthzGrpc") return `provider ${p.name} must have exactly one kind (envoyExtAuthzGrpc), got ${kinds.join(",")}`;
            for (const k of Object.keys(p.envoyExtAuthzGrpc)) if (!grpcFields.has(k)) return `provider ${p.name}: envoyExtAuthzGrpc.${k} is not a field`;
            if (typeof p.envoyExtAuthzGrpc.service !== "string" || typeof p.envoyExtAuthzGrpc.port !== "number") return `provider ${p.name}: service and port are required`;
        }
        return undefined;
    },
};

/** Kubernetes ServicePort fields: the gateway chart copies each port entry verbatim into the Service. */
const SERVICE_PORT_FIELDS = new Set(["name", "port", "protocol", "targetPort", "nodePort", "appProtocol"]);

/**
 * Key-by-key check of a values object against the chart's defaults. A default that is an empty
 * map or null is a free map the chart passes to a Kubernetes field (nodeSelector, podAnnotations,
 * env...): its keys are not the chart's to know. Lists are checked by their own rules.
 */
export function unknownValueKeys(values: Record<string, unknown>, defaults: Record<string, unknown>, prefix = ""): string[] {
    const out: string[] = [];
    for (const [k, v] of Object.entries(values)) {
        const here = prefix ? `${prefix}.${k}` : k;
        if (!(k in defaults)) {
            out.push(here);
            continue;
        }
        const d = defaults[k];
        const isMap = (x: unknown) => !!x && typeof x === "object" && !Array.isArray(x);
        if (here === "meshConfig") continue; // checked against MESH_CONFIG_FIELDS
        if (isMap(v) && isMap(d) && Object.keys(d as object).length > 0) {
            out.push(...unknownValueKeys(v as Record<string, unknown>, d as Record<string, unknown>, here));
        }
    }
    return out;
}

function meshConfigProblems(mc: Record<string, unknown>): string[] {
    return Object.entries(mc).flatMap(([k, v]) => {
        const check = MESH_CONFIG_FIELDS[k];
        if (!check) return [`meshConfig.${k} is not a MeshConfig field the tier knows`];
        const why = check(v);
        return why ? [`meshConfig.${k} ${why}`] : [];
    });
}

export interface ObjectReport {
    checked: Map<string, number>;
    celNotEvaluated: number;
}

/** Validates every Istio object of a recording against the release's CRDs; returns problems. */
export function istioObjectProblems(rec: Recording, version: string, report?: ObjectReport): string[] {
    const crds = crdIndex(version);
    const problems: string[] = [];
    const stats: SchemaStats = { celRulesNotEvaluated: 0 };
    for (const r of rec.resources) {
        const apiVersion: string | undefined = r.inputs.apiVersion;
        if (!r.type.startsWith("kubernetes:") || !apiVersion?.includes("istio.io/")) continue;
        const [group] = apiVersion.split("/");
        const obj = `${r.inputs.kind} ${r.inputs.metadata?.namespace}/${r.inputs.metadata?.name}`;
        const crd = crds.byKind.get(`${group}/${r.inputs.kind}`);
        if (!crd) {
            problems.push(`${obj}: kind ${group}/${r.inputs.kind} does not exist in Istio ${version}`);
            continue;
        }
        const served = crd.spec.versions.find((v) => `${group}/${v.name}` === apiVersion);
        if (!served || !served.served) {
            problems.push(
                `${obj}: ${apiVersion} is not served by Istio ${version} (served: ${crd.spec.versions
                    .filter((v) => v.served)
                    .map((v) => v.name)
                    .join(", ")})`,
            );
            continue;
        }
        const { __secret, ...plain } = r.inputs as Record<string, unknown>;
        void __secret;
        const validate = crdValidator(version, crd, apiVersion, stats);
        if (!validate(plain)) {
            for (const e of validate.errors ?? []) {
                const extra = e.keyword === "additionalProperties" ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : "";
                problems.push(`${obj}: ${e.instancePath || "/"} ${e.message}${extra}`);
            }
        }
        if (report) report.checked.set(`${version} ${r.inputs.kind}`, (report.checked.get(`${version} ${r.inputs.kind}`) ?? 0) + 1);
    }
    if (report) report.celNotEvaluated = Math.max(report.celNotEvaluated, stats.celRulesNotEvaluated);
    return problems;
}

/** Checks the three releases' values of a recording against the charts of a version. */
export function helmValueProblems(rec: Recording, version: string, counter?: { keys: number }): string[] {
    const problems: string[] = [];
    for (const rel of rec.ofType("kubernetes:helm.sh/v3:Release")) {
        const chart = String(rel.inputs.chart).split("/").pop() as "base" | "istiod" | "gateway";
        const values = rel.inputs.values as Record<string, unknown>;
        if (counter) counter.keys += countKeys(values);
        for (const k of unknownValueKeys(values, chartDefaults(version, chart))) problems.push(`${chart} values: ${k} is not a key of the ${version} chart`);
        if (chart === "istiod") problems.push(...meshConfigProblems((values.meshConfig ?? {}) as Record<string, unknown>).map((p) => `istiod values: ${p}`));
        if (chart === "gateway") {
            const validate = gatewaySchemaValidator(version);
            if (!validate(values)) {
                for (const e of validate.errors ?? []) {
                    const extra = e.keyword === "additionalProperties" ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : "";
                    problems.push(`gateway values: ${e.instancePath || "/"} ${e.message}${extra}`);
                }
            }
            const ports = ((values.service as Record<string, unknown>)?.ports ?? []) as Record<string, unknown>[];
            ports.forEach((p, i) => {
                for (const k of Object.keys(p)) if (!SERVICE_PORT_FIELDS.has(k)) problems.push(`gateway values: service.ports[${i}].${k} is not a ServicePort field`);
            });
        }
    }
    return problems;
}

function countKeys(v: unknown): number {
    if (!v || typeof v !== "object") return 0;
    if (Array.isArray(v)) return v.reduce((n: number, x) => n + countKeys(x), 0);
    return Object.entries(v).reduce((n, [, x]) => n + 1 + countKeys(x), 0);
}

describe("conformance against the real Istio releases", function () {
    this.timeout(120000);
    const report: ObjectReport = { checked: new Map(), celNotEvaluated: 0 };
    const keys = { keys: 0 };
    const recordings = new Map<string, Recording>();

    before(async () => {
        for (const version of VERSIONS) releaseDir(version); // fails loudly with the fix when data is missing
        for (const version of VERSIONS) {
            for (const [variant, rec] of await recordVariants(version)) recordings.set(`${variant} ${version}`, rec);
        }
    });

    after(() => {
        const lines = [...report.checked.entries()].sort().map(([k, n]) => `    ${k}: ${n}`);
        console.log(
            `\n  conformance report: Istio objects checked per version and kind\n${lines.join("\n")}\n    Helm values keys checked: ${keys.keys}\n    CEL rules ajv cannot run: ${report.celNotEvaluated} (the integration tier runs them: a dry-run create of every object in a real API server holding these CRDs)\n`,
        );
    });

    for (const version of VERSIONS) {
        for (const variant of [...STACKS, "dev+lua"]) {
            it(`${variant} @ ${version}: every Istio object validates against the CRD schema`, () => {
                const rec = recordings.get(`${variant} ${version}`)!;
                expect(istioObjectProblems(rec, version, report)).to.deep.equal([]);
            });
            it(`${variant} @ ${version}: every Helm value is a key of the chart`, () => {
                const rec = recordings.get(`${variant} ${version}`)!;
                expect(helmValueProblems(rec, version, keys)).to.deep.equal([]);
            });
        }
    }

    describe("the tier can fail", () => {
        const rec = () => recordings.get(`dev+lua 1.24.1`)!;
        function mutate(kind: string, change: (o: any) => void): Recording {
            const copy = clone(rec().resources);
            const target = copy.find((r) => r.inputs.kind === kind)!;
            change(target.inputs);
            return new Recording(copy, rec().outputs);
        }
        it("an unknown field in a VirtualService route (pruned by the API server)", () => {
            const p = istioObjectProblems(
                mutate("VirtualService", (o) => (o.spec.http[0].timeOut = "5s")),
                "1.24.1",
            );
            expect(p.join("\n")).to.match(/VirtualService .*\/http\/0 must NOT have additional properties "timeOut"/);
        });
        it("a bad enum in PeerAuthentication", () => {
            const p = istioObjectProblems(
                mutate("PeerAuthentication", (o) => (o.spec.mtls.mode = "STRICTER")),
                "1.24.1",
            );
            expect(p.join("\n")).to.match(/PeerAuthentication istio-system\/default: \/spec\/mtls\/mode must be equal to one of the allowed values/);
        });
        it("a wrong type in a DestinationRule", () => {
            const p = istioObjectProblems(
                mutate("DestinationRule", (o) => (o.spec.trafficPolicy.connectionPool.tcp.maxConnections = "many")),
                "1.24.1",
            );
            expect(p.join("\n")).to.match(/maxConnections must be integer/);
        });
        it("an API version the release does not serve", () => {
            const p = istioObjectProblems(
                mutate("EnvoyFilter", (o) => (o.apiVersion = "networking.istio.io/v1")),
                "1.24.1",
            );
            expect(p.join("\n")).to.contain("networking.istio.io/v1 is not served by Istio 1.24.1");
        });
        it("a kind that does not exist", () => {
            const p = istioObjectProblems(
                mutate("Telemetry", (o) => (o.kind = "Telemetries")),
                "1.24.1",
            );
            expect(p.join("\n")).to.contain("kind telemetry.istio.io/Telemetries does not exist");
        });
        it("a typo in istiod values (nodeselector)", () => {
            const copy = clone(rec().resources);
            copy.find((r) => r.name === "istio-istiod")!.inputs.values.nodeselector = { role: "x" };
            expect(helmValueProblems(new Recording(copy, rec().outputs), "1.24.1")).to.include("istiod values: nodeselector is not a key of the 1.24.1 chart");
        });
        it("a typo in gateway values rejected by the chart's schema", () => {
            const copy = clone(rec().resources);
            copy.find((r) => r.name === "istio-gateway")!.inputs.values.replicas = 3;
            expect(helmValueProblems(new Recording(copy, rec().outputs), "1.30.3").join("\n")).to.contain('must NOT have additional properties "replicas"');
        });
        it("a wrong type in gateway values (PDB minAvailable as a list)", () => {
            const copy = clone(rec().resources);
            copy.find((r) => r.name === "istio-gateway")!.inputs.values.podDisruptionBudget.minAvailable = [1];
            expect(helmValueProblems(new Recording(copy, rec().outputs), "1.24.1").join("\n")).to.contain("/podDisruptionBudget/minAvailable must be integer,string");
        });
        it("an unknown mesh config field", () => {
            const copy = clone(rec().resources);
            copy.find((r) => r.name === "istio-istiod")!.inputs.values.meshConfig.accessLogEncodng = "JSON";
            expect(helmValueProblems(new Recording(copy, rec().outputs), "1.24.1")).to.include("istiod values: meshConfig.accessLogEncodng is not a MeshConfig field the tier knows");
        });
        it("a misspelt nested base value", () => {
            const copy = clone(rec().resources);
            copy.find((r) => r.name === "istio-base")!.inputs.values.global = { istioNamespce: "x" };
            expect(helmValueProblems(new Recording(copy, rec().outputs), "1.24.1")).to.include("base values: global.istioNamespce is not a key of the 1.24.1 chart");
        });
    });

    it("fails loudly, naming the fix, when the release data is missing", () => {
        const saved = process.env.ECO2_ISTIO_DATA;
        process.env.ECO2_ISTIO_DATA = "/nonexistent/istio-data";
        try {
            expect(() => releaseDir("1.24.1")).to.throw(/missing in \/nonexistent\/istio-data\/1.24.1.*Fix:/);
        } finally {
            if (saved === undefined) delete process.env.ECO2_ISTIO_DATA;
            else process.env.ECO2_ISTIO_DATA = saved;
        }
    });
});
