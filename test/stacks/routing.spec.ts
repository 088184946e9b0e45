import { expect } from "chai";
import { clone, configFor, record, recordStack, Recording, setPath, stackValues } from "../harness";

describe("stacks/routing", () => {
    let dev: Recording;
    before(async () => {
        dev = await recordStack("dev");
    });

    it("opens one Gateway on the ingress gateway pods for the configured hosts", () => {
        const gws = dev.kind("Gateway");
        expect(gws).to.have.length(1);
        const gw = gws[0].inputs;
        expect(gw.metadata).to.deep.include({ name: "eco2-gateway", namespace: "istio-ingress" });
        expect(gw.spec.selector).to.deep.equal({ istio: "ingressgateway" });
        expect(gw.spec.servers[0]).to.deep.include({ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["api.dev.growbin.app"] });
    });

    it("adds an HTTPS server and redirect only when the gateway holds the certificate", async () => {
        const v = clone(stackValues("dev"));
        setPath(v, "routing.gateway.tlsCredentialName", "api-dev-tls");
        setPath(v, "routing.gateway.httpsRedirect", true);
        const gw = (await record(configFor(v))).kind("Gateway")[0].inputs.spec;
        expect(gw.servers).to.have.length(2);
        expect(gw.servers[0].tls).to.deep.equal({ httpsRedirect: true });
        expect(gw.servers[1].tls).to.deep.equal({ mode: "SIMPLE", credentialName: "api-dev-tls" });
    });

    it("routes each domain's path prefix to its service:port with timeout and retries", () => {
        const scan = dev.kind("VirtualService").find((r) => r.inputs.metadata.name === "scan")!.inputs;
        expect(scan.metadata.namespace).to.equal("scan");
        expect(scan.spec.hosts).to.deep.equal(["api.dev.growbin.app"]);
        const route = scan.spec.http[scan.spec.http.length - 1];
        // Segment boundaries: /api/v1/scan and /api/v1/scan/..., never /api/v1/scanner.
        expect(route.match).to.deep.equal([{ uri: { exact: "/api/v1/scan" } }, { uri: { prefix: "/api/v1/scan/" } }]);
        expect(route.route).to.deep.equal([{ destination: { host: "scan-api.scan.svc.cluster.local", port: { number: 8000 } } }]);
        expect(route.timeout).to.equal("60s");
        expect(route.retries).to.deep.include({ attempts: 1, perTryTimeout: "60s" });
        expect(dev.kind("VirtualService")).to.have.length(4);
    });

    it("strips identity headers clients could forge on every route", () => {
        for (const vs of dev.kind("VirtualService")) {
            for (const h of vs.inputs.spec.http) expect(h.headers.request.remove).to.deep.equal(["x-user-email", "x-auth-user"]);
        }
    });

    it("gives every domain a DestinationRule with connection pool and outlier detection", () => {
        const drs = dev.kind("DestinationRule");
        expect(drs).to.have.length(4);
        const auth = drs.find((d) => d.inputs.metadata.name === "auth-api")!.inputs.spec;
        expect(auth.host).to.equal("auth-api.auth.svc.cluster.local");
        expect(auth.trafficPolicy.connectionPool.tcp.maxConnections).to.equal(100);
        expect(auth.trafficPolicy.outlierDetection).to.deep.include({ consecutive5xxErrors: 5, interval: "30s" });
        expect(auth.trafficPolicy, "auto mTLS decides; no hand-written TLS mode (IST0128)").to.not.have.property("tls");
    });

    it("routes header-matched canaries to a canary subset (chat, dev)", () => {
        const chat = dev.kind("VirtualService").find((r) => r.inputs.metadata.name === "chat")!.inputs.spec;
        expect(chat.http[0].match).to.have.length(2);
        for (const m of chat.http[0].match) expect(m.headers).to.deep.equal({ "x-canary": { exact: "true" } });
        expect(chat.http[0].route[0].destination.subset).to.equal("canary");
        expect(chat.http[1].route).to.deep.equal([{ destination: { host: "chat-api.chat.svc.cluster.local", port: { number: 8000 }, subset: "stable" } }]);
        const dr = dev.kind("DestinationRule").find((d) => d.inputs.metadata.name === "chat-api")!.inputs.spec;
        expect(dr.subsets).to.deep.equal([
            { name: "stable", labels: { version: "v1" } },
            { name: "canary", labels: { version: "v2" } },
        ]);
    });

    it("matches a canary cookie exactly by name and splits by weight", async () => {
        const v = clone(stackValues("dev"));
        setPath(v, "routing.domains[2].canary", { cookie: { name: "canary", value: "on" }, weight: 10 });
        const chat = (await record(configFor(v))).kind("VirtualService").find((r) => r.inputs.metadata.name === "chat")!.inputs.spec;
        const re = new RegExp(chat.http[0].match[0].headers.cookie.regex);
        expect(re.test("canary=on")).to.equal(true);
        expect(re.test("a=b; canary=on; c=d")).to.equal(true);
        expect(re.test("xcanary=on")).to.equal(false);
        expect(re.test("canary=onx")).to.equal(false);
        expect(chat.http[1].route.map((r: any) => r.weight)).to.deep.equal([90, 10]);
    });

    it("routing objects wait for the CRDs", () => {
        const base = dev.named("istio-base");
        for (const r of [...dev.kind("VirtualService"), ...dev.kind("DestinationRule"), ...dev.kind("Gateway")]) {
            expect(dev.dependsOn(r, base), r.name).to.equal(true);
        }
    });
});
