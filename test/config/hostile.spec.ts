import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../../config";
import { patternCovers, patternsOverlap } from "../../config/paths";
import { labelScript } from "../../infra/joinScripts";
import { clone, configFor, record, rawConfig, ROOT, setPath, stackValues } from "../harness";
import { recorder } from "../mocks";
import { collectRaw, resolveStackConfig } from "../../config";

// Hostile or careless input found by review: each kind of fault is refused before any resource
// exists, with the key named, or can no longer reach a resource.

function rejects(values: Record<string, unknown>, key: string, why?: RegExp, secrets?: Parameters<typeof configFor>[1]): string {
    let err: unknown;
    try {
        configFor(values, secrets);
    } catch (e) {
        err = e;
    }
    expect(err, `accepted a bad ${key}`).to.be.instanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).to.contain(`eco2-mesh:${key} `);
    if (why) expect(msg).to.match(why);
    return msg;
}

const dev = (edits: Record<string, unknown>) => {
    const v = clone(stackValues("dev"));
    for (const [k, x] of Object.entries(edits)) setPath(v, k, x);
    return v;
};

describe("hostile and careless input", () => {
    describe("duplicate resource names (the engine stops mid-deploy on a duplicate URN)", () => {
        it("the mocks refuse a duplicate URN, as the engine does", () => {
            recorder.resources = [];
            recorder.claim("urn:pulumi:test::eco2-mesh::eco2:test:Twice::same");
            expect(() => recorder.claim("urn:pulumi:test::eco2-mesh::eco2:test:Twice::same")).to.throw(/Duplicate resource URN/);
            recorder.resources = [];
        });

        it("two domains routing different paths to one Service get one Service and one DestinationRule", async () => {
            const v = dev({});
            (v.routing as any).domains.push({ name: "auth2", namespace: "auth", pathPrefix: "/api/v2/auth", service: { name: "auth-api", port: 8000 } });
            (v.auth as any).protectedPaths.push("/api/v2/auth*");
            const rec = await record(configFor(v));
            expect(rec.ofType("kubernetes:core/v1:Service").filter((s) => s.inputs.metadata.name === "auth-api")).to.have.length(1);
            expect(rec.kind("DestinationRule").filter((d) => d.inputs.metadata.name === "auth-api")).to.have.length(1);
            expect(rec.kind("VirtualService").map((x) => x.inputs.metadata.name)).to.include.members(["auth", "auth2"]);
        });

        it("…but they must agree on the port", () => {
            const v = dev({});
            (v.routing as any).domains.push({ name: "auth2", namespace: "auth", pathPrefix: "/api/v2/auth", service: { name: "auth-api", port: 9000 } });
            (v.auth as any).protectedPaths.push("/api/v2/auth*");
            rejects(v, "routing.domains[4].service", /same Service auth\/auth-api/);
        });

        it("namespace and service names joined with '-' no longer collide (a-b/c vs a/b-c)", async () => {
            const v = clone(stackValues("local"));
            (v.mesh as any).namespaces.push({ name: "a-b", create: true, workloads: ["c"] }, { name: "a", create: true, workloads: ["b-c"] });
            (v.routing as any).domains.push(
                { name: "x1", namespace: "a-b", pathPrefix: "/x1", service: { name: "c", port: 80 } },
                { name: "x2", namespace: "a", pathPrefix: "/x2", service: { name: "b-c", port: 80 } },
            );
            (v.auth as any).protectedPaths.push("/x1*", "/x2*");
            const rec = await record(configFor(v));
            const urns = rec.resources.map((r) => r.urn);
            expect(new Set(urns).size).to.equal(urns.length);
            expect(rec.ofType("kubernetes:core/v1:Service").map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`)).to.include.members(["a-b/c", "a/b-c"]);
        });

        it("a workload listed twice is refused", () => {
            rejects(dev({ "mesh.namespaces[0].workloads": ["auth-api", "auth-api"] }), "mesh.namespaces[0].workloads[1]");
        });
    });

    describe("auth coverage", () => {
        it("a public path that covers a protected one is refused (it would become a notPaths hole)", () => {
            rejects(dev({ "auth.publicPaths": ["/*"] }), "auth.protectedPaths[0]", /covered by the public path "\/\*"/);
            rejects(dev({ "auth.publicPaths": ["/api/*"] }), "auth.protectedPaths[0]");
        });
        it("a suffix public path under protected prefixes is refused", () => {
            rejects(dev({ "auth.publicPaths": ["*.json"] }), "auth.publicPaths[0]", /opens every protected path ending in "\.json"/);
        });
        it("a routed path with no auth decision is refused (the plan's /api/v1/scan vs /api/v1/scan/*)", () => {
            rejects(dev({ "auth.protectedPaths": ["/api/v1/auth*", "/api/v1/scan/*", "/api/v1/chat*", "/api/v1/character*"] }), "routing.domains[1].pathPrefix", /routes \/api\/v1\/scan to scan-api/);
        });
        it("routes match on path-segment boundaries (never /api/v1/scanner)", async () => {
            const scan = (await record(configFor(stackValues("dev")))).kind("VirtualService").find((r) => r.inputs.metadata.name === "scan")!;
            const matches = scan.inputs.spec.http[scan.inputs.spec.http.length - 1].match;
            expect(matches).to.deep.equal([{ uri: { exact: "/api/v1/scan" } }, { uri: { prefix: "/api/v1/scan/" } }]);
        });
        it("path pattern coverage follows Istio's exact/prefix/suffix semantics", () => {
            const table: [string, string, boolean][] = [
                ["/a*", "/a", true],
                ["/a*", "/a/*", true],
                ["/a/*", "/a", false],
                ["/a", "/a", true],
                ["/a", "/a/*", false],
                ["/*", "*.json", true],
                ["*.json", "/a/b.json", true],
                ["*.json", "/a*", false],
                ["/a/b*", "/a*", false],
            ];
            for (const [outer, inner, want] of table) expect(patternCovers(outer, inner), `${outer} ⊇ ${inner}`).to.equal(want);
            expect(patternsOverlap("*.json", "/api/v1/scan*")).to.equal(true);
            expect(patternsOverlap("/a/*", "/b/*")).to.equal(false);
        });
        it("identity headers cannot be proxy or protocol headers", () => {
            for (const h of ["x-forwarded-for", "te", "x-envoy-original-path", "connection", "x-request-id"]) {
                rejects(dev({ "auth.claimHeaders": [{ claim: "sub", header: h }] }), "auth.claimHeaders[0].header");
            }
        });
        it("stripHeaders without the routing layer is refused (nothing would strip them)", () => {
            rejects(dev({ "layers.routing": false }), "auth.stripHeaders");
        });
        it("a JWKS over plain http from outside the cluster is refused", () => {
            rejects(dev({ "auth.jwksUri": "http://auth.example.com/jwks.json" }), "auth.jwksUri");
        });
    });

    describe("namespaces and releases the program would own and delete", () => {
        for (const [key, value] of [
            ["istio.gateway.namespace", "auth"],
            ["istio.gateway.namespace", "kube-system"],
            ["istio.namespace", "kube-system"],
            ["istio.namespace", "default"],
        ] as const) {
            it(`${key} = ${value} is refused`, () => rejects(dev({ [key]: value }), key));
        }
        it("a gateway release named like another Istio release is refused", () => rejects(dev({ "istio.gateway.name": "istiod" }), "istio.gateway.name"));
    });

    describe("values Kubernetes or Istio would reject after part of the deploy", () => {
        const cases: [string, Record<string, unknown>, string][] = [
            ["zero timeout", { "routing.domains[0].timeout": "0s" }, "routing.domains[0].timeout"],
            ["absurd timeout", { "routing.domains[0].timeout": "999999999999h" }, "routing.domains[0].timeout"],
            ["zero outlier interval", { "routing.domains[0].outlierDetection": { interval: "0ms" } }, "routing.domains[0].outlierDetection.interval"],
            ["path template", { "auth.protectedPaths": ["/api/{id}/x"] }, "auth.protectedPaths[0]"],
            ["unknown retry condition", { "routing.domains[0].retries": { retryOn: "bogus,;rm" } }, "routing.domains[0].retries.retryOn"],
            ["canary version not a label value", { "routing.domains[2].canary": { header: { name: "x-canary", exact: "1" }, stableVersion: "v 1/x" } }, "routing.domains[2].canary.stableVersion"],
            ["TLS credential not a name", { "routing.gateway.tlsCredentialName": "Bad Name!" }, "routing.gateway.tlsCredentialName"],
            ["kubectl flag as a node label", { "gatewayNodes.labels": { "--server": "https://127.0.0.1:7" } }, "gatewayNodes.labels.--server"],
            ["label value with spaces", { "gatewayNodes.labels": { role: "v v" } }, "gatewayNodes.labels.role"],
            ["control-plane selector key", { "cluster.controlPlane.nodeSelector": { "bad key!": "x" } }, "cluster.controlPlane.nodeSelector.bad key!"],
            ["SSH option in the host", { "cluster.controlPlane.host": "10.0.0.1 -oProxyCommand=touch /tmp/x" }, "cluster.controlPlane.host"],
            ["SSH option in the user", { "gatewayNodes.ssh.user": "root -oProxyCommand=x" }, "gatewayNodes.ssh.user"],
            ["Kubernetes version with a leading zero", { "cluster.kubernetesVersion": "1.31.04" }, "cluster.kubernetesVersion"],
            ["Istio version with a leading zero", { "istio.version": "1.24.01" }, "istio.version"],
            ["CNI port range reversed", { "cluster.cniRules": [{ protocol: "tcp", fromPort: 200, toPort: 100, description: "x" }] }, "cluster.cniRules[0].toPort"],
            ["SSL policy", { "loadBalancer.sslPolicy": "bogus" }, "loadBalancer.sslPolicy"],
            ["S3 bucket", { "loadBalancer.accessLogs": { bucket: "Not A Bucket!" } }, "loadBalancer.accessLogs.bucket"],
            ["DNS record name", { "loadBalancer.cutover.dns.recordName": "not a host!" }, "loadBalancer.cutover.dns.recordName"],
            [
                "NLB with an ALB target group",
                { "loadBalancer.cutover.legacyTargetGroupArn": "arn:aws:elasticloadbalancing:ap-northeast-2:1:targetgroup/x/1" },
                "loadBalancer.cutover.legacyTargetGroupArn",
            ],
            ["unencrypted chart repository", { "istio.chartRepository": "http://charts.example.com" }, "istio.chartRepository"],
            ["gateway host listed twice", { "routing.gateway.hosts": ["api.dev.growbin.app", "api.dev.growbin.app"] }, "routing.gateway.hosts[1]"],
        ];
        for (const [what, edits, key] of cases) it(`${what} → eco2-mesh:${key}`, () => rejects(dev(edits), key));
    });

    describe("shell: no label can be read as a kubectl flag", () => {
        it("label and taint arguments follow `--`", () => {
            const script = labelScript({ nodeName: "eco2-dev-gateway-0-0abc", labels: { role: "ingress-gateway" }, taint: { key: "role", value: "ingress-gateway", effect: "NoSchedule" } });
            expect(script).to.contain(`--overwrite -- 'role=ingress-gateway'`);
            expect(script).to.match(/kubectl taint node "\$node" --overwrite -- /);
        });
    });

    describe("secrets and key material never printed", () => {
        it("an ordinary key stored as a secret is refused without printing it", () => {
            const raw = rawConfig(stackValues("dev"));
            const flat = { ...raw, secretValues: ["routing"] };
            let msg = "";
            try {
                resolveStackConfig(flat, ROOT);
            } catch (e) {
                msg = (e as Error).message;
            }
            expect(msg).to.contain("eco2-mesh:routing is stored as a secret");
            expect(msg).to.not.contain("api.dev.growbin.app");
        });
        it("a private key pasted into a plain field is refused and not echoed", () => {
            const pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----";
            const msg = rejects(dev({ "gatewayNodes.ssh.bastion": { host: pem } }), "gatewayNodes.ssh.bastion.host");
            expect(msg).to.not.contain("b3BlbnNzaC1rZXkt");
            expect(msg).to.contain("looks like a private key");
        });
        it("a deeply nested value gives a ConfigError, not a stack overflow", () => {
            // As the engine passes it: JSON text, 5000 levels deep.
            const flat: Record<string, string> = {};
            for (const [k, v] of Object.entries(stackValues("dev"))) flat[`eco2-mesh:${k}`] = JSON.stringify(v);
            flat["eco2-mesh:observability"] = '{"a":'.repeat(5000) + "1" + "}".repeat(5000);
            flat["eco2-mesh:kubeconfig"] = "x";
            flat["eco2-mesh:sshPrivateKey"] = "y";
            const raw = collectRaw(flat, (k) => k.endsWith(":kubeconfig") || k.endsWith(":sshPrivateKey"));
            expect(() => resolveStackConfig(raw, ROOT)).to.throw(ConfigError, "eco2-mesh:observability.a is not a known key");
        });
    });

    describe("second review: holes that validation let through", () => {
        const prod = (edits: Record<string, unknown>) => {
            const v = clone(stackValues("prod"));
            for (const [k, x] of Object.entries(edits)) setPath(v, k, x);
            return v;
        };
        const PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----";
        const KUBECONFIG = "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: SUPERSECRETTOKEN123\n";
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-hostile-"));
        after(() => fs.rmSync(tmp, { recursive: true, force: true }));

        it("a public path that opens everything below a protected domain is refused (require-jwt notPaths hole)", () => {
            rejects(dev({ "auth.publicPaths": ["/api/v1/scan/*", "/health"] }), "auth.publicPaths[0]", /opens every path below domain scan's prefix/);
        });
        it("…while a login path inside a protected domain stays allowed", () => {
            expect(() => configFor(dev({ "auth.publicPaths": ["/api/v1/auth/login/*", "/health"] }))).to.not.throw();
        });
        it("a public path equal to a role-only path is refused", () => {
            rejects(dev({ "auth.publicPaths": ["/api/v1/admin/*", "/health"] }), "auth.rolePaths[0].paths[0]", /also in auth.publicPaths/);
        });
        for (const ttl of ["0m", "0h", "99999h", "25h"]) {
            it(`join token TTL ${ttl} is refused (0 never expires; more than a day is not short-lived)`, () => rejects(dev({ "gatewayNodes.joinTokenTtl": ttl }), "gatewayNodes.joinTokenTtl"));
        }
        it("a kubeconfig pasted into a path is not echoed, neither as the value nor inside the reason", () => {
            const msg = rejects(localWithEdits({ "cluster.kubeconfigPath": KUBECONFIG }), "cluster.kubeconfigPath", undefined, {});
            expect(msg).to.not.contain("SUPERSECRETTOKEN123");
        });
        it("a private key pasted into istio.chartDir or istio.crds.file is not echoed", () => {
            const msg = rejects(localWithEdits({ "istio.chartDir": PEM, "istio.crds.file": PEM }), "istio.chartDir");
            expect(msg).to.contain("eco2-mesh:istio.crds.file ");
            expect(msg).to.not.contain("b3BlbnNzaC1rZXkt");
        });
        it("a bad value under a key stored with --secret is not printed", () => {
            const raw = rawConfig(dev({ "auth.jwksUri": "hunter2-SECRET-VALUE" }));
            let msg = "";
            try {
                resolveStackConfig({ ...raw, secretValues: ["auth"] }, ROOT);
            } catch (e) {
                msg = (e as Error).message;
            }
            expect(msg).to.contain("eco2-mesh:auth is stored as a secret");
            expect(msg).to.not.contain("hunter2");
        });
        it("a directory as kubeconfigPath is a ConfigError reported with the other problems, not EISDIR", () => {
            const msg = rejects(localWithEdits({ "cluster.kubeconfigPath": "config", "mesh.mtlsMode": "STRICTER" }), "cluster.kubeconfigPath", /directory/, {});
            expect(msg).to.contain("eco2-mesh:mesh.mtlsMode ");
        });
        it("a directory or a non-CRD file as istio.crds.file is a ConfigError", () => {
            rejects(localWithEdits({ "istio.crds.file": "config" }), "istio.crds.file", /directory/);
            rejects(localWithEdits({ "istio.crds.file": "package.json" }), "istio.crds.file", /no CustomResourceDefinition/);
        });
        it("charts of another version in istio.chartDir are refused", () => {
            for (const c of ["base", "istiod", "gateway"]) {
                fs.mkdirSync(path.join(tmp, "charts", c), { recursive: true });
                fs.writeFileSync(path.join(tmp, "charts", c, "Chart.yaml"), `apiVersion: v2\nname: ${c}\nversion: 1.19.0\n`);
            }
            rejects(dev({ "istio.chartDir": path.join(tmp, "charts") }), "istio.chartDir", /at version 1\.19\.0, but istio.version is 1\.24\.1/);
        });
        it("a secret kubeconfig or SSH key that is not one is refused without printing it", () => {
            let msg = "";
            try {
                configFor(stackValues("dev"), { kubeconfig: "-----BEGIN OPENSSH PRIVATE KEY-----\nsecretbits\n", sshPrivateKey: "apiVersion: v1\nkind: Config\n" });
            } catch (e) {
                msg = (e as Error).message;
            }
            expect(msg).to.contain("eco2-mesh:kubeconfig is not a kubeconfig");
            expect(msg).to.contain("eco2-mesh:sshPrivateKey does not hold a private key");
            expect(msg).to.not.contain("secretbits");
        });
        const duplicates: [string, Record<string, unknown>, string][] = [
            ["SSH CIDR listed twice", { "gatewayNodes.sshCidrs": ["10.20.0.0/24", "10.20.0.0/24"] }, "gatewayNodes.sshCidrs[1]"],
            ["load balancer client CIDR listed twice", { "loadBalancer.ingressCidrs": ["0.0.0.0/0", "0.0.0.0/0"] }, "loadBalancer.ingressCidrs[1]"],
            ["worker security group listed twice", { "cluster.workerSecurityGroupIds": ["sg-0d1e2f3a4b5c60718", "sg-0d1e2f3a4b5c60718"] }, "cluster.workerSecurityGroupIds[1]"],
            [
                "the same CNI rule twice",
                {
                    "cluster.cniRules": [
                        { protocol: "4", fromPort: 0, toPort: 0, description: "a" },
                        { protocol: "4", fromPort: 0, toPort: 0, description: "b" },
                    ],
                },
                "cluster.cniRules[1]",
            ],
            ["gateway node subnet listed twice", { "gatewayNodes.subnetIds": ["subnet-0b12c23d34e45f561", "subnet-0b12c23d34e45f561"] }, "gatewayNodes.subnetIds[1]"],
        ];
        for (const [what, edits, key] of duplicates) it(`${what} → eco2-mesh:${key}`, () => rejects(dev(edits), key, /repeats/));
        it("an ALB in two entries of one subnet is refused (AWS needs two zones, not two entries)", () => {
            rejects(prod({ "loadBalancer.subnetIds": ["subnet-0d1d2d3d4d5d6d7d8", "subnet-0d1d2d3d4d5d6d7d8"] }), "loadBalancer.subnetIds[1]", /repeats/);
        });
        it("SSH open to the world in two halves (0.0.0.0/1 + 128.0.0.0/1) is refused", () => {
            const msg = rejects(dev({ "gatewayNodes.sshCidrs": ["0.0.0.0/1", "128.0.0.0/1"] }), "gatewayNodes.sshCidrs[0]", /wider than a \/8/);
            expect(msg).to.contain("eco2-mesh:gatewayNodes.sshCidrs[1] ");
        });
        it("a domain prefix with a trailing slash claims the same routes as without", () => {
            const v = dev({});
            (v.routing as any).domains.push({ name: "auth2", namespace: "auth", pathPrefix: "/api/v1/auth/", service: { name: "auth-api", port: 8000 } });
            rejects(v, "routing.domains[4].pathPrefix", /already claimed by domain auth/);
        });
        it("nested domain prefixes on one host are refused (one VirtualService shadows the other)", () => {
            const v = dev({});
            (v.routing as any).domains.push({ name: "legacy", namespace: "auth", pathPrefix: "/api/v1", service: { name: "legacy-api", port: 8000 } });
            (v.auth as any).protectedPaths.push("/api/v1*");
            rejects(v, "routing.domains[0].pathPrefix", /lies inside domain legacy's prefix \/api\/v1/);
        });
        it("ext-authz without an istiod of this stack is refused unless its mesh config is declared elsewhere", () => {
            rejects(prod({ "layers.istio": false }), "auth.extAuthz.enabled", /installs no istiod/);
            rejects(prod({ "istio.releases.istiod": false }), "auth.extAuthz.enabled", /installs no istiod/);
            expect(() => configFor(prod({ "istio.releases.istiod": false, "auth.extAuthz.meshConfigOutside": true }))).to.not.throw();
            rejects(prod({ "auth.extAuthz.meshConfigOutside": true }), "auth.extAuthz.meshConfigOutside", /installs istiod/);
        });
        it("an ext-authz provider outside the cluster is refused (headers over plaintext gRPC)", () => {
            rejects(prod({ "auth.extAuthz.providers[0].service": "8.8.8.8" }), "auth.extAuthz.providers[0].service", /not a Service inside the cluster/);
        });
        it("cut-over DNS: a record the gateway does not serve, an alias to itself, or an ELB alias in one's own zone", () => {
            rejects(dev({ "loadBalancer.cutover.dns.recordName": "www.growbin.app" }), "loadBalancer.cutover.dns.recordName", /not served by the Istio Gateway/);
            rejects(dev({ "loadBalancer.cutover.dns.legacyDnsName": "api.dev.growbin.app" }), "loadBalancer.cutover.dns.legacyDnsName", /its own record/);
            rejects(dev({ "loadBalancer.cutover.dns.legacyZoneId": "Z0123456789ABCDEFGHIJ" }), "loadBalancer.cutover.dns.legacyZoneId", /canonical hosted zone id/);
        });
        it("DestinationRule counters beyond int32 are refused", () => {
            rejects(dev({ "routing.domains[0].connectionPool": { maxConnections: 3000000000 } }), "routing.domains[0].connectionPool.maxConnections", /32-bit/);
            rejects(dev({ "routing.domains[0].outlierDetection": { consecutive5xxErrors: 1e15 } }), "routing.domains[0].outlierDetection.consecutive5xxErrors");
        });
        it("ARNs: a bare prefix, another region than aws:region, or two regions at once are refused", () => {
            rejects(dev({ "loadBalancer.certificateArn": "arn:aws:acm:" }), "loadBalancer.certificateArn", /certificate ARN/);
            const raw = rawConfig(dev({ "loadBalancer.certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/5f1e6c0a-2b7d-4e0a-9c53-1d2e3f4a5b6c" }));
            expect(() => resolveStackConfig({ ...raw, awsRegion: "ap-northeast-2" }, ROOT)).to.throw(
                ConfigError,
                /eco2-mesh:loadBalancer.certificateArn is in region us-east-1, but the stack deploys to aws:region ap-northeast-2/,
            );
            expect(() => resolveStackConfig({ ...rawConfig(stackValues("dev")), awsRegion: "ap-northeast-2" }, ROOT)).to.not.throw();
            const v = prod({ "loadBalancer.cutover": { weight: 50, legacyTargetGroupArn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/legacy/0123456789abcdef" } });
            rejects(v, "loadBalancer.cutover.legacyTargetGroupArn", /region us-west-2, but loadBalancer.certificateArn is in ap-northeast-2/);
        });
        it("the fix for a routed '/' suggests a pattern the schema accepts", () => {
            const msg = rejects(dev({ "routing.domains[0].pathPrefix": "/", "auth.protectedPaths": ["/api/v1/scan*", "/api/v1/chat*", "/api/v1/character*"] }), "routing.domains[0].pathPrefix");
            expect(msg).to.contain('"/*"');
            expect(msg).to.not.match(/add "\*"/);
        });
        it("role values are literal (Istio reads * as a wildcard)", () => {
            rejects(dev({ "auth.rolePaths": [{ paths: ["/api/v1/admin/*"], values: ["adm*"] }] }), "auth.rolePaths[0].values[0]", /literal/);
        });
        it("an access-log filter must be one bounded line", () => {
            rejects(dev({ "observability.accessLogFilter": "response.code >= 400\n|| true" }), "observability.accessLogFilter", /one line/);
            rejects(dev({ "observability.accessLogFilter": "x".repeat(1001) }), "observability.accessLogFilter", /1000/);
        });
        it("gateway node labels cannot be empty (the pods would run on any node)", () => {
            rejects(dev({ "gatewayNodes.labels": {} }), "gatewayNodes.labels", /at least one label/);
        });
        it("messages show the value of an unknown top-level key, stay bounded, and name non-finite numbers", () => {
            const flat: Record<string, string> = { "eco2-mesh:foo": JSON.stringify({ a: 1 }), "eco2-mesh:constructor": "1" };
            for (const [k, v] of Object.entries(stackValues("local"))) flat[`eco2-mesh:${k}`] = JSON.stringify(v);
            let msg = "";
            try {
                resolveStackConfig(
                    collectRaw(flat, () => false),
                    ROOT,
                );
            } catch (e) {
                msg = (e as Error).message;
            }
            expect(msg).to.contain('eco2-mesh:foo is not a known key (got {"a":1})');
            expect(msg).to.contain("eco2-mesh:constructor is not a known key (got 1)");
            const long = rejects(dev({ "routing.domains[0].pathPrefix": `/${"a".repeat(10000)}` }), "routing.domains[0].pathPrefix");
            expect(long.length).to.be.below(6000);
            // As the engine hands it over: the text 1e400, which JSON.parse reads as Infinity.
            const raw = rawConfig(dev({}));
            (raw.values.loadBalancer as any).cutover.weight = JSON.parse("1e400");
            expect(() => resolveStackConfig(raw, ROOT)).to.throw(ConfigError, /eco2-mesh:loadBalancer.cutover.weight .*\(got Infinity\)/);
        });
    });
});

describe("a new operator's run through the docs (review findings)", () => {
    it("a cut-over that names a legacy entry must say its weight (the default 100 would move all traffic at once)", () => {
        const v = dev({});
        delete (v.loadBalancer as any).cutover.weight;
        rejects(v, "loadBalancer.cutover.weight", /default \(100\) would send all traffic/);
        const fresh = dev({ "loadBalancer.cutover": {} });
        expect(() => configFor(fresh)).to.not.throw();
    });
    it("a non-local stack started with the local stack's public passphrase is refused", () => {
        const raw = rawConfig(stackValues("dev"));
        expect(() => resolveStackConfig({ ...raw, localPassphrase: true }, ROOT)).to.throw(
            ConfigError,
            /eco2-mesh:environment is not local, but PULUMI_CONFIG_PASSPHRASE is the local stack's passphrase/,
        );
        expect(() => resolveStackConfig({ ...rawConfig(stackValues("local")), localPassphrase: true }, ROOT)).to.not.throw();
    });
    it("the fix for a plain secret removes the plain value first (set --secret replaces the same key)", () => {
        const flat: Record<string, string> = { "eco2-mesh:kubeconfig": "apiVersion: v1" };
        for (const [k, v] of Object.entries(stackValues("local"))) flat[`eco2-mesh:${k}`] = JSON.stringify(v);
        expect(() =>
            resolveStackConfig(
                collectRaw(flat, () => false),
                ROOT,
            ),
        ).to.throw(ConfigError, /Fix: run: pulumi config rm kubeconfig, then pulumi config set --secret kubeconfig < file; .*rotate the credential/);
    });
    it("a malformed duration gets one message, not three", () => {
        const msg = rejects(dev({ "routing.domains[0].timeout": "10sec" }), "routing.domains[0].timeout");
        expect(msg.match(/routing\.domains\[0\]\.timeout /g)).to.have.length(1);
    });
    it("outputs name only the layers the stack runs (after rollback step 4, no mtlsMode or NodePorts)", async () => {
        const off = await record(configFor(localWithEdits({ "layers.istio": false, "layers.mesh": false, "layers.routing": false, "layers.auth": false, "layers.observability": false })));
        expect(off.outputs.mtlsMode).to.equal(undefined);
        expect(off.outputs.gatewayNodePorts).to.equal(undefined);
        expect(off.outputs.istioVersion).to.equal(undefined);
        const on = await record(configFor(stackValues("local")));
        expect(on.outputs.mtlsMode).to.equal("PERMISSIVE");
        expect(on.outputs.gatewayNodePorts).to.deep.equal({ http: 31080, https: 31443, status: 31021 });
    });
});

function localWithEdits(edits: Record<string, unknown>): Record<string, unknown> {
    const v = clone(stackValues("local"));
    for (const [k, x] of Object.entries(edits)) setPath(v, k, x);
    return v;
}
