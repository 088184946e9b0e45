import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { MeshSettings } from "../../config/schema";
import { MANAGED_LABELS } from "../common/istio";
import { ReadinessIndex } from "../common/ready";
import { readCrdFile } from "./crds";
import { baseValues, gatewayValues, istiodValues } from "./values";

export const BASE_RELEASE = "istio-base";
export const ISTIOD_RELEASE = "istiod";

export interface IstioInstallArgs {
    readonly settings: MeshSettings;
    readonly provider: k8s.Provider;
    /** Absolute path of the pinned release's crd-all.gen.yaml, when CRDs come from a file. */
    readonly crdFile?: string;
    /** Absolute path of a directory with unpacked charts, when installing offline. */
    readonly chartDir?: string;
    /** The joined gateway nodes; the gateway pods can only schedule once they exist. */
    readonly gatewayNodes?: pulumi.Resource[];
    /** Filled in here: which resource installs each CRD, and the Istio namespaces. */
    readonly ready: ReadinessIndex;
}

/**
 * Istio by Helm: `base` (CRDs) → `istiod` (on the control-plane node) → the ingress gateway
 * (NodePort Service, gateway nodes only). One pinned version for all three.
 */
export class IstioInstall extends pulumi.ComponentResource {
    public readonly version: string;
    public readonly gatewayNamespace: string;
    public readonly releases: k8s.helm.v3.Release[] = [];
    /** The control plane release; sidecar injection works once it is up. */
    public readonly istiod?: k8s.helm.v3.Release;

    constructor(name: string, args: IstioInstallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eco2:istio:IstioInstall", name, {}, opts);
        const s = args.settings;
        const { istio } = s;
        const child = { parent: this, provider: args.provider };
        this.version = istio.version;
        this.gatewayNamespace = istio.gateway.namespace;

        // istio-system holds the mesh CA's root secret; keep it whenever the CRDs are kept.
        const systemNs = new k8s.core.v1.Namespace(
            `${name}-system-ns`,
            {
                metadata: { name: istio.namespace, labels: { ...MANAGED_LABELS } },
            },
            { ...child, retainOnDelete: istio.crds.retainOnDelete },
        );

        // Never labelled istio-injection=disabled: the gateway pods get their image by injection
        // and would otherwise pull an image literally called "auto" (istio/istio#54841).
        const gatewayNs =
            istio.gateway.namespace === istio.namespace
                ? systemNs
                : new k8s.core.v1.Namespace(
                      `${name}-gateway-ns`,
                      {
                          metadata: { name: istio.gateway.namespace, labels: { ...MANAGED_LABELS } },
                      },
                      child,
                  );

        const chart = (chartName: string) => (args.chartDir ? { chart: path.join(args.chartDir, chartName) } : { chart: chartName, repositoryOpts: { repo: istio.chartRepository } });

        const crdDocs = args.crdFile ? readCrdFile(args.crdFile) : [];
        const crdResources: pulumi.Resource[] = [];
        if (istio.crds.source === "file") {
            for (const doc of crdDocs) {
                const crd = new k8s.apiextensions.v1.CustomResourceDefinition(`${name}-crd-${doc.metadata.name}`, doc as never, {
                    ...child,
                    retainOnDelete: istio.crds.retainOnDelete,
                });
                crdResources.push(crd);
                args.ready.addCrd(doc.spec.group, doc.spec.names.kind, crd);
            }
        } else if (istio.crds.adoptExisting) {
            // `base` 1.24 renders the CRDs as templates; CRDs that kubectl or an older chart
            // installed lack Helm's ownership metadata and the install fails with "invalid
            // ownership metadata" (istio/istio#43204). Label them for the release once.
            for (const doc of crdDocs) {
                crdResources.push(
                    new k8s.apiextensions.v1.CustomResourceDefinitionPatch(
                        `${name}-adopt-${doc.metadata.name}`,
                        {
                            metadata: {
                                name: doc.metadata.name,
                                labels: { "app.kubernetes.io/managed-by": "Helm" },
                                annotations: { "meta.helm.sh/release-name": BASE_RELEASE, "meta.helm.sh/release-namespace": istio.namespace },
                            },
                        },
                        child,
                    ),
                );
            }
        }

        const skipAwait = istio.skipAwait;
        let base: k8s.helm.v3.Release | undefined;
        if (istio.releases.base) {
            base = new k8s.helm.v3.Release(
                `${name}-base`,
                {
                    name: BASE_RELEASE,
                    ...chart("base"),
                    version: istio.version,
                    namespace: istio.namespace,
                    values: baseValues(s),
                    skipCrds: istio.crds.source === "file",
                    skipAwait,
                },
                { ...child, dependsOn: [systemNs, ...crdResources], retainOnDelete: istio.crds.retainOnDelete },
            );
            this.releases.push(base);
        }
        if (istio.crds.source !== "file" && base) args.ready.setCrdInstaller([base]);
        args.ready.addNamespace(istio.namespace, systemNs);
        args.ready.addNamespace(istio.gateway.namespace, gatewayNs);

        let istiod: k8s.helm.v3.Release | undefined;
        if (istio.releases.istiod) {
            istiod = new k8s.helm.v3.Release(
                `${name}-istiod`,
                {
                    name: ISTIOD_RELEASE,
                    ...chart("istiod"),
                    version: istio.version,
                    namespace: istio.namespace,
                    values: istiodValues(s),
                    skipAwait,
                },
                { ...child, dependsOn: [systemNs, ...(base ? [base] : crdResources)] },
            );
            this.releases.push(istiod);
            this.istiod = istiod;
        }

        if (istio.releases.gateway) {
            // After istiod: its injection webhook fills in the gateway image (image "auto").
            const gateway = new k8s.helm.v3.Release(
                `${name}-gateway`,
                {
                    name: istio.gateway.name,
                    ...chart("gateway"),
                    version: istio.version,
                    namespace: istio.gateway.namespace,
                    values: gatewayValues(s),
                    skipAwait,
                },
                { ...child, dependsOn: [gatewayNs, ...(istiod ? [istiod] : base ? [base] : crdResources), ...(args.gatewayNodes ?? [])] },
            );
            this.releases.push(gateway);
        }

        this.registerOutputs({ version: this.version, gatewayNamespace: this.gatewayNamespace });
    }
}
