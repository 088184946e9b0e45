import { clone, configFor, record, Recording, setPath, STACKS, stackValues } from "../harness";

/** A committed stack pinned to another Istio release, with edits. */
export function withVersion(stack: string, version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const v = clone(stackValues(stack));
    setPath(v, "istio.version", version);
    for (const [k, x] of Object.entries(extra)) setPath(v, k, x);
    return v;
}

/**
 * What the conformance tiers check for one release: every committed stack, plus the variants
 * no stack covers (Lua token bridge, canary by cookie, TLS at the gateway). Needs the runtime
 * mocks installed.
 */
export async function recordVariants(version: string): Promise<Map<string, Recording>> {
    const out = new Map<string, Recording>();
    for (const stack of STACKS) out.set(stack, await record(configFor(withVersion(stack, version))));
    out.set(
        "dev+lua",
        await record(
            configFor(
                withVersion("dev", version, {
                    "auth.tokenSource": "lua",
                    "routing.domains[0].canary": { cookie: { name: "canary", value: "on" }, weight: 5 },
                    "routing.gateway.tlsCredentialName": "api-tls",
                    "routing.gateway.httpsRedirect": true,
                }),
            ),
        ),
    );
    return out;
}
