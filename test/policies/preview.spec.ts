import { expect } from "chai";
import { policies } from "../../policies/rules";
import { recordStack } from "../harness";
import { fromRecording, packConfig, runPack, UNKNOWN } from "./harness";

// The first preview of a new (or replaced) gateway node: the instance id, hence the node name
// in the join scripts, is unknown. The mandatory rules must still decide, not block the gate.
describe("policy pack at the first preview of new gateway nodes", () => {
    it("decides every rule with the node names unknown (placement from the label step's trigger)", async function () {
        this.timeout(60000);
        const fakes = fromRecording((await recordStack("dev")).resources);
        let blanked = 0;
        for (const f of fakes) {
            if (!f.type.startsWith("command:remote:Command")) continue;
            if (/-(join|label)$/.test(f.name ?? "")) {
                f.props.create = UNKNOWN;
                f.props.delete = UNKNOWN;
                f.props.triggers[0] = UNKNOWN;
                blanked++;
            }
        }
        expect(blanked).to.equal(4);
        const result = await runPack(policies, fakes, packConfig("dev"));
        expect([...result.violations.entries()]).to.deep.equal([]);
        expect([...result.skipped.entries()]).to.deep.equal([]);
    });

    it("still fails when the declared placement does not match the gateway's nodeSelector", async function () {
        this.timeout(60000);
        const fakes = fromRecording((await recordStack("dev")).resources);
        for (const f of fakes) {
            if (f.name?.endsWith("-label")) {
                f.props.create = UNKNOWN;
                f.props.triggers[1].nodeLabels = { role: "edge" };
            }
        }
        const result = await runPack(policies, fakes, packConfig("dev"));
        expect([...result.violations.keys()]).to.deep.equal(["gatewayPodsFitJoinedNodes"]);
    });
});
