import * as fs from "fs";
import * as path from "path";
import { BOOTSTRAP_MARKER } from "./defaults";

/** The user data template, relative to the project root (tsc does not copy it to bin/). */
export const NODE_BOOTSTRAP_TEMPLATE = path.join("infra", "scripts", "node-bootstrap.sh");

const PLACEHOLDER = /@@([A-Z_]+)@@/g;

/** `1.31.4` → `1.31`: pkgs.k8s.io keeps one apt repository per minor version. */
export function kubernetesMinor(version: string): string {
    const m = /^(1\.\d+)\.\d+$/.exec(version);
    if (!m) throw new Error(`not a Kubernetes version: ${JSON.stringify(version)} (expected e.g. 1.31.4)`);
    return m[1];
}

/**
 * The gateway nodes' user data: the template with the cluster's version filled in. Pure, so
 * tests can shellcheck exactly what EC2 runs. Throws on a placeholder it does not know, so a
 * typo in the template cannot reach an instance as a literal `@@…@@`.
 */
export function renderNodeBootstrap(template: string, kubernetesVersion: string): string {
    const values: Record<string, string> = {
        KUBERNETES_VERSION: kubernetesVersion,
        KUBERNETES_MINOR: kubernetesMinor(kubernetesVersion),
        BOOTSTRAP_MARKER,
    };
    return template.replace(PLACEHOLDER, (whole, key: string) => {
        const value = values[key];
        if (value === undefined) throw new Error(`${NODE_BOOTSTRAP_TEMPLATE} has an unknown placeholder ${whole}`);
        return value;
    });
}

export function readNodeBootstrapTemplate(rootDir: string): string {
    return fs.readFileSync(path.join(rootDir, NODE_BOOTSTRAP_TEMPLATE), "utf8");
}
