import type { RecordedResource } from "../../test/mocks";

/**
 * Longest dependency chains of a recorded deployment. `actual` follows every dependency the
 * engine would wait for; `required` keeps only the edges the layering needs: data
 * dependencies (an input that is another resource's output) and the dependsOn edges the
 * design calls for (CRD → custom resource, namespace → object in it, base → istiod → gateway,
 * join → gateway, remote command → remote command). A spurious dependsOn shows up as
 * actual > required.
 */
export interface Chain {
    length: number;
    members: string[];
}

const CRD_TYPES = new Set(["kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch"]);
const NS_TYPES = new Set(["kubernetes:core/v1:Namespace", "kubernetes:core/v1:NamespacePatch"]);
const RELEASE = "kubernetes:helm.sh/v3:Release";

function chartOf(r: RecordedResource): string {
    return (
        String(r.inputs.chart ?? "")
            .split("/")
            .pop() ?? ""
    );
}

function requiredDependsOn(a: RecordedResource, b: RecordedResource): boolean {
    const isCr = a.type.startsWith("kubernetes:") && String(a.inputs.apiVersion ?? "").includes("istio.io/");
    if (isCr && CRD_TYPES.has(b.type)) {
        const [group] = String(a.inputs.apiVersion).split("/");
        return (b.inputs.spec?.group === group && b.inputs.spec?.names?.kind === a.inputs.kind) || b.type.endsWith("Patch");
    }
    if (isCr && b.type === RELEASE && chartOf(b) === "base") return true;
    if (NS_TYPES.has(b.type)) {
        const ns = a.type === RELEASE ? a.inputs.namespace : a.inputs.metadata?.namespace;
        return ns === b.inputs.metadata?.name;
    }
    if (a.type === RELEASE && b.type === RELEASE) {
        return (chartOf(a) === "istiod" && chartOf(b) === "base") || (chartOf(a) === "gateway" && chartOf(b) === "istiod");
    }
    if (a.type === RELEASE && chartOf(a) === "base" && CRD_TYPES.has(b.type)) return true;
    if (a.type === RELEASE && chartOf(a) === "gateway" && b.type.startsWith("command:")) return true;
    if (a.type === "kubernetes:apps/v1:DeploymentPatch" && b.type === RELEASE && chartOf(b) === "istiod") return true;
    if (a.type.startsWith("command:") && b.type.startsWith("command:")) return true;
    if (a.type.startsWith("aws:") && b.type.startsWith("aws:")) return true;
    return false;
}

export function chains(resources: readonly RecordedResource[]): { actual: Chain; required: Chain } {
    const custom = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const byUrn = new Map(custom.map((r) => [r.urn, r]));
    const actualEdges = new Map<string, string[]>();
    const requiredEdges = new Map<string, string[]>();
    for (const r of custom) {
        const deps = [...new Set(r.dependencies)].filter((u) => byUrn.has(u));
        const data = new Set(Object.values(r.propertyDependencies ?? {}).flat());
        actualEdges.set(r.urn, deps);
        requiredEdges.set(
            r.urn,
            deps.filter((u) => data.has(u) || requiredDependsOn(r, byUrn.get(u)!)),
        );
    }
    return { actual: longest(custom, actualEdges), required: longest(custom, requiredEdges) };
}

function longest(nodes: readonly RecordedResource[], edges: Map<string, string[]>): Chain {
    const memo = new Map<string, Chain>();
    const visit = (urn: string): Chain => {
        const hit = memo.get(urn);
        if (hit) return hit;
        let best: Chain = { length: 0, members: [] };
        for (const d of edges.get(urn) ?? []) {
            const c = visit(d);
            if (c.length > best.length) best = c;
        }
        const name = urn.split("::").pop()!;
        const mine = { length: best.length + 1, members: [...best.members, name] };
        memo.set(urn, mine);
        return mine;
    };
    let top: Chain = { length: 0, members: [] };
    for (const n of nodes) {
        const c = visit(n.urn);
        if (c.length > top.length) top = c;
    }
    return top;
}
