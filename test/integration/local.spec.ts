import { expect } from "chai";
import { spawn } from "child_process";
import { ROOT } from "../harness";
import { Cluster, ensureEngine, get, getObject, PulumiSession, restartApiServer, startCluster, stopCluster } from "./engine";

// The real engine: `pulumi up/preview/destroy --stack local` through the Pulumi CLI built from
// Go modules, into a real kube-apiserver + etcd + kube-controller-manager on loopback. Every
// check reads the object back from the API server.

describe("real engine: the local stack in a real API server", function () {
    let cluster: Cluster;
    let session: PulumiSession;

    before(function () {
        ensureEngine();
        cluster = startCluster();
        session = new PulumiSession();
        session.writeConfig({ "cluster.kubeconfigPath": cluster.kubeconfig });
        session.init();
    });

    after(() => {
        if (cluster) stopCluster(cluster);
        session?.cleanup();
    });

    it("pulumi up creates the cluster layers", () => {
        const r = session.up();
        expect(r.out).to.match(/Resources:\s+\+ \d+ created/);
    });

    it("the API server holds the namespaces, labelled for injection", async () => {
        for (const ns of ["auth", "scan", "chat"]) {
            const o = await getObject(cluster, `/api/v1/namespaces/${ns}`);
            expect(o.metadata.labels["istio-injection"], ns).to.equal("enabled");
        }
        const gw = await getObject(cluster, "/api/v1/namespaces/istio-ingress");
        expect(gw.metadata.labels?.["istio-injection"]).to.not.equal("disabled");
    });

    it("the Istio CRDs of the pinned release are installed", async () => {
        const crds = await getObject(cluster, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
        expect(crds.items.filter((c: any) => c.spec.group.endsWith("istio.io"))).to.have.length(14);
    });

    it("the mesh, routing, auth and telemetry objects are there as configured", async () => {
        const pa = await getObject(cluster, "/apis/security.istio.io/v1/namespaces/istio-system/peerauthentications/default");
        expect(pa.spec.mtls.mode).to.equal("PERMISSIVE");
        const gw = await getObject(cluster, "/apis/networking.istio.io/v1/namespaces/istio-ingress/gateways/eco2-gateway");
        expect(gw.spec.selector).to.deep.equal({ istio: "ingressgateway" });
        for (const d of ["auth", "scan", "chat"]) {
            const vs = await getObject(cluster, `/apis/networking.istio.io/v1/namespaces/${d}/virtualservices/${d}`);
            expect(vs.spec.gateways).to.deep.equal(["istio-ingress/eco2-gateway"]);
            expect(vs.spec.http[0].route[0].destination.host).to.equal(`${d}-api.${d}.svc.cluster.local`);
            const dr = await getObject(cluster, `/apis/networking.istio.io/v1/namespaces/${d}/destinationrules/${d}-api`);
            expect(dr.spec.trafficPolicy.outlierDetection.consecutive5xxErrors).to.equal(5);
            const svc = await getObject(cluster, `/api/v1/namespaces/${d}/services/${d}-api`);
            expect(svc.spec.type).to.equal("ClusterIP");
        }
        const ra = await getObject(cluster, "/apis/security.istio.io/v1/namespaces/istio-ingress/requestauthentications/gateway-jwt");
        expect(ra.spec.jwtRules[0].fromCookies).to.deep.equal(["s_access"]);
        const deny = await getObject(cluster, "/apis/security.istio.io/v1/namespaces/istio-ingress/authorizationpolicies/require-jwt");
        expect(deny.spec.action).to.equal("DENY");
        await getObject(cluster, "/apis/security.istio.io/v1/namespaces/istio-ingress/authorizationpolicies/require-role-0");
        const tel = await getObject(cluster, "/apis/telemetry.istio.io/v1/namespaces/istio-system/telemetries/mesh-default");
        expect(tel.spec.accessLogging[0].providers).to.deep.equal([{ name: "envoy" }]);
    });

    it("a second pulumi up reports no changes", () => {
        const r = session.up(["--expect-no-changes"]);
        expect(r.out).to.not.match(/\+ \d+ created|~ \d+ updated|- \d+ deleted/);
    });

    it("the policy pack runs through the engine and passes the local stack", () => {
        const r = session.pulumi(["preview", "--stack", "local", "--config-file", session.configFile, "--policy-pack", "policies", "--policy-pack-config", "policies/config.local.json"]);
        expect(r.out).to.match(/✅ eco2-mesh@v[\d.]+ \(local: policies\)/);
    });

    it("the gate fails a stack that breaks a mandatory rule, naming it (PERMISSIVE under the prod pack config)", () => {
        const r = session.pulumi(["preview", "--stack", "local", "--config-file", session.configFile, "--policy-pack", "policies", "--policy-pack-config", "policies/config.prod.json"], {
            allowFail: true,
            quiet: true,
        });
        expect(r.code).to.not.equal(0);
        expect(r.out).to.contain("[mandatory]  meshWidePeerAuthenticationIsStrict");
        expect(r.out).to.contain("has mTLS mode PERMISSIVE; environment prod requires STRICT");
    });

    it("the kubeconfig is a secret: the state holds it only encrypted", () => {
        const state = session.stateText();
        expect(state.length).to.be.greaterThan(1000);
        expect(state).to.not.contain(cluster.token);
    });

    it("Lua mode adds the EnvoyFilter with the committed filter as inline code", async () => {
        session.writeConfig({ "cluster.kubeconfigPath": cluster.kubeconfig, "auth.tokenSource": "lua" });
        session.up();
        const ef = await getObject(cluster, "/apis/networking.istio.io/v1alpha3/namespaces/istio-ingress/envoyfilters/cookie-to-header");
        const patch = ef.spec.configPatches[0];
        expect(patch.patch.operation).to.equal("INSERT_FIRST");
        expect(patch.patch.value.typed_config.inlineCode).to.contain("function envoy_on_request(request_handle)");
        const ra = await getObject(cluster, "/apis/security.istio.io/v1/namespaces/istio-ingress/requestauthentications/gateway-jwt");
        expect(ra.spec.jwtRules[0].fromCookies).to.equal(undefined);
        session.writeConfig({ "cluster.kubeconfigPath": cluster.kubeconfig });
        session.up();
        expect((await get(cluster, "/apis/networking.istio.io/v1alpha3/namespaces/istio-ingress/envoyfilters/cookie-to-header")).status).to.equal(404);
    });

    it("injection off removes the label (rollback step 2)", async () => {
        session.writeConfig({
            "cluster.kubeconfigPath": cluster.kubeconfig,
            "mesh.namespaces": [
                { name: "auth", create: true },
                { name: "scan", create: true, injection: false },
                { name: "chat", create: true },
            ],
        });
        session.up();
        const scan = await getObject(cluster, "/api/v1/namespaces/scan");
        expect(scan.metadata.labels?.["istio-injection"]).to.equal(undefined);
        session.writeConfig({ "cluster.kubeconfigPath": cluster.kubeconfig });
        session.up();
        expect((await getObject(cluster, "/api/v1/namespaces/scan")).metadata.labels["istio-injection"]).to.equal("enabled");
    });

    it("a bad config fails before anything changes, naming the key", async () => {
        session.writeConfig({ "cluster.kubeconfigPath": cluster.kubeconfig, "mesh.mtlsMode": "STRICTER" });
        const r = session.up([], { allowFail: true });
        expect(r.code).to.not.equal(0);
        expect(r.out).to.contain("eco2-mesh:mesh.mtlsMode");
        expect(r.out).to.not.match(/Resources:[\s\S]*(created|updated|deleted)/);
        session.writeConfig({ "cluster.kubeconfigPath": cluster.kubeconfig });
        expect((await getObject(cluster, "/apis/security.istio.io/v1/namespaces/istio-system/peerauthentications/default")).spec.mtls.mode).to.equal("PERMISSIVE");
    });

    it("pulumi destroy removes what it created and keeps the CRDs (retainOnDelete)", async () => {
        session.pulumi(["destroy", "--stack", "local", "--yes", "--skip-preview", "--config-file", session.configFile]);
        expect((await get(cluster, "/apis/networking.istio.io/v1/namespaces/istio-ingress/gateways/eco2-gateway")).status).to.equal(404);
        const crds = await getObject(cluster, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
        expect(crds.items.filter((c: any) => c.spec.group.endsWith("istio.io"))).to.have.length(14);
        // Namespaces the stack created are finalized by the controller-manager.
        let gone = false;
        for (let i = 0; i < 60 && !gone; i++) {
            gone = (await get(cluster, "/api/v1/namespaces/scan")).status === 404;
            if (!gone) await new Promise((r) => setTimeout(r, 1000));
        }
        expect(gone, "namespace scan was not deleted").to.equal(true);
    });

    it("fault: the API server restarted in the middle of an up → the next up converges", async () => {
        const child = spawn("bash", ["-c", `source scripts/env.sh >/dev/null && exec pulumi up --stack local --yes --skip-preview --non-interactive --config-file "${session.configFile}"`], {
            cwd: ROOT,
            env: { ...process.env, ECO2_STATE: session.stateDir, PULUMI_BACKEND_URL: "" },
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        const done = new Promise<number>((r) => child.on("exit", (code) => r(code ?? -1)));
        // Wait until the up is creating resources, then take the API server away for a while.
        for (let i = 0; i < 600 && !/creating/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
        expect(out, "the up never started creating").to.match(/creating/);
        await restartApiServer(cluster, 8000);
        const code = await done;
        console.log(`      interrupted up exited ${code}`);
        const again = session.up();
        expect(again.code).to.equal(0);
        session.up(["--expect-no-changes"]);
        const vs = await getObject(cluster, "/apis/networking.istio.io/v1/namespaces/scan/virtualservices/scan");
        expect(vs.spec.hosts).to.deep.equal(["api.eco2.localhost"]);
    });
});
