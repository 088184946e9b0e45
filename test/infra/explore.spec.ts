import { recordStack } from "../harness";

describe("explore", () => {
    it("dev", async () => {
        const rec = await recordStack("dev");
        for (const r of rec.resources.filter((r) => r.type.startsWith("aws") || r.type.startsWith("command") || r.type.startsWith("eco2:infra"))) console.log(r.type, r.name, JSON.stringify(r.inputs).slice(0, 300));
    });
    it("prod", async () => {
        const rec = await recordStack("prod");
        console.log(rec.resources.length);
    });
});
