import { expect } from "chai";
import { configFor } from "../harness";
import { devWithDomains } from "../../scripts/bench/worker";
import { chains } from "../../scripts/bench/graph";
import { record } from "../harness";

// `npm run bench` is not run in CI; these keep its inputs valid and its graph measure honest.
describe("scripts/bench", () => {
    it("grows the dev stack to n domains with a config that validates", () => {
        const cfg = configFor(devWithDomains(3));
        expect(cfg.routing.domains).to.have.length(3);
        expect(cfg.mesh.namespaces).to.have.length(3);
    });

    it("finds the longest chain, and a spurious dependsOn lengthens it beyond the required one", async () => {
        const rec = await record(configFor(devWithDomains(2)));
        const base = chains(rec.resources);
        expect(base.actual.length).to.equal(base.required.length);
        // Make a VirtualService wait for the gateway release (nothing requires that).
        const vs = rec.resources.find((r) => r.inputs.kind === "VirtualService")!;
        const gateway = rec.resources.find((r) => r.name === "istio-gateway")!;
        const spurious = rec.resources.map((r) => (r === vs ? { ...r, dependencies: [...r.dependencies, gateway.urn] } : r));
        const c = chains(spurious);
        expect(c.actual.length).to.be.greaterThan(c.required.length);
        expect(c.actual.members).to.include(vs.name);
    });
});
