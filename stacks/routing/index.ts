import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { MeshSettings } from "../../config/schema";
import { registerIstioObject } from "../common/istio";
import { ReadinessIndex } from "../common/ready";
import { domainsByService } from "../mesh/specs";
import { destinationRuleObject, gatewayObject, gatewayRef, virtualServiceObject } from "./specs";

export interface RoutingArgs {
    readonly settings: MeshSettings;
    readonly provider: k8s.Provider;
    /** What each Istio object waits for (its CRD, its namespace). */
    readonly ready: ReadinessIndex;
    /** Identity headers clients must not send (stripped on every route). */
    readonly stripHeaders: readonly string[];
}

/** The Istio Gateway and, per domain, a VirtualService and a DestinationRule. */
export class Routing extends pulumi.ComponentResource {
    public readonly gatewayRef: string;
    public readonly hosts: string[];

    constructor(name: string, args: RoutingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:routing:Routing", name, {}, opts);
        const s = args.settings;
        const child = { parent: this, provider: args.provider };
        this.gatewayRef = gatewayRef(s);
        this.hosts = [...s.routing.gateway.hosts];

        const gw = gatewayObject(s);
        registerIstioObject(`${name}-gateway-${gw.metadata.name}`, gw, args.ready, child);
        for (const dm of s.routing.domains) {
            registerIstioObject(`${name}-vs-${dm.name}`, virtualServiceObject(s, dm, args.stripHeaders), args.ready, child);
        }
        // One DestinationRule per Service host: two rules for one host are merged unpredictably.
        for (const dm of domainsByService(s.routing.domains)) {
            registerIstioObject(`${name}-dr-${dm.namespace}.${dm.service.name}`, destinationRuleObject(dm), args.ready, child);
        }
        this.registerOutputs({ gatewayRef: this.gatewayRef, hosts: this.hosts });
    }
}
