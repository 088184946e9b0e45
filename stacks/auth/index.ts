import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { MeshSettings } from "../../config/schema";
import { registerIstioObject } from "../common/istio";
import { ReadinessIndex } from "../common/ready";
import { authorizationPolicyObjects, cookieToHeaderFilterObject, extAuthzPolicyObjects, requestAuthenticationObject } from "./specs";

export interface AuthArgs {
    readonly settings: MeshSettings;
    readonly provider: k8s.Provider;
    /** What each Istio object waits for (its CRD, its namespace). */
    readonly ready: ReadinessIndex;
}

/** JWT authentication, authorization and the token bridge at the ingress gateway. */
export class Auth extends pulumi.ComponentResource {
    public readonly tokenSource: string;
    public readonly extAuthzProviders: string[];

    constructor(name: string, args: AuthArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:auth:Auth", name, {}, opts);
        const s = args.settings;
        const child = { parent: this, provider: args.provider };
        this.tokenSource = s.auth.tokenSource;
        this.extAuthzProviders = s.auth.extAuthz.enabled ? s.auth.extAuthz.providers.map((p) => p.name) : [];

        const objects = [requestAuthenticationObject(s), ...authorizationPolicyObjects(s), ...extAuthzPolicyObjects(s), ...(s.auth.tokenSource === "lua" ? [cookieToHeaderFilterObject(s)] : [])];
        for (const obj of objects) {
            registerIstioObject(`${name}-${obj.kind.toLowerCase()}-${obj.metadata.name}`, obj, args.ready, child);
        }
        this.registerOutputs({ tokenSource: this.tokenSource, extAuthzProviders: this.extAuthzProviders });
    }
}
