import { expect } from "chai";
import { policies } from "../../policies/rules";
import { recordStack, STACKS } from "../harness";
import { fromRecording, packConfig, runPack } from "./harness";

// The program's own stacks, recorded under the suite's mocks, pass every rule of the pack with
// their environment's config, and no rule is skipped.

describe("policy pack over the program's stacks", () => {
    for (const stack of STACKS) {
        it(`${stack}: every rule passes, none skipped`, async () => {
            const rec = await recordStack(stack);
            const result = await runPack(policies, fromRecording(rec.resources), packConfig(stack));
            expect(Object.fromEntries(result.violations), stack).to.deep.equal({});
            expect(Object.fromEntries(result.skipped), stack).to.deep.equal({});
        });
    }

    it("the stacks exercise every family (the pack does not pass by seeing nothing)", async () => {
        const dev = fromRecording((await recordStack("dev")).resources);
        const types = new Set(dev.map((r) => r.type));
        for (const t of [
            "kubernetes:networking.istio.io/v1:VirtualService",
            "kubernetes:security.istio.io/v1:RequestAuthentication",
            "kubernetes:helm.sh/v3:Release",
            "aws:ec2/launchTemplate:LaunchTemplate",
            "aws:lb/targetGroup:TargetGroup",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "command:remote:Command",
            "pulumi:providers:kubernetes",
        ])
            expect(types.has(t), t).to.equal(true);
    });
});
