import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { MeshSettings } from "../../config/schema";
import { IstioObject, istioObject, registerIstioObject } from "../common/istio";
import { ReadinessIndex } from "../common/ready";

/**
 * Mesh-wide Telemetry in the root namespace: access logs through the built-in `envoy`
 * provider, whose format is the JSON encoding set in istiod's meshConfig. Metrics stay with
 * Envoy's defaults (the plan drops the apps' own request metrics).
 */
export function telemetryObject(s: MeshSettings): IstioObject {
    const logging: Record<string, unknown> = { providers: [{ name: "envoy" }], disabled: !s.observability.accessLogs };
    if (s.observability.accessLogFilter) logging.filter = { expression: s.observability.accessLogFilter };
    return istioObject("Telemetry", "mesh-default", s.istio.namespace, { accessLogging: [logging] });
}

export interface ObservabilityArgs {
    readonly settings: MeshSettings;
    readonly provider: k8s.Provider;
    readonly ready: ReadinessIndex;
}

export class Observability extends pulumi.ComponentResource {
    public readonly accessLogs: boolean;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:observability:Observability", name, {}, opts);
        this.accessLogs = args.settings.observability.accessLogs;
        const t = telemetryObject(args.settings);
        registerIstioObject(`${name}-telemetry-${t.metadata.name}`, t, args.ready, { parent: this, provider: args.provider });
        this.registerOutputs({ accessLogs: this.accessLogs });
    }
}
