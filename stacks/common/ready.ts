import * as pulumi from "@pulumi/pulumi";

/**
 * What each Istio object must wait for, and nothing more: the CRD of its own kind (or the
 * `base` release that installs the CRDs) and the namespace it lives in. Narrow dependencies
 * keep the deploy graph as short as the layering requires (see `npm run bench`).
 */
export class ReadinessIndex {
    private readonly crds = new Map<string, pulumi.Resource>();
    private readonly namespaces = new Map<string, pulumi.Resource>();
    private crdInstaller: pulumi.Resource[] = [];

    /** The CRD of `group/Kind` (file mode, or an adoption patch). */
    addCrd(group: string, kind: string, resource: pulumi.Resource): void {
        this.crds.set(`${group}/${kind}`, resource);
    }

    /** A resource that installs every CRD (the `base` release). */
    setCrdInstaller(resources: pulumi.Resource[]): void {
        this.crdInstaller = resources;
    }

    addNamespace(name: string, resource: pulumi.Resource): void {
        this.namespaces.set(name, resource);
    }

    namespace(name: string): pulumi.Resource[] {
        const ns = this.namespaces.get(name);
        return ns ? [ns] : [];
    }

    /** Dependencies of an object of `apiVersion`/`kind` in `namespace`. */
    forObject(apiVersion: string, kind: string, namespace: string): pulumi.Resource[] {
        const [group] = apiVersion.split("/");
        const crd = this.crds.get(`${group}/${kind}`);
        return [...(crd ? [crd] : this.crdInstaller), ...this.namespace(namespace)];
    }
}
