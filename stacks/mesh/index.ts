import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { MeshSettings } from "../../config/schema";
import { MANAGED_LABELS, registerIstioObject } from "../common/istio";
import { ReadinessIndex } from "../common/ready";
import { domainServiceSpec, domainsByService, injectionLabels, meshPeerAuthentication, restartAnnotation } from "./specs";

export interface MeshArgs {
    readonly settings: MeshSettings;
    readonly provider: k8s.Provider;
    /** What each Istio object waits for (its CRD, its namespace). */
    readonly ready: ReadinessIndex;
    /** The control plane; workloads restart only once istiod can inject. */
    readonly controlPlane?: pulumi.Input<pulumi.Resource>[];
}

/** Sidecar injection per namespace, mesh-wide mTLS, and the domain Services as ClusterIP. */
export class Mesh extends pulumi.ComponentResource {
    public readonly namespaces: string[];
    public readonly mtlsMode: string;
    /** The namespace resources (created or patched); objects inside them wait for these. */
    public readonly namespaceResources: pulumi.Resource[];

    constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:mesh:Mesh", name, {}, opts);
        const s = args.settings;
        const child = { parent: this, provider: args.provider };
        this.namespaces = s.mesh.namespaces.map((n) => n.name);
        this.mtlsMode = s.mesh.mtlsMode;

        const nsResources = new Map<string, pulumi.Resource>();
        for (const ns of s.mesh.namespaces) {
            // A patch, not a Namespace: the application namespaces exist already, and removing
            // the mesh must never delete them. Server-side apply drops the label when
            // injection is switched off.
            // The annotation records that injection is off on purpose (rollback), so the policy
            // gate can tell a rolled-back namespace from a forgotten one, workloads or not.
            const metadata = { name: ns.name, labels: { ...injectionLabels(ns.injection) }, annotations: restartAnnotation(ns.injection) };
            const patch = ns.create
                ? new k8s.core.v1.Namespace(`${name}-ns-${ns.name}`, { metadata: { ...metadata, labels: { ...metadata.labels, ...MANAGED_LABELS } } }, child)
                : new k8s.core.v1.NamespacePatch(`${name}-ns-${ns.name}`, { metadata }, child);
            nsResources.set(ns.name, patch);
            args.ready.addNamespace(ns.name, patch);
            for (const workload of ns.workloads) {
                new k8s.apps.v1.DeploymentPatch(
                    `${name}-restart-${ns.name}.${workload}`,
                    {
                        metadata: { name: workload, namespace: ns.name },
                        spec: { template: { metadata: { annotations: restartAnnotation(ns.injection) } } },
                    },
                    { ...child, dependsOn: [patch, ...(args.controlPlane ?? [])] },
                );
            }
        }

        const pa = meshPeerAuthentication(s);
        registerIstioObject(`${name}-peerauthentication-${pa.metadata.name}`, pa, args.ready, child);

        if (s.mesh.domainServices) {
            for (const dm of domainsByService(s.routing.domains)) {
                // The Services exist (NodePort, from the app manifests): take them over with
                // server-side apply and keep them if the stack is removed. Resource names join
                // namespace and service with ".", which neither can contain, so they never collide.
                new k8s.core.v1.Service(
                    `${name}-svc-${dm.namespace}.${dm.service.name}`,
                    {
                        metadata: {
                            name: dm.service.name,
                            namespace: dm.namespace,
                            labels: { ...MANAGED_LABELS },
                            annotations: { "pulumi.com/patchForce": "true" },
                        },
                        spec: domainServiceSpec(dm) as k8s.types.input.core.v1.ServiceSpec,
                    },
                    { ...child, retainOnDelete: true, dependsOn: nsResources.has(dm.namespace) ? [nsResources.get(dm.namespace)!] : [] },
                );
            }
        }

        this.namespaceResources = [...nsResources.values()];
        this.registerOutputs({ namespaces: this.namespaces, mtlsMode: this.mtlsMode });
    }
}
