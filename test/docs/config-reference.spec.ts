import { expect } from "chai";
import * as fs from "fs";
import { z } from "zod";
import { REFERENCE_FILE, referenceSections, renderReference } from "../../scripts/config-reference";

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
        expect(text).to.contain('| `loadBalancer.type` | enum | `"nlb"` | `"nlb"`, `"alb"` |');
    });

    it("gives every key a description and every leaf key an example (issue 9)", () => {
        const rows = referenceSections().flatMap((s) => s.rows);
        expect(rows.filter((r) => r.leaf).length).to.be.greaterThan(100);
        expect(
            rows.filter((r) => r.description.trim() === "").map((r) => r.key),
            "keys without a .describe() in config/schema.ts",
        ).to.deep.equal([]);
        expect(
            rows.filter((r) => r.leaf && r.example === undefined).map((r) => r.key),
            "leaf keys without an example: set one in a stack file or .meta({ examples }) in config/schema.ts",
        ).to.deep.equal([]);
    });

    it("refuses an example that the key's own schema rejects", () => {
        const schema = z.strictObject({
            probe: z
                .strictObject({
                    port: z
                        .number()
                        .int()
                        .min(30000)
                        .optional()
                        .describe("a NodePort")
                        .meta({ examples: [80] }),
                })
                .prefault({})
                .describe("test section"),
        });
        expect(() => renderReference(schema)).to.throw(/example of probe\.port, 80, is refused/);
    });
});

describe("Pulumi.yaml project config", () => {
    it("declares only keys of the schema, with Pulumi types that match", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const YAML = require("yaml") as typeof import("yaml");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { meshConfigSchema } = require("../../config/schema") as typeof import("../../config/schema");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const path = require("path") as typeof import("path");
        const project = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "Pulumi.yaml"), "utf8"));
        const schema = z.toJSONSchema(meshConfigSchema, { io: "input", unrepresentable: "any" }) as { properties: Record<string, { type?: string }> };
        const declared = Object.entries(project.config ?? {}) as [string, { type: string }][];
        expect(declared.length).to.be.greaterThan(0);
        for (const [key, decl] of declared) {
            expect(schema.properties, `Pulumi.yaml declares ${key}, which the schema does not know`).to.have.property(key);
            expect(decl.type).to.equal(schema.properties[key].type);
        }
    });
});
