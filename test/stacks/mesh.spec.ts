import { expect } from "chai";
import { clone, configFor, record, recordStack, Recording, setPath, stackValues } from "../harness";

describe("stacks/mesh", () => {
    let dev: Recording;
    before(async () => {
        dev = await recordStack("dev");
    });

    it("labels existing app namespaces for injection with a patch (removing the mesh never deletes them)", () => {
        const ns = dev.ofType("kubernetes:core/v1:NamespacePatch");
        expect(ns.map((n) => n.inputs.metadata.name).sort()).to.deep.equal(["auth", "character", "chat", "scan"]);
        for (const n of ns) expect(n.inputs.metadata.labels).to.deep.equal({ "istio-injection": "enabled" });
        expect(dev.ofType("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name)).to.not.include("auth");
    });

    it("creates namespaces only where asked (local stack)", async () => {
        const local = await recordStack("local");
        const created = local.ofType("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name);
        expect(created).to.include.members(["auth", "scan", "chat"]);
        expect(local.named("mesh-ns-auth").inputs.metadata.labels["istio-injection"]).to.equal("enabled");
    });

    it("sets the mesh-wide PeerAuthentication mode from config (dev PERMISSIVE, prod STRICT)", async () => {
        const pa = dev.kind("PeerAuthentication");
        expect(pa).to.have.length(1);
        expect(pa[0].inputs.metadata).to.deep.include({ name: "default", namespace: "istio-system" });
        expect(pa[0].inputs.spec).to.deep.equal({ mtls: { mode: "PERMISSIVE" } });
        const prod = await recordStack("prod");
        expect(prod.kind("PeerAuthentication")[0].inputs.spec.mtls.mode).to.equal("STRICT");
    });

    it("owns the domain Services as ClusterIP and keeps them when the stack goes", () => {
        const svcs = dev.ofType("kubernetes:core/v1:Service");
        expect(svcs.map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`).sort()).to.deep.equal(["auth/auth-api", "character/character-api", "chat/chat-api", "scan/scan-api"]);
        for (const s of svcs) {
            expect(s.inputs.spec.type).to.equal("ClusterIP");
            expect(s.inputs.spec.ports[0]).to.not.have.property("nodePort");
            expect(s.retainOnDelete).to.equal(true);
        }
    });

    it("restarts workloads when injection is switched, keyed to the setting", async () => {
        const on = dev.named("mesh-restart-scan.scan-api");
        expect(on.type).to.equal("kubernetes:apps/v1:DeploymentPatch");
        expect(on.inputs.spec.template.metadata.annotations).to.deep.equal({ "eco2-mesh/sidecar-injection": "enabled" });
        const v = clone(stackValues("dev"));
        setPath(v, "mesh.namespaces[1].injection", false);
        const off = await record(configFor(v));
        expect(off.named("mesh-restart-scan.scan-api").inputs.spec.template.metadata.annotations).to.deep.equal({ "eco2-mesh/sidecar-injection": "disabled" });
        expect(off.named("mesh-ns-scan").inputs.metadata.labels, "rollback removes the label").to.deep.equal({});
        expect(off.named("mesh-ns-scan").inputs.metadata.annotations, "and says so on the namespace, for the policy gate").to.deep.equal({ "eco2-mesh/sidecar-injection": "disabled" });
        expect(off.named("mesh-restart-auth.auth-api").inputs.spec.template.metadata.annotations["eco2-mesh/sidecar-injection"]).to.equal("enabled");
    });

    it("a namespace rolled back without workloads passes the policy gate (its annotation says why it has no label)", async () => {
        const v = clone(stackValues("dev"));
        setPath(v, "mesh.namespaces[1]", { name: "scan", injection: false });
        const off = await record(configFor(v));
        const { policies } = await import("../../policies/rules");
        const { fromRecording, packConfig, runStack, toPolicyResources } = await import("../policies/harness");
        const rule = policies.find((p) => p.name === "meshNamespacesAreInjected")!;
        const result = await runStack(rule as import("@pulumi/policy").StackValidationPolicy, toPolicyResources(fromRecording(off.resources)), packConfig("dev"));
        expect(result.violations).to.deep.equal([]);
    });

    it("restarts workloads only after the namespace label and istiod", () => {
        const restart = dev.named("mesh-restart-auth.auth-api");
        expect(dev.dependsOn(restart, dev.named("mesh-ns-auth"))).to.equal(true);
        expect(dev.dependsOn(restart, dev.named("istio-istiod"))).to.equal(true);
    });
});
