import { expect } from "chai";
import { clone, configFor, record, recordStack, Recording, setPath, stackValues } from "../harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";

async function devWithCharts(overrides: Record<string, unknown> = {}): Promise<Recording> {
    const v = clone(stackValues("dev"));
    for (const [k, x] of Object.entries(overrides)) setPath(v, k, x);
    return record(configFor(v));
}

describe("stacks/istio", () => {
    let rec: Recording;
    before(async () => {
        rec = await devWithCharts();
    });

    it("installs base → istiod → gateway, each waiting for the one before", () => {
        const base = rec.named("istio-base");
        const istiod = rec.named("istio-istiod");
        const gateway = rec.named("istio-gateway");
        expect(rec.dependsOn(istiod, base), "istiod must wait for base").to.equal(true);
        expect(rec.dependsOn(gateway, istiod), "gateway must wait for istiod").to.equal(true);
        expect(rec.dependsOn(base, istiod)).to.equal(false);
    });

    it("pins one Istio version and one chart repository for all three releases", () => {
        const releases = rec.ofType(RELEASE);
        expect(releases.map((r) => r.inputs.chart).sort()).to.deep.equal(["base", "gateway", "istiod"]);
        for (const r of releases) {
            expect(r.inputs.version).to.equal("1.24.1");
            expect(r.inputs.repositoryOpts.repo).to.equal("https://istio-release.storage.googleapis.com/charts");
        }
    });

    it("takes the version and repository from config (1.30.3, a mirror)", async () => {
        const r = await devWithCharts({ "istio.version": "1.30.3", "istio.chartRepository": "https://charts.example.internal/istio" });
        for (const rel of r.ofType(RELEASE)) {
            expect(rel.inputs.version).to.equal("1.30.3");
            expect(rel.inputs.repositoryOpts.repo).to.equal("https://charts.example.internal/istio");
        }
    });

    it("puts istiod on the control-plane node with matching tolerations", () => {
        const v = rec.named("istio-istiod").inputs.values;
        expect(v.nodeSelector).to.deep.equal({ role: "control-plane" });
        expect(v.tolerations).to.deep.include({ key: "role", operator: "Equal", value: "control-plane", effect: "NoSchedule" });
        expect(v.tolerations).to.deep.include({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" });
    });

    it("configures JSON access logs in the mesh config", () => {
        const mc = rec.named("istio-istiod").inputs.values.meshConfig;
        expect(mc.accessLogFile).to.equal("/dev/stdout");
        expect(mc.accessLogEncoding).to.equal("JSON");
        expect(mc.extensionProviders, "dev has no ext-authz").to.equal(undefined);
    });

    it("declares the ext-authz provider in the mesh config when enabled (prod)", async () => {
        const prod = await recordStack("prod");
        const mc = prod.named("istio-istiod").inputs.values.meshConfig;
        expect(mc.extensionProviders).to.deep.equal([{ name: "auth-blacklist", envoyExtAuthzGrpc: { service: "auth-api.auth.svc.cluster.local", port: 9000, timeout: "500ms", failOpen: false } }]);
        expect(prod.named("istio-istiod").inputs.values.replicaCount).to.equal(2);
    });

    it("runs the gateway as a NodePort Service on the gateway nodes only, with replicas and a PDB", () => {
        const v = rec.named("istio-gateway").inputs.values;
        expect(v.service.type).to.equal("NodePort");
        expect(v.nodeSelector).to.deep.equal({ role: "ingress-gateway" });
        expect(v.tolerations).to.deep.equal([{ key: "role", operator: "Equal", value: "ingress-gateway", effect: "NoSchedule" }]);
        expect(v.podDisruptionBudget).to.deep.equal({ minAvailable: 1 });
        expect(v.autoscaling).to.deep.include({ enabled: true, minReplicas: 2, maxReplicas: 4 });
    });

    it("installs the gateway in its own namespace, never labelled istio-injection=disabled", () => {
        const gw = rec.named("istio-gateway");
        expect(gw.inputs.namespace).to.equal("istio-ingress");
        const ns = rec.named("istio-gateway-ns");
        expect(ns.inputs.metadata.name).to.equal("istio-ingress");
        expect(ns.inputs.metadata.labels?.["istio-injection"]).to.not.equal("disabled");
        expect(rec.dependsOn(gw, ns)).to.equal(true);
    });

    it("binds every Kubernetes resource to the explicit provider built from the stack's kubeconfig", async () => {
        const provider = rec.ofType("pulumi:providers:kubernetes");
        expect(provider).to.have.length(1);
        expect(provider[0].inputs.kubeconfig, "kubeconfig must be a secret").to.deep.include({ __secret: true });
        const k8s = rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(k8s.length).to.be.greaterThan(10);
        for (const r of k8s) expect(r.provider, `${r.name} uses the ambient provider`).to.match(new RegExp(`^${provider[0].urn.replace(/[$^.*+?()[\]{}|\\]/g, "\\$&")}::`));
    });

    it("retains the CRDs (base release and istio-system) on delete unless asked", async () => {
        expect(rec.named("istio-base").retainOnDelete).to.equal(true);
        expect(rec.named("istio-system-ns").retainOnDelete).to.equal(true);
        expect(rec.named("istio-istiod").retainOnDelete).to.equal(false);
        const purge = await devWithCharts({ "istio.crds.retainOnDelete": false });
        expect(purge.named("istio-base").retainOnDelete).to.equal(false);
    });

    it("installs offline from a chart directory when istio.chartDir is set", async () => {
        const fs = await import("fs");
        const os = await import("os");
        const path = await import("path");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "charts-"));
        for (const c of ["base", "istiod", "gateway"]) {
            fs.mkdirSync(path.join(dir, c));
            fs.writeFileSync(path.join(dir, c, "Chart.yaml"), `name: ${c}\nversion: 1.24.1\n`);
        }
        const r = await devWithCharts({ "istio.chartDir": dir });
        for (const rel of r.ofType(RELEASE)) {
            expect(rel.inputs.chart).to.equal(path.join(dir, path.basename(rel.inputs.chart)));
            expect(rel.inputs.repositoryOpts).to.equal(undefined);
        }
    });

    describe("local stack (no charts offline)", () => {
        let local: Recording;
        before(async () => {
            local = await recordStack("local");
        });
        it("applies the pinned release's CRDs from the file, retained on delete", () => {
            const crds = local.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
            expect(crds.map((c) => c.inputs.metadata.name)).to.include.members(["virtualservices.networking.istio.io", "requestauthentications.security.istio.io", "telemetries.telemetry.istio.io"]);
            expect(crds).to.have.length(14);
            for (const c of crds) expect(c.retainOnDelete).to.equal(true);
        });
        it("installs no Helm release and every Istio object waits for the CRDs", () => {
            expect(local.ofType(RELEASE)).to.have.length(0);
            const vsCrd = local.named("istio-crd-virtualservices.networking.istio.io");
            for (const vs of local.kind("VirtualService")) expect(local.dependsOn(vs, vsCrd), vs.name).to.equal(true);
            const raCrd = local.named("istio-crd-requestauthentications.security.istio.io");
            for (const ra of local.kind("RequestAuthentication")) expect(local.dependsOn(ra, raCrd)).to.equal(true);
        });
    });
});
