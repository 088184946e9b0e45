import { installMocks } from "../mocks";
import { recordVariants } from "./variants";

// `node bin/test/conformance/dump.js <istio version>`: the Istio objects every stack variant
// registers under the runtime mocks, as JSON on stdout ({ variant, object }[]). The integration
// tier sends them to a real API server (server-side dry run), which runs what ajv cannot: the
// CRDs' CEL rules and strict field validation.

async function main(): Promise<void> {
    const version = process.argv[2];
    if (!version) throw new Error("usage: dump.js <istio version>");
    await installMocks();
    const out: { variant: string; object: Record<string, unknown> }[] = [];
    for (const [variant, rec] of await recordVariants(version)) {
        for (const r of rec.resources) {
            const apiVersion: unknown = r.inputs.apiVersion;
            if (!r.type.startsWith("kubernetes:") || typeof apiVersion !== "string" || !apiVersion.includes("istio.io/")) continue;
            const { __secret, ...object } = r.inputs as Record<string, unknown>;
            void __secret;
            out.push({ variant, object });
        }
    }
    process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
