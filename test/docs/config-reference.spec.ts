import { expect } from "chai";
import * as fs from "fs";
import { REFERENCE_FILE, renderReference } from "../../scripts/config-reference";

describe("docs/config-reference.md", () => {
    it("matches the config schema (run `npm run docs:config` after changing config/schema.ts)", () => {
        expect(fs.existsSync(REFERENCE_FILE), `${REFERENCE_FILE} is missing: run npm run docs:config`).to.equal(true);
        const committed = fs.readFileSync(REFERENCE_FILE, "utf8");
        expect(committed === renderReference(), "docs/config-reference.md is stale: run npm run docs:config and commit it").to.equal(true);
    });

    it("documents every top-level key and the secrets", () => {
        const text = renderReference();
        for (const k of ["environment", "layers", "cluster", "gatewayNodes", "loadBalancer", "istio", "mesh", "routing", "auth", "observability", "kubeconfig", "sshPrivateKey"]) {
            expect(text).to.contain(`\`${k}`);
        }
        expect(text).to.contain("| `loadBalancer.type` | enum | `\"nlb\"` | `\"nlb\"`, `\"alb\"` |");
    });
});
