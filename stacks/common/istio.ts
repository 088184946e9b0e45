import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ReadinessIndex } from "./ready";

/**
 * API versions the program emits. `v1` of the networking, security and telemetry groups is
 * served from Istio 1.22 on (and is the storage version from 1.25); EnvoyFilter only exists
 * as v1alpha3.
 */
export const ISTIO_API = {
    Gateway: "networking.istio.io/v1",
    VirtualService: "networking.istio.io/v1",
    DestinationRule: "networking.istio.io/v1",
    EnvoyFilter: "networking.istio.io/v1alpha3",
    PeerAuthentication: "security.istio.io/v1",
    RequestAuthentication: "security.istio.io/v1",
    AuthorizationPolicy: "security.istio.io/v1",
    Telemetry: "telemetry.istio.io/v1",
} as const;

export type IstioKind = keyof typeof ISTIO_API;

/** Labels on every object the program creates, so operators can find them. */
export const MANAGED_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "eco2-mesh",
} as const;

/** A plain Istio object: built by pure functions, registered by components, checked by tests. */
export interface IstioObject {
    readonly apiVersion: string;
    readonly kind: IstioKind;
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string> };
    readonly spec: Record<string, unknown>;
}

export function istioObject(kind: IstioKind, name: string, namespace: string, spec: Record<string, unknown>): IstioObject {
    return { apiVersion: ISTIO_API[kind], kind, metadata: { name, namespace, labels: { ...MANAGED_LABELS } }, spec };
}

/** Registers an Istio object; it waits for its CRD and its namespace only. */
export function registerIstioObject(resourceName: string, obj: IstioObject, ready: ReadinessIndex, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    const dependsOn = ready.forObject(obj.apiVersion, obj.kind, obj.metadata.namespace);
    return new k8s.apiextensions.CustomResource(resourceName, { ...obj }, { ...opts, dependsOn });
}

/** Cluster-local DNS name of a Service. */
export function serviceHost(name: string, namespace: string): string {
    return `${name}.${namespace}.svc.cluster.local`;
}

/** The `istio=<name>` pod label the gateway chart derives from the release name. */
export function gatewaySelector(releaseName: string): Record<string, string> {
    return { istio: releaseName.replace(/^istio-/, "") };
}
