import { expect } from "chai";
import { execFileSync } from "child_process";
import * as path from "path";
import { readCrdFile } from "../../stacks/istio/crds";
import { releaseDir, VERSIONS } from "../conformance/release";
import { ROOT } from "../harness";
import { Cluster, get, send, startCluster, stopCluster } from "./engine";

// Conformance against a real API server: every Istio object of every stack variant, created
// with a server-side dry run (`dryRun=All`) and strict field validation in a control plane that
// holds the release's real CRDs. This runs what the ajv tier cannot: the CRDs' CEL rules
// (x-kubernetes-validations) and the API server's own decoding, for each supported release.

interface Dumped {
    variant: string;
    object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
}

function dump(version: string): Dumped[] {
    const out = execFileSync(process.execPath, [path.join(ROOT, "bin", "test", "conformance", "dump.js"), version], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(out) as Dumped[];
}

function collectionPath(o: Dumped["object"], plural: string): string {
    return `/apis/${o.apiVersion}/namespaces/${o.metadata.namespace}/${plural}`;
}

async function installCrds(c: Cluster, version: string): Promise<Map<string, string>> {
    const plurals = new Map<string, string>();
    for (const crd of readCrdFile(path.join(releaseDir(version), "crd-all.gen.yaml"))) {
        const r = await send(c, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        if (r.status !== 201) throw new Error(`CRD ${crd.metadata.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        plurals.set(`${crd.spec.group}/${crd.spec.names.kind}`, crd.spec.names.plural);
    }
    // Established: the API server serves the new kinds.
    for (let i = 0; i < 60; i++) {
        const list = await get(c, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
        const pending = (list.body.items as any[]).filter((d) => !(d.status?.conditions ?? []).some((x: any) => x.type === "Established" && x.status === "True"));
        if (pending.length === 0) return plurals;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error("CRDs not established after 30s");
}

async function dryRunCreate(c: Cluster, plurals: Map<string, string>, o: Dumped["object"]): Promise<{ status: number; message: string }> {
    const plural = plurals.get(`${o.apiVersion.split("/")[0]}/${o.kind}`);
    if (!plural) return { status: 0, message: `kind ${o.kind} of ${o.apiVersion} is not in this release's CRDs` };
    const r = await send(c, "POST", `${collectionPath(o, plural)}?dryRun=All&fieldValidation=Strict`, o);
    return { status: r.status, message: typeof r.body === "object" ? String(r.body.message ?? "") : String(r.body) };
}

for (const version of VERSIONS) {
    describe(`conformance in a real API server: Istio ${version} CRDs (dry-run create, strict fields, CEL)`, function () {
        let cluster: Cluster;
        let plurals: Map<string, string>;
        let objects: Dumped[];

        before(async () => {
            objects = dump(version);
            cluster = startCluster();
            plurals = await installCrds(cluster, version);
            const namespaces = new Set(objects.map((d) => d.object.metadata.namespace).filter((n): n is string => !!n));
            for (const ns of namespaces) {
                const r = await send(cluster, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
                if (r.status !== 201 && r.status !== 409) throw new Error(`namespace ${ns}: ${r.status}`);
            }
        });

        after(() => {
            if (cluster) stopCluster(cluster);
        });

        it("the API server accepts every object of every stack variant", async () => {
            expect(objects.length).to.be.greaterThan(40);
            const refused: string[] = [];
            const kinds = new Map<string, number>();
            for (const d of objects) {
                const r = await dryRunCreate(cluster, plurals, d.object);
                const id = `${d.variant}: ${d.object.kind} ${d.object.metadata.namespace}/${d.object.metadata.name}`;
                if (r.status !== 201) refused.push(`${id} → ${r.status} ${r.message}`);
                kinds.set(d.object.kind, (kinds.get(d.object.kind) ?? 0) + 1);
            }
            console.log(`      ${version}: ${objects.length} objects dry-run created (${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")})`);
            expect(refused).to.deep.equal([]);
        });

        describe("the check can fail", () => {
            const one = (kind: string) => JSON.parse(JSON.stringify(objects.find((d) => d.object.kind === kind)!.object)) as any;

            it("an unknown field is refused by strict field validation (a plain apply would prune it)", async () => {
                const vs = one("VirtualService");
                vs.spec.http[0].timeOut = "5s";
                const r = await dryRunCreate(cluster, plurals, vs);
                expect(r.status).to.equal(400);
                expect(r.message).to.match(/unknown field "spec\.http\[0\]\.timeOut"/);
            });

            it("a CEL rule of the CRD refuses a JWKS URI that is not http(s) (a rule ajv cannot run)", async () => {
                const ra = one("RequestAuthentication");
                ra.spec.jwtRules[0].jwksUri = "ftp://auth-api.auth.svc.cluster.local/jwks.json";
                const r = await dryRunCreate(cluster, plurals, ra);
                expect(r.status).to.equal(422);
                expect(r.message).to.match(/jwksUri/);
            });

            it("a zero duration is refused by the CRD's duration(self) >= duration('1ms') rule", async () => {
                const vs = one("VirtualService");
                vs.spec.http[0].timeout = "0s";
                const r = await dryRunCreate(cluster, plurals, vs);
                expect(r.status).to.equal(422);
                expect(r.message).to.match(/timeout/);
            });
        });
    });
}
