import { expect } from "chai";
import { clone, configFor, record, recordStack, Recording, setPath, stackValues } from "../harness";
import { cookieToHeaderLua, luaSource } from "../../stacks/auth/specs";
import { validateSettings } from "../../config";

describe("stacks/auth", () => {
    let dev: Recording;
    before(async () => {
        dev = await recordStack("dev");
    });

    describe("native mode (default)", () => {
        it("reads the token from the s_access cookie and Authorization: Bearer only", () => {
            const ra = dev.kind("RequestAuthentication");
            expect(ra).to.have.length(1);
            const rule = ra[0].inputs.spec.jwtRules[0];
            expect(rule.fromCookies).to.deep.equal(["s_access"]);
            expect(rule.fromHeaders).to.deep.equal([{ name: "Authorization", prefix: "Bearer " }]);
            expect(rule, "no query parameter location").to.not.have.property("fromParams");
            expect(rule.issuer).to.equal("https://api.dev.growbin.app/api/v1/auth");
            expect(rule.jwksUri).to.equal("http://auth-api.auth.svc.cluster.local:8000/api/v1/auth/.well-known/jwks.json");
            expect(ra[0].inputs.spec.selector).to.deep.equal({ matchLabels: { istio: "ingressgateway" } });
        });

        it("passes claims to apps as headers Envoy strips from clients", () => {
            const rule = dev.kind("RequestAuthentication")[0].inputs.spec.jwtRules[0];
            expect(rule.outputClaimToHeaders).to.deep.equal([
                { header: "x-user-id", claim: "sub" },
                { header: "x-user-role", claim: "role" },
            ]);
        });

        it("has no EnvoyFilter", () => {
            expect(dev.kind("EnvoyFilter")).to.have.length(0);
        });
    });

    describe("authorization", () => {
        it("denies requests without a principal on protected and role paths, public paths carved out, preflight allowed", () => {
            const p = dev.kind("AuthorizationPolicy").find((r) => r.inputs.metadata.name === "require-jwt")!.inputs.spec;
            expect(p.action).to.equal("DENY");
            expect(p.rules[0].from).to.deep.equal([{ source: { notRequestPrincipals: ["*"] } }]);
            const op = p.rules[0].to[0].operation;
            expect(op.paths).to.include.members(["/api/v1/scan*", "/api/v1/chat*", "/api/v1/admin/*"]);
            expect(op.notPaths).to.include.members(["/api/v1/auth/login/*", "/health"]);
            expect(op.notMethods).to.deep.equal(["OPTIONS"]);
        });

        it("denies role-only paths unless the role claim matches", () => {
            const p = dev.kind("AuthorizationPolicy").find((r) => r.inputs.metadata.name === "require-role-0")!.inputs.spec;
            expect(p.action).to.equal("DENY");
            expect(p.rules[0].to[0].operation.paths).to.deep.equal(["/api/v1/admin/*"]);
            expect(p.rules[0].when).to.deep.equal([{ key: "request.auth.claims[role]", notValues: ["admin"] }]);
        });

        it("sends the configured paths to the ext-authz provider with a CUSTOM policy (prod)", async () => {
            const prod = await recordStack("prod");
            const custom = prod.kind("AuthorizationPolicy").filter((r) => r.inputs.spec.action === "CUSTOM");
            expect(custom).to.have.length(1);
            expect(custom[0].inputs.spec.provider).to.deep.equal({ name: "auth-blacklist" });
            const configured = (stackValues("prod").auth as any).extAuthz.providers[0].paths;
            expect(custom[0].inputs.spec.rules[0].to[0].operation.paths).to.deep.equal(configured);
            expect(configured).to.include("/api/v1/scan*");
        });

        it("allows more than one CUSTOM provider from Istio 1.30 on", async () => {
            const v = clone(stackValues("prod"));
            setPath(v, "istio.version", "1.30.3");
            const p = (v.auth as any).extAuthz.providers;
            p.push({ ...p[0], name: "rate-limit", port: 9001 });
            const rec = await record(configFor(v));
            expect(rec.kind("AuthorizationPolicy").filter((r) => r.inputs.spec.action === "CUSTOM")).to.have.length(2);
        });
    });

    describe("lua mode (the plan's EnvoyFilter, hardened)", () => {
        let lua: Recording;
        before(async () => {
            const v = clone(stackValues("dev"));
            setPath(v, "auth.tokenSource", "lua");
            lua = await record(configFor(v));
        });

        it("inserts the Lua filter first on the gateway's HTTP connection manager with current names and no port", () => {
            const ef = lua.kind("EnvoyFilter");
            expect(ef).to.have.length(1);
            expect(ef[0].inputs.apiVersion).to.equal("networking.istio.io/v1alpha3");
            expect(ef[0].inputs.metadata.namespace).to.equal("istio-ingress");
            const spec = ef[0].inputs.spec;
            expect(spec.workloadSelector).to.deep.equal({ labels: { istio: "ingressgateway" } });
            const patch = spec.configPatches[0];
            expect(patch.applyTo).to.equal("HTTP_FILTER");
            expect(patch.match.context).to.equal("GATEWAY");
            expect(patch.match.listener).to.not.have.property("portNumber");
            expect(patch.match.listener.filterChain.filter.name).to.equal("envoy.filters.network.http_connection_manager");
            expect(patch.patch.operation).to.equal("INSERT_FIRST");
            expect(patch.patch.value.name).to.equal("envoy.filters.http.lua");
            expect(patch.patch.value.typed_config["@type"]).to.equal("type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua");
        });

        it("carries exactly the committed Lua file as inline code (default settings)", () => {
            const code = lua.kind("EnvoyFilter")[0].inputs.spec.configPatches[0].patch.value.typed_config.inlineCode;
            expect(code).to.equal(luaSource());
            expect(code).to.contain("function envoy_on_request(request_handle)");
        });

        it("changes only the config block for other settings", () => {
            const s = validateSettings({
                ...clone(stackValues("dev")),
                auth: { ...(stackValues("dev").auth as object), cookieName: "eco2_at", lua: { removeCookie: true, onExistingAuthorization: "keep" } },
            });
            const code = cookieToHeaderLua(s);
            expect(code).to.contain('local COOKIE_NAME = "eco2_at"');
            expect(code).to.contain('local ON_EXISTING_AUTHORIZATION = "keep"');
            expect(code).to.contain("local REMOVE_COOKIE = true");
            const strip = (x: string) => x.replace(/-- eco2-mesh:config-begin[\s\S]*-- eco2-mesh:config-end/, "");
            expect(strip(code)).to.equal(strip(luaSource()));
        });

        it("reads the token from the Authorization header only (the filter writes it)", () => {
            const rule = lua.kind("RequestAuthentication")[0].inputs.spec.jwtRules[0];
            expect(rule).to.not.have.property("fromCookies");
            expect(rule.fromHeaders).to.deep.equal([{ name: "Authorization", prefix: "Bearer " }]);
        });
    });
});
