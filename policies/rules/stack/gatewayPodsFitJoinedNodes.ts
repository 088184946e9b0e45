import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { COMMAND_TYPES, describe } from "../lib/kinds";
import { runsJoinToken } from "../secrets/joinTokenCommandsDoNotLogOutput";
import { formatLabels, istioReleases } from "../lib/mesh";
import { asArray, asRecord, guard, isUnknown, need, raw, unknownMessage } from "../lib/values";

export interface NodeTaint {
    readonly key: string;
    readonly value: string;
    readonly effect: string;
}

/** What the join gives a node, parsed from a command's text. */
export interface JoinPlacement {
    /** Labels of `kubectl label node`, undefined when the command labels nothing. */
    readonly labels?: Record<string, string>;
    readonly taints: NodeTaint[];
}

/** Undoes the quoting of `bash -c '<script>'` (infra/joinScripts.ts `asRoot`) so the script reads as written. */
function unquote(text: string): string {
    return text.replace(/'\\''/g, "'");
}

function words(line: string): string[] {
    return (line.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, ""));
}

/**
 * Labels and taints in a join command: `kubectl label node … k=v`, `kubectl taint node …
 * k=v:Effect`, and `nodeRegistration.taints` of a kubeadm JoinConfiguration.
 */
export function parseJoinPlacement(text: string): JoinPlacement {
    const script = unquote(text);
    let labels: Record<string, string> | undefined;
    const taints: NodeTaint[] = [];
    for (const m of script.matchAll(/kubectl\s+label\s+(?:nodes?|no)\s+([^\n;&|]*)/g)) {
        labels = labels ?? {};
        for (const w of words(m[1])) {
            const kv = /^([A-Za-z0-9._/-]+)=([A-Za-z0-9._-]*)$/.exec(w);
            if (kv && !w.startsWith("-")) labels[kv[1]] = kv[2];
        }
    }
    for (const m of script.matchAll(/kubectl\s+taint\s+(?:nodes?|no)\s+([^\n;&|]*)/g)) {
        for (const w of words(m[1])) {
            const t = /^([A-Za-z0-9._/-]+)(?:=([A-Za-z0-9._-]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(w);
            if (t) taints.push({ key: t[1], value: t[2] ?? "", effect: t[3] });
        }
    }
    for (const m of script.matchAll(/-\s*key:\s*"?([^"\n]+?)"?\s*\n\s*value:\s*"?([^"\n]*?)"?\s*\n\s*effect:\s*"?([^"\n]+?)"?\s*(?:\n|$)/g)) {
        taints.push({ key: m[1], value: m[2], effect: m[3] });
    }
    return { labels, taints };
}

function commandText(r: PolicyResource): string | undefined {
    const p = raw(r.props);
    const parts = [p.create, p.update].filter((x) => x !== undefined);
    if (parts.some((x) => isUnknown(x))) return undefined;
    return parts.join("\n");
}

/**
 * A command may declare its placement as a trigger `{ nodeLabels, nodeTaint }` (infra/nodeJoin.ts):
 * readable at preview even when the script text, which holds the new node's name, is not.
 */
export function placementFromTriggers(r: PolicyResource): JoinPlacement | undefined {
    const triggers = raw(r.props).triggers;
    if (!Array.isArray(triggers) || isUnknown(triggers)) return undefined;
    for (const t of triggers) {
        if (t && typeof t === "object" && !isUnknown(t) && "nodeLabels" in t) {
            const taint = (t as Record<string, any>).nodeTaint;
            const labels = (t as Record<string, any>).nodeLabels;
            if (isUnknown(labels) || isUnknown(taint)) return undefined;
            return { labels: { ...labels }, taints: taint ? [{ key: taint.key, value: taint.value ?? "", effect: taint.effect }] : [] };
        }
    }
    return undefined;
}

const JOIN_STEP = /kubectl\s+(label|taint)\s+(nodes?|no)\b|kind:\s*JoinConfiguration/;

function tolerates(tolerations: Record<string, any>[], t: NodeTaint): boolean {
    return tolerations.some(
        (x) =>
            (x.key === undefined || x.key === "" ? x.operator === "Exists" : x.key === t.key) &&
            (x.operator === "Exists" || (x.value ?? "") === t.value) &&
            (x.effect === undefined || x.effect === "" || x.effect === t.effect),
    );
}

/**
 * The gateway pods select the nodes by label and tolerate their taint; both come from the join
 * (kubectl label/taint, kubeadm nodeRegistration). Out of step, the gateway stays Pending or
 * lands on application nodes.
 */
export const gatewayPodsFitJoinedNodes: StackValidationPolicy = {
    name: "gatewayPodsFitJoinedNodes",
    description: "The gateway Helm release's nodeSelector matches the labels the join gives the gateway nodes, and its tolerations tolerate the taints the join sets.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const commands = args.resources.filter((r) => (COMMAND_TYPES as readonly string[]).includes(r.type));
        const placements: JoinPlacement[] = [];
        const unknown: PolicyResource[] = [];
        for (const c of commands) {
            const text = commandText(c);
            const declared = placementFromTriggers(c);
            if (text === undefined && declared) placements.push(declared);
            else if (text === undefined) unknown.push(c);
            else if (JOIN_STEP.test(unquote(text)) || runsJoinToken(text)) placements.push(parseJoinPlacement(text));
        }
        const gateway = istioReleases(args.resources).gateway;
        if (!gateway || (placements.length === 0 && unknown.length === 0)) return;
        const labelled = placements.filter((p) => p.labels !== undefined);
        if (labelled.length === 0 && unknown.length > 0) {
            for (const c of unknown) report(`${describe(c)}: ${unknownMessage("create")}`, c.urn);
            return;
        }
        if (placements.length === 0) return;
        guard(
            (m) => report(m, gateway.urn),
            () => {
                const nodeSelector = asRecord(need(gateway.props, "values.nodeSelector")) as Record<string, string>;
                const tolerations = asArray<Record<string, any>>(need(gateway.props, "values.tolerations")).map((t) => asRecord(t));
                // Labels every labelled node gets; taints any node gets.
                const common: Record<string, string> = { ...(labelled[0]?.labels ?? {}) };
                for (const p of labelled.slice(1)) for (const k of Object.keys(common)) if (p.labels![k] !== common[k]) delete common[k];
                const missing = Object.entries(nodeSelector).filter(([k, v]) => common[k] !== v);
                if (missing.length > 0) {
                    report(
                        `the gateway's nodeSelector ${formatLabels(Object.fromEntries(missing))} is not among the labels the join gives the gateway nodes (${Object.keys(common).length > 0 ? formatLabels(common) : "none"}); the gateway pods would stay Pending`,
                        gateway.urn,
                    );
                }
                const seen = new Set<string>();
                for (const t of placements.flatMap((p) => p.taints)) {
                    const key = `${t.key}=${t.value}:${t.effect}`;
                    if (seen.has(key)) continue;
                    seen.add(key);
                    if (!tolerates(tolerations, t)) {
                        report(`the join taints the gateway nodes ${key}, which the gateway's tolerations do not tolerate; the gateway pods would stay Pending`, gateway.urn);
                    }
                }
            },
            describe(gateway),
        );
    },
};
