import type { PolicyConfigSchema } from "@pulumi/policy";

// Per-environment behaviour comes from the pack's policy config (`--policy-pack-config
// policies/config.<env>.json`): @pulumi/policy gives each rule only its own config entry, so
// every rule that depends on the environment declares `environment` and `strictEnvironments`.
// Without config a rule assumes a strict environment (safe by default).

export const DEFAULT_STRICT_ENVIRONMENTS = ["prod"];

export interface EnvironmentConfig {
    /** Environment of the stack under preview (dev, prod, local). */
    readonly environment?: string;
    /** Environments that demand the strict form of a rule. */
    readonly strictEnvironments?: string[];
}

export const environmentConfigSchema: PolicyConfigSchema = {
    properties: {
        environment: { type: "string", description: "Environment of the stack (dev, prod, local); unset means strict." },
        strictEnvironments: { type: "array", items: { type: "string" }, default: DEFAULT_STRICT_ENVIRONMENTS, description: "Environments that demand the strict form of this rule." },
    },
};

/** The environment and whether it is strict; an unset environment is strict. */
export function environmentOf(cfg: EnvironmentConfig | undefined): { environment: string; strict: boolean } {
    const environment = cfg?.environment ?? "";
    const strictEnvironments = cfg?.strictEnvironments ?? DEFAULT_STRICT_ENVIRONMENTS;
    return { environment: environment || "(unset)", strict: environment === "" || strictEnvironments.includes(environment) };
}

/** The ingress gateway pods' labels: the gateway chart's `istio=<release name without istio->`. */
export const DEFAULT_GATEWAY_SELECTOR: Record<string, string> = { istio: "ingressgateway" };

export const gatewaySelectorSchema: PolicyConfigSchema["properties"] = {
    gatewaySelector: { type: "object", additionalProperties: { type: "string" }, default: DEFAULT_GATEWAY_SELECTOR, description: "Pod labels of the ingress gateway." },
};
