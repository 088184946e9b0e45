import { expect } from "chai";
import { ConfigError, validateSettings } from "../../config";
import { clone, configFor, FAKE_SECRETS, record, rawConfig, ROOT, setPath, STACKS, stackValues } from "../harness";
import { recorder } from "../mocks";
import { resolveStackConfig } from "../../config";

function expectRejected(values: Record<string, unknown>, key: string, secrets?: Partial<typeof FAKE_SECRETS>): ConfigError {
    let err: unknown;
    try {
        configFor(values, secrets);
    } catch (e) {
        err = e;
    }
    expect(err, `config with a bad ${key} was accepted`).to.be.instanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.message).to.contain(`eco2-mesh:${key}`);
    return ce;
}

function devWith(path: string, value: unknown): Record<string, unknown> {
    return setPath(clone(stackValues("dev")), path, value);
}
function localWith(path: string, value: unknown): Record<string, unknown> {
    return setPath(clone(stackValues("local")), path, value);
}

describe("config", () => {
    for (const stack of STACKS) {
        it(`the committed ${stack} stack validates and resolves every default`, () => {
            const cfg = configFor(stackValues(stack));
            expect(cfg.environment).to.equal(stack);
            expect(cfg.istio.version).to.equal("1.24.1");
            expect(cfg.istio.gateway.nodePorts).to.deep.equal({ http: 31080, https: 31443, status: 31021 });
        });
    }

    it("defaults are safe: PERMISSIVE only by choice, native token source, CRDs retained", () => {
        const s = validateSettings({ environment: "x", layers: { auth: false, routing: false } });
        expect(s.auth.tokenSource).to.equal("native");
        expect(s.istio.crds.retainOnDelete).to.equal(true);
        expect(s.gatewayNodes.imdsHopLimit).to.equal(2);
        expect(s.gatewayNodes.associatePublicIp).to.equal(false);
        expect(s.loadBalancer.cutover.weight).to.equal(100);
    });

    describe("rejects malformed configs before any resource, naming the key, the value and the fix", () => {
        const cases: [string, () => Record<string, unknown>, string][] = [
            ["load balancer type elb", () => devWith("loadBalancer.type", "elb"), "loadBalancer.type"],
            ["NodePort below the range", () => devWith("istio.gateway.nodePorts.http", 8080), "istio.gateway.nodePorts.http"],
            ["NodePort above the range", () => devWith("istio.gateway.nodePorts.status", 40000), "istio.gateway.nodePorts.status"],
            ["two gateway ports on one NodePort", () => devWith("istio.gateway.nodePorts.https", 31080), "istio.gateway.nodePorts.https"],
            ["cut-over weight above 100", () => devWith("loadBalancer.cutover.weight", 150), "loadBalancer.cutover.weight"],
            ["cut-over weight negative", () => devWith("loadBalancer.cutover.weight", -1), "loadBalancer.cutover.weight"],
            ["empty gateway subnet list", () => devWith("gatewayNodes.subnetIds", []), "gatewayNodes.subnetIds"],
            ["malformed subnet id", () => devWith("gatewayNodes.subnetIds", ["subnet-xyz"]), "gatewayNodes.subnetIds[0]"],
            ["SSH open to the world", () => devWith("gatewayNodes.sshCidrs", ["0.0.0.0/0"]), "gatewayNodes.sshCidrs[0]"],
            [
                "HTTPS without certificate",
                () => {
                    const v = devWith("loadBalancer.listeners", { https: true });
                    delete (v.loadBalancer as any).certificateArn;
                    return v;
                },
                "loadBalancer.certificateArn",
            ],
            ["mTLS mode typo", () => devWith("mesh.mtlsMode", "STRICTER"), "mesh.mtlsMode"],
            ["unknown key (typo) inside istio", () => devWith("istio.nodeselector", { role: "x" }), "istio.nodeselector"],
            ["unknown top-level key", () => ({ ...stackValues("local"), routes: [] }), "routes"],
            ["Istio version too old for v1 APIs and fromCookies", () => localWith("istio.version", "1.20.3"), "istio.version"],
            ["untested Istio version", () => localWith("istio.version", "1.31.0"), "istio.version"],
            ["Istio minor between the checked releases", () => localWith("istio.version", "1.26.2"), "istio.version"],
            [
                "ext-authz checks /x/* but not /x of a routed domain",
                () => setPath(clone(stackValues("prod")), "auth.extAuthz.providers[0].paths", ["/api/v1/scan/*", "/api/v1/chat*"]),
                "auth.extAuthz.providers[0].paths[0]",
            ],
            ["malformed Istio version", () => localWith("istio.version", "latest"), "istio.version"],
            [
                "two CUSTOM providers before Istio 1.30",
                () => {
                    const v = clone(stackValues("prod"));
                    const p = (v.auth as any).extAuthz.providers;
                    p.push({ ...p[0], name: "second" });
                    return v;
                },
                "auth.extAuthz.providers",
            ],
            [
                "auth without issuer",
                () => {
                    const v = clone(stackValues("local"));
                    delete (v.auth as any).issuer;
                    return v;
                },
                "auth.issuer",
            ],
            ["JWKS URI not a URL", () => localWith("auth.jwksUri", "auth-api:8000/jwks"), "auth.jwksUri"],
            [
                "auth that protects nothing",
                () => {
                    const v = localWith("auth.protectedPaths", []);
                    (v.auth as any).rolePaths = [];
                    return v;
                },
                "auth.protectedPaths",
            ],
            ["path without a leading slash", () => localWith("auth.publicPaths", ["health"]), "auth.publicPaths[0]"],
            ["token source typo", () => localWith("auth.tokenSource", "cookie"), "auth.tokenSource"],
            ["domain in a namespace outside the mesh", () => localWith("routing.domains[0].namespace", "billing"), "routing.domains[0].namespace"],
            ["two domains claim one host and prefix", () => localWith("routing.domains[1].pathPrefix", "/api/v1/auth"), "routing.domains[1].pathPrefix"],
            ["domain host the Gateway does not serve", () => localWith("routing.domains[0].hosts", ["admin.eco2.localhost"]), "routing.domains[0].hosts"],
            ["wildcard gateway host", () => localWith("routing.gateway.hosts", ["*"]), "routing.gateway.hosts[0]"],
            [
                "gateway namespace with injection disabled",
                () => {
                    const v = clone(stackValues("local"));
                    (v.mesh as any).namespaces.push({ name: "istio-ingress", injection: false });
                    return v;
                },
                "mesh.namespaces[3].injection",
            ],
            ["PDB that blocks every drain", () => devWith("istio.gateway.minAvailable", 2), "istio.gateway.minAvailable"],
            ["service port out of range", () => localWith("routing.domains[0].service.port", 70000), "routing.domains[0].service.port"],
            ["timeout without unit", () => localWith("routing.domains[0].timeout", "10"), "routing.domains[0].timeout"],
            ["join without the aws layer", () => localWith("layers.join", true), "layers.join"],
            [
                "ALB below 100% with neither weighted DNS nor a legacy target group",
                () => {
                    const v = clone(stackValues("prod"));
                    delete (v.loadBalancer as any).cutover.dns;
                    return v;
                },
                "loadBalancer.cutover.dns",
            ],
            [
                "ALB with both weighted DNS and a weighted forward",
                () =>
                    setPath(
                        clone(stackValues("prod")),
                        "loadBalancer.cutover.legacyTargetGroupArn",
                        "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/eco2-prod-legacy/0123456789abcdef",
                    ),
                "loadBalancer.cutover.legacyTargetGroupArn",
            ],
            ["claim header that is the Authorization header", () => localWith("auth.claimHeaders", [{ claim: "sub", header: "authorization" }]), "auth.claimHeaders[0].header"],
            ["layers value not a boolean", () => localWith("layers.mesh", "yes"), "layers.mesh"],
            ["environment with capitals", () => localWith("environment", "Dev"), "environment"],
        ];
        for (const [what, build, key] of cases) {
            it(`${what} → eco2-mesh:${key}`, async () => {
                recorder.resources = [];
                let threw = false;
                try {
                    await record(configFor(build()));
                } catch (e) {
                    threw = true;
                    expect(e).to.be.instanceOf(ConfigError);
                    const msg = (e as Error).message;
                    expect(msg).to.contain(`eco2-mesh:${key} `);
                    expect(msg).to.match(/\(got .+\)\. Fix: \S/);
                }
                expect(threw, "config was accepted").to.equal(true);
                expect(recorder.resources, "resources were registered").to.have.length(0);
            });
        }
        it(`covers at least 20 malformed configs (${cases.length})`, () => {
            expect(cases.length).to.be.at.least(20);
        });
    });

    it("reports every problem of a config together, not one per run", () => {
        const v = devWith("loadBalancer.type", "elb");
        setPath(v, "mesh.mtlsMode", "strict");
        setPath(v, "istio.gateway.nodePorts.http", 80);
        const err = expectRejected(v, "loadBalancer.type");
        expect(err.problems.map((p) => p.path)).to.include.members(["loadBalancer.type", "mesh.mtlsMode", "istio.gateway.nodePorts.http"]);
    });

    it("reports schema, cross-key and file problems of one config together", () => {
        // A schema error (bad enum), a cross-key error (a public path that opens a protected
        // one) and a file error (no charts in istio.chartDir): all three in one run.
        const v = devWith("mesh.mtlsMode", "STRICTER");
        setPath(v, "auth.publicPaths", [...(stackValues("dev").auth as { publicPaths: string[] }).publicPaths, "/api/v1/scan*"]);
        setPath(v, "istio.chartDir", "no-such-charts-dir");
        const err = expectRejected(v, "mesh.mtlsMode");
        const paths = err.problems.map((p) => p.path);
        expect(paths).to.include("mesh.mtlsMode");
        expect(
            paths.some((p) => /^auth\.(protectedPaths|publicPaths)\[\d+\]$/.test(p)),
            paths.join(", "),
        ).to.equal(true);
        expect(paths).to.include("istio.chartDir");
    });

    it("does not repeat a key the schema refused as a follow-on problem", () => {
        // A bad kubeconfigPath is reported once, by the schema, not again as "kubeconfig missing".
        const err = expectRejected(localWith("cluster.kubeconfigPath", 42), "cluster.kubeconfigPath", {});
        expect(err.problems.map((p) => p.path)).to.deep.equal(["cluster.kubeconfigPath"]);
    });

    it("names the known keys when a key is misspelt", () => {
        const err = expectRejected(localWith("mesh.mtlsmode", "STRICT"), "mesh.mtlsmode");
        expect(err.message).to.contain("mtlsMode");
    });

    it("refuses a kubeconfig or SSH key stored as plain config", () => {
        const raw = rawConfig(stackValues("dev"), {});
        const plain = { ...raw, secrets: { ...FAKE_SECRETS }, plainSecrets: ["kubeconfig", "sshPrivateKey"] as ("kubeconfig" | "sshPrivateKey")[] };
        let err: unknown;
        try {
            resolveStackConfig(plain, ROOT);
        } catch (e) {
            err = e;
        }
        expect(err).to.be.instanceOf(ConfigError);
        const msg = (err as Error).message;
        expect(msg).to.contain("eco2-mesh:kubeconfig is stored as plain text");
        expect(msg).to.contain("pulumi config set --secret sshPrivateKey");
        expect(msg, "the secret value leaked into the error").not.to.contain("fake-key-for-tests");
    });

    it("requires a kubeconfig for the cluster layers and never falls back to the ambient one", () => {
        const v = clone(stackValues("local"));
        delete (v.cluster as any).kubeconfigPath;
        expectRejected(v, "kubeconfig", {});
    });

    it("requires the SSH key for the join layer", () => {
        expectRejected(stackValues("dev"), "sshPrivateKey", { kubeconfig: "x" });
    });

    it("wraps the secrets as Pulumi secrets", async () => {
        const cfg = configFor(stackValues("dev"));
        expect(await (cfg.secrets.kubeconfig as any).isSecret).to.equal(true);
        expect(await (cfg.secrets.sshPrivateKey as any).isSecret).to.equal(true);
    });

    it("fails loudly when the CRD file of the pinned version is missing", () => {
        expectRejected(localWith("istio.version", "1.25.0"), "istio.crds.file");
    });
});
