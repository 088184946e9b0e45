import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { recordStack } from "../harness";
import { T } from "./helpers";

function valueOf<V>(o: pulumi.Output<V>): Promise<V> {
    return new Promise((resolve) =>
        o.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

describe("infra: the committed stacks run the whole program", function () {
    this.timeout(60000);

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: builds every layer, exports the infra outputs, and the gateway release waits for the labelled nodes`, async () => {
            const rec = await recordStack(stack);
            const infra = rec.outputs.infra!;
            const count = stack === "dev" ? 2 : 3;
            expect(infra.instanceIds).to.have.length(count);
            expect(infra.privateIps).to.have.length(count);
            expect(infra.joined).to.have.length(count);
            expect(Object.keys(infra.targetGroupArns)).to.deep.equal(["http"]);
            expect(await valueOf(infra.loadBalancerDnsName)).to.equal(`gateway-lb-${stack === "dev" ? "nlb" : "alb"}.elb.ap-northeast-2.amazonaws.com`);
            expect(await valueOf(infra.instanceIds[0])).to.equal(`${T.instance}::gateway-pool-node-0`);

            const gateway = rec.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.name === "istio-gateway");
            expect(gateway, "the gateway Helm release").not.to.equal(undefined);
            for (let i = 0; i < count; i++) {
                expect(rec.dependsOn(gateway!, rec.named(`gateway-join-${i}-label`)), `node ${i}`).to.equal(true);
            }
            // Every AWS and command resource sits under one of the three infra components.
            const components = new Set(rec.resources.filter((r) => r.type.startsWith("eco2:infra:")).map((r) => r.urn));
            expect(components.size).to.equal(3);
            for (const r of rec.resources.filter((x) => x.type.startsWith("aws:") || x.type.startsWith("command:"))) {
                expect(components.has(r.parent), r.name).to.equal(true);
            }
        });
    }
});
