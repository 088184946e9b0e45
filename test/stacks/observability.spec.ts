import { expect } from "chai";
import { clone, configFor, record, recordStack, setPath, stackValues } from "../harness";

describe("stacks/observability", () => {
    it("turns on access logs mesh-wide through the Telemetry API", async () => {
        const rec = await recordStack("local");
        const t = rec.kind("Telemetry");
        expect(t).to.have.length(1);
        expect(t[0].inputs.metadata).to.deep.include({ name: "mesh-default", namespace: "istio-system" });
        expect(t[0].inputs.spec.accessLogging).to.deep.equal([{ providers: [{ name: "envoy" }], disabled: false }]);
    });

    it("carries an access log filter and can switch logs off", async () => {
        const v = clone(stackValues("local"));
        setPath(v, "observability", { accessLogs: false, accessLogFilter: "response.code >= 400" });
        const t = (await record(configFor(v))).kind("Telemetry")[0].inputs.spec.accessLogging[0];
        expect(t.disabled).to.equal(true);
        expect(t.filter).to.deep.equal({ expression: "response.code >= 400" });
    });

    it("is absent when the layer is off", async () => {
        const v = clone(stackValues("local"));
        setPath(v, "layers.observability", false);
        expect((await record(configFor(v))).kind("Telemetry")).to.have.length(0);
    });
});
