import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { crdFilePath, StackConfig } from "./config";
import { deployInfra, InfraOutputs } from "./infra";
import { Auth } from "./stacks/auth";
import { headersToStrip } from "./stacks/auth/specs";
import { IstioInstall } from "./stacks/istio";
import { Mesh } from "./stacks/mesh";
import { Observability } from "./stacks/observability";
import { Routing } from "./stacks/routing";
import { ReadinessIndex } from "./stacks/common/ready";

export interface ProgramOutputs {
    readonly environment: string;
    /** Set when the stack installs Istio (layers.istio). */
    readonly istioVersion?: string;
    /** Set when something uses them: the gateway Service (layers.istio) or the load balancer (layers.aws). */
    readonly gatewayNodePorts?: { http: number; https: number; status: number };
    readonly meshNamespaces?: string[];
    /** Set when the stack owns the mesh-wide PeerAuthentication (layers.mesh). */
    readonly mtlsMode?: string;
    readonly tokenSource?: string;
    readonly gatewayRef?: string;
    readonly infra?: InfraOutputs;
}

/** Builds the enabled layers in dependency order from a validated configuration. */
export function deployMesh(cfg: StackConfig): ProgramOutputs {
    const { layers } = cfg;
    const infra = layers.aws ? deployInfra(cfg) : undefined;

    const clusterLayers = layers.istio || layers.mesh || layers.routing || layers.auth || layers.observability;
    let provider: k8s.Provider | undefined;
    if (clusterLayers) {
        // Explicit provider from the stack's kubeconfig; the ambient one is never used.
        provider = new k8s.Provider("cluster", {
            kubeconfig: cfg.secrets.kubeconfig!,
            context: cfg.cluster.context,
            enableServerSideApply: true,
        });
    }

    const ready = new ReadinessIndex();
    let controlPlane: pulumi.Resource[] = [];
    if (layers.istio && provider) {
        const needsCrdFile = cfg.istio.crds.source === "file" || cfg.istio.crds.adoptExisting;
        const istio = new IstioInstall("istio", {
            settings: cfg,
            provider,
            crdFile: needsCrdFile ? crdFilePath(cfg, cfg.rootDir) : undefined,
            chartDir: cfg.istio.chartDir ? path.resolve(cfg.rootDir, cfg.istio.chartDir) : undefined,
            gatewayNodes: infra?.joined,
            ready,
        });
        controlPlane = istio.istiod ? [istio.istiod] : [];
    }

    let mesh: Mesh | undefined;
    if (layers.mesh && provider) {
        mesh = new Mesh("mesh", { settings: cfg, provider, ready, controlPlane });
    }
    let routing: Routing | undefined;
    if (layers.routing && provider) {
        routing = new Routing("routing", { settings: cfg, provider, ready, stripHeaders: headersToStrip(cfg) });
    }
    let auth: Auth | undefined;
    if (layers.auth && provider) {
        auth = new Auth("auth", { settings: cfg, provider, ready });
    }
    if (layers.observability && provider) {
        new Observability("observability", { settings: cfg, provider, ready });
    }

    return {
        environment: cfg.environment,
        // Outputs describe what this stack runs: after a rollback turns a layer off, its values go.
        istioVersion: layers.istio ? cfg.istio.version : undefined,
        gatewayNodePorts: layers.istio || layers.aws ? { ...cfg.istio.gateway.nodePorts } : undefined,
        meshNamespaces: mesh?.namespaces,
        mtlsMode: mesh ? cfg.mesh.mtlsMode : undefined,
        tokenSource: auth?.tokenSource,
        gatewayRef: routing?.gatewayRef,
        infra,
    };
}

/**
 * What operators see in `pulumi stack output`: the load balancer DNS name, node ids and private
 * IPs, target group ARNs, Istio version, gateway NodePorts. Layers a stack does not run export
 * nothing rather than an empty value.
 */
export function stackOutputs(o: ProgramOutputs): Record<string, unknown> {
    const all: Record<string, unknown> = {
        environment: o.environment,
        istioVersion: o.istioVersion,
        gatewayNodePorts: o.gatewayNodePorts,
        meshNamespaces: o.meshNamespaces,
        mtlsMode: o.mtlsMode,
        tokenSource: o.tokenSource,
        gatewayRef: o.gatewayRef,
        loadBalancerDnsName: o.infra?.loadBalancerDnsName,
        gatewayNodeIds: o.infra?.instanceIds,
        gatewayNodePrivateIps: o.infra?.privateIps,
        targetGroupArns: o.infra?.targetGroupArns,
    };
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}
