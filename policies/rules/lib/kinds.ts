import type { PolicyResource } from "@pulumi/policy";
import { asRecord, isUnknown, raw } from "./values";

// Kubernetes type tokens are `kubernetes:<group>/<version>:<Kind>` (`core/v1` for the core group;
// a CustomResource registers as `kubernetes:<apiVersion>:<kind>`). Rules match group + kind and
// ignore the version, so moving an Istio object from v1beta1 to v1 (or v1alpha3 to v1) cannot
// silently turn a rule off (pulumi-kubernetes#2057, pulumi#10055).

export interface K8sKind {
    /** API group; "" for the core group. */
    readonly group: string;
    readonly version: string;
    /** Kind without a `Patch` suffix. */
    readonly kind: string;
    /** A server-side-apply patch (`NamespacePatch`, `ServicePatch`, …). */
    readonly patch: boolean;
}

export function parseK8sType(type: string): K8sKind | undefined {
    const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) return undefined;
    const apiVersion = m[1];
    const slash = apiVersion.lastIndexOf("/");
    let group = slash < 0 ? "" : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    if (group === "core") group = "";
    const patch = m[2].endsWith("Patch") && m[2] !== "Patch";
    return { group, version, kind: patch ? m[2].slice(0, -"Patch".length) : m[2], patch };
}

export const ISTIO_GROUPS = {
    networking: "networking.istio.io",
    security: "security.istio.io",
    telemetry: "telemetry.istio.io",
} as const;

/** True for `group` + `kind` in any API version (and, with `patches`, their Patch variants). */
export function isKind(type: string, group: string, kind: string, patches = true): boolean {
    const k = parseK8sType(type);
    return !!k && k.group === group && k.kind === kind && (patches || !k.patch);
}

export const isVirtualService = (t: string) => isKind(t, ISTIO_GROUPS.networking, "VirtualService");
export const isGateway = (t: string) => isKind(t, ISTIO_GROUPS.networking, "Gateway");
export const isEnvoyFilter = (t: string) => isKind(t, ISTIO_GROUPS.networking, "EnvoyFilter");
export const isPeerAuthentication = (t: string) => isKind(t, ISTIO_GROUPS.security, "PeerAuthentication");
export const isRequestAuthentication = (t: string) => isKind(t, ISTIO_GROUPS.security, "RequestAuthentication");
export const isAuthorizationPolicy = (t: string) => isKind(t, ISTIO_GROUPS.security, "AuthorizationPolicy");
export const isService = (t: string) => isKind(t, "", "Service");
export const isNamespace = (t: string) => isKind(t, "", "Namespace");
export const isDeployment = (t: string) => isKind(t, "apps", "Deployment");
/** Helm releases: helm.sh/v3 Release today, any later version too, and helm.sh/v4 Chart (a chart rendered by Pulumi). */
export const isHelmRelease = (t: string) => isKind(t, "helm.sh", "Release", false) || isKind(t, "helm.sh", "Chart", false);

export const AWS = {
    instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    /** The VPC's default group, managed in place; same inline ingress shape. */
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    vpcIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    /** The aws.alb.* aliases register under their own tokens. */
    loadBalancers: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer", "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer"],
    targetGroups: ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup", "aws:elasticloadbalancingv2/targetGroup:TargetGroup"],
    targetGroupAttachments: ["aws:lb/targetGroupAttachment:TargetGroupAttachment", "aws:alb/targetGroupAttachment:TargetGroupAttachment"],
} as const;

export const COMMAND_TYPES = ["command:remote:Command", "command:local:Command"] as const;

/** `metadata.name` / `metadata.namespace` (namespace "default" when absent, as the API server does). */
export function metadataOf(props: Record<string, any>): { name: string; namespace: string } {
    const md = asRecord(raw(props).metadata);
    const name = isUnknown(md.name) || typeof md.name !== "string" ? "" : md.name;
    const namespace = isUnknown(md.namespace) || typeof md.namespace !== "string" || md.namespace === "" ? "default" : md.namespace;
    return { name, namespace };
}

/** `Kind namespace/name` for messages. */
export function describe(r: { type: string; props: Record<string, any>; name: string }): string {
    const k = parseK8sType(r.type);
    if (!k) return `${r.type.split(":").pop()} ${r.name}`;
    if (k.group === "helm.sh" && k.kind === "Release") {
        const name = raw(r.props).name;
        return `Helm release ${typeof name === "string" && !isUnknown(name) ? name : r.name}`;
    }
    const md = metadataOf(r.props);
    const kind = k.patch ? `${k.kind}Patch` : k.kind;
    return k.kind === "Namespace" ? `${kind} ${md.name || r.name}` : `${kind} ${md.namespace}/${md.name || r.name}`;
}

export function ofKind(resources: PolicyResource[], test: (type: string) => boolean): PolicyResource[] {
    return resources.filter((r) => test(r.type));
}

/** The chart a Helm release installs, by its last path segment (`istiod`, `./charts/istiod`, `oci://…/istiod`). */
export function chartName(props: Record<string, any>): string {
    const chart = raw(props).chart;
    if (typeof chart !== "string" || isUnknown(chart)) return "";
    return chart
        .replace(/\/+$/, "")
        .split("/")
        .pop()!
        .replace(/-\d+\.\d+\.\d+.*\.tgz$/, "");
}

/** The version in a packaged chart's file name (`./charts/istiod-1.25.0.tgz` → `1.25.0`). */
export function chartFileVersion(props: Record<string, any>): string | undefined {
    const chart = raw(props).chart;
    if (typeof chart !== "string" || isUnknown(chart)) return undefined;
    return /-(\d+\.\d+\.\d+[^/]*?)\.tgz$/.exec(chart)?.[1];
}
