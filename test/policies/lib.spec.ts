import { expect } from "chai";
import { policies, families } from "../../policies/rules";
import { isKind, parseK8sType } from "../../policies/rules/lib/kinds";
import { need, UNKNOWN } from "../../policies/rules/lib/values";

describe("policies: pack layout and helpers", () => {
    it("every rule has a unique name, a one-sentence description and a default level", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const p of policies) {
            expect(p.name, p.name).to.match(/^[a-z][A-Za-z0-9]+$/);
            expect(p.description, p.name).to.match(/^[A-Z].*\.$/);
            expect(
                p.description
                    .replace(/\b(e\.g|i\.e|etc)\./g, "")
                    .replace(/\d\.\d/g, "")
                    .split(/\.\s/).length,
                `${p.name}: one sentence`,
            ).to.equal(1);
            expect(["mandatory", "advisory"], p.name).to.include(p.enforcementLevel);
        }
        expect(Object.keys(families).sort()).to.deep.equal(["aws", "istio", "secrets", "stack"]);
    });

    it("parses Kubernetes type tokens by group and kind, whatever the version", () => {
        expect(parseK8sType("kubernetes:networking.istio.io/v1alpha3:VirtualService")).to.deep.equal({ group: "networking.istio.io", version: "v1alpha3", kind: "VirtualService", patch: false });
        expect(parseK8sType("kubernetes:core/v1:NamespacePatch")).to.deep.equal({ group: "", version: "v1", kind: "Namespace", patch: true });
        expect(parseK8sType("kubernetes:helm.sh/v3:Release")).to.deep.equal({ group: "helm.sh", version: "v3", kind: "Release", patch: false });
        expect(parseK8sType("aws:ec2/instance:Instance")).to.equal(undefined);
        for (const v of ["v1", "v1beta1", "v1alpha3", "v2"]) expect(isKind(`kubernetes:security.istio.io/${v}:AuthorizationPolicy`, "security.istio.io", "AuthorizationPolicy"), v).to.equal(true);
        expect(isKind("kubernetes:networking.k8s.io/v1:Gateway", "networking.istio.io", "Gateway")).to.equal(false);
    });

    it("names the unknown field, however deep", () => {
        expect(() => need({ spec: UNKNOWN }, "spec.mtls.mode")).to.throw("cannot be verified at preview: spec is unknown");
        expect(() => need({ spec: { rules: [{ to: UNKNOWN }] } }, "spec.rules[0].to")).to.throw("cannot be verified at preview: spec.rules[0].to is unknown");
        expect(need({ spec: {} }, "spec.mtls.mode")).to.equal(undefined);
    });
});
