import { expect } from "chai";
import { ConfigError } from "../config";
import { clone, configFor, record, Recording, setPath, STACKS, stackValues } from "./harness";

// Each public failure case (shared/notes/failure-cases.md) as a named test over every stack.

async function allStacks(): Promise<[string, Recording][]> {
    const out: [string, Recording][] = [];
    for (const s of STACKS) out.push([s, await record(configFor(stackValues(s)))]);
    return out;
}

function pathCovered(path: string, patterns: string[]): boolean {
    return patterns.some((p) => p === path || (p.endsWith("*") && path.startsWith(p.slice(0, -1))));
}

describe("real-world failure cases", () => {
    let stacks: [string, Recording][];
    before(async () => {
        stacks = await allStacks();
    });

    it("1. RequestAuthentication alone admits tokenless requests (istio/istio#50588): every protected path is covered by a policy requiring a principal", () => {
        for (const [stack, rec] of stacks) {
            const cfg = configFor(stackValues(stack));
            const ra = rec.kind("RequestAuthentication");
            expect(ra, stack).to.have.length(1);
            const denies = rec
                .kind("AuthorizationPolicy")
                .filter(
                    (p) =>
                        p.inputs.spec.action === "DENY" &&
                        JSON.stringify(p.inputs.spec.selector) === JSON.stringify(ra[0].inputs.spec.selector) &&
                        p.inputs.spec.rules.some((r: any) => r.from?.some((f: any) => (f.source.notRequestPrincipals ?? []).includes("*"))),
                );
            const covered = denies.flatMap((p) => p.inputs.spec.rules.flatMap((r: any) => r.to.flatMap((t: any) => t.operation.paths)));
            const mustCover = [...cfg.auth.protectedPaths, ...cfg.auth.rolePaths.flatMap((r) => r.paths)];
            for (const p of mustCover) expect(pathCovered(p, covered), `${stack}: ${p} has no principal requirement`).to.equal(true);
        }
        // And a config that would leave a RequestAuthentication alone is refused.
        const v = clone(stackValues("local"));
        setPath(v, "auth.protectedPaths", []);
        setPath(v, "auth.rolePaths", []);
        expect(() => configFor(v)).to.throw(ConfigError, "eco2-mesh:auth.protectedPaths");
    });

    it("2. overriding the gateway chart's service.ports replaces the list (istio/istio#35348): the status port survives and every port has a fixed nodePort", async () => {
        const versions = ["1.24.1", "1.30.3"];
        for (const version of versions) {
            const v = clone(stackValues("dev"));
            setPath(v, "istio.version", version);
            const rec = await record(configFor(v));
            const ports = rec.named("istio-gateway").inputs.values.service.ports as any[];
            expect(
                ports.find((p) => p.name === "status-port"),
                version,
            ).to.deep.include({ port: 15021, targetPort: 15021, nodePort: 31021 });
            for (const p of ports) expect(p.nodePort, `${version} ${p.name}`).to.be.a("number");
            expect(new Set(ports.map((p) => p.nodePort)).size).to.equal(ports.length);
            expect(ports.map((p) => p.nodePort).sort()).to.deep.equal([31021, 31080, 31443]);
        }
    });

    it("3. gateway pods stuck with image `auto` (istio/istio#54841): namespace never injection-disabled, gateway after istiod", async () => {
        for (const [stack, rec] of stacks) {
            for (const ns of rec.ofType("kubernetes:core/v1:Namespace")) {
                if (ns.inputs.metadata.name === "istio-ingress") expect(ns.inputs.metadata.labels?.["istio-injection"], stack).to.not.equal("disabled");
            }
            if (rec.has("istio-gateway")) expect(rec.dependsOn(rec.named("istio-gateway"), rec.named("istio-istiod")), stack).to.equal(true);
        }
        const v = clone(stackValues("dev"));
        (v.mesh as any).namespaces.push({ name: "istio-ingress", injection: false });
        expect(() => configFor(v)).to.throw(ConfigError, /image "auto"/);
    });

    it("4. a VirtualService naming the gateway by bare name from another namespace gets 404 (istio/istio#18225): references are <ns>/<name> and resolve", () => {
        for (const [stack, rec] of stacks) {
            const gateways = rec.kind("Gateway").map((g) => `${g.inputs.metadata.namespace}/${g.inputs.metadata.name}`);
            for (const vs of rec.kind("VirtualService")) {
                for (const ref of vs.inputs.spec.gateways) {
                    expect(ref, `${stack} ${vs.name}`).to.match(/^[a-z0-9-]+\/[a-z0-9-]+$/);
                    expect(gateways, `${stack} ${vs.name} → ${ref}`).to.include(ref);
                }
            }
        }
    });

    it("5. a CUSTOM policy naming an undeclared provider denies traffic (istio/istio#40944): names come from one source", async () => {
        const variants = [stackValues("prod"), setPath(clone(stackValues("prod")), "auth.extAuthz.providers[0].name", "token-blacklist")];
        for (const v of variants) {
            const rec = await record(configFor(v));
            const declared = (rec.named("istio-istiod").inputs.values.meshConfig.extensionProviders ?? []).map((p: any) => p.name);
            const used = rec
                .kind("AuthorizationPolicy")
                .filter((p) => p.inputs.spec.action === "CUSTOM")
                .map((p) => p.inputs.spec.provider.name);
            expect(used.length).to.be.greaterThan(0);
            for (const name of used) expect(declared).to.include(name);
        }
    });

    it("6. `base` 1.24 over CRDs installed another way fails on ownership (istio/istio#43204): adoptExisting labels them for the release first", async () => {
        const v = clone(stackValues("dev"));
        setPath(v, "istio.crds.adoptExisting", true);
        const rec = await record(configFor(v));
        const patches = rec.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch");
        expect(patches).to.have.length(14);
        const base = rec.named("istio-base");
        for (const p of patches) {
            expect(p.inputs.metadata.labels).to.deep.equal({ "app.kubernetes.io/managed-by": "Helm" });
            expect(p.inputs.metadata.annotations).to.deep.equal({ "meta.helm.sh/release-name": base.inputs.name, "meta.helm.sh/release-namespace": base.inputs.namespace });
            expect(rec.dependsOn(base, p), p.name).to.equal(true);
        }
        const plain = stacks.find(([s]) => s === "dev")![1];
        expect(plain.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch"), "off unless asked").to.have.length(0);
    });
});
