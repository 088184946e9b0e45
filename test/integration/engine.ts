import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ROOT } from "../harness";

// The real engine tier's plumbing: the toolchain from scripts/engine.sh, a loopback control
// plane of its own (scripts/cluster.sh), a throwaway file backend, and an API client that
// reads objects back from the API server (never from Pulumi's outputs).

export interface Cluster {
    dir: string;
    kubeconfig: string;
    server: string;
    token: string;
    ca: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, opts: { allowFail?: boolean; quiet?: boolean } = {}): { code: number; out: string } {
    const res = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const out = `${res.stdout ?? ""}${res.stderr ?? ""}`;
    if (!opts.quiet)
        process.stdout.write(
            out
                .split("\n")
                .map((l) => `      | ${l}`)
                .join("\n") + "\n",
        );
    if (res.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(" ")} exited ${res.status}:\n${out.slice(-4000)}`);
    return { code: res.status ?? -1, out };
}

/** Builds (or reuses) the engine; the first cold run takes tens of minutes and prints progress. */
export function ensureEngine(): void {
    execFileSync("bash", ["scripts/engine.sh"], { cwd: ROOT, stdio: "inherit" });
}

export function startCluster(): Cluster {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-itest-cluster-"));
    fs.rmSync(dir, { recursive: true }); // cluster.sh creates it (and refuses dirs it did not create)
    run("bash", ["scripts/cluster.sh", "start"], { ECO2_CLUSTER_DIR: dir });
    return clusterIn(dir);
}

/** The cluster that scripts/cluster.sh runs in `dir`, from the kubeconfig it wrote there. */
export function clusterIn(dir: string): Cluster {
    const kubeconfig = path.join(dir, "kubeconfig");
    const kc = YAML.parse(fs.readFileSync(kubeconfig, "utf8"));
    const cluster = kc.clusters[0].cluster;
    const ca = cluster["certificate-authority-data"] ? Buffer.from(cluster["certificate-authority-data"], "base64").toString() : fs.readFileSync(cluster["certificate-authority"], "utf8");
    return { dir, kubeconfig, server: cluster.server, token: kc.users[0].user.token, ca };
}

export function stopCluster(c: Cluster): void {
    run("bash", ["scripts/cluster.sh", "stop"], { ECO2_CLUSTER_DIR: c.dir }, { allowFail: true });
}

/** Kills kube-apiserver and starts it again with the same arguments (same port, same data). */
export async function restartApiServer(c: Cluster, downMs: number): Promise<void> {
    const pidFile = path.join(c.dir, "pids", "kube-apiserver.pid");
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, downMs));
    const log = fs.openSync(path.join(c.dir, "logs", "kube-apiserver.log"), "a");
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
    child.unref();
    fs.writeFileSync(pidFile, String(child.pid));
    for (let i = 0; i < 120; i++) {
        if ((await get(c, "/readyz").catch(() => ({ status: 0 }))).status === 200) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error("kube-apiserver did not come back");
}

export function get(c: Cluster, urlPath: string): Promise<{ status: number; body: any }> {
    return send(c, "GET", urlPath);
}

/** One API request with the admin token; a body is sent as JSON. */
export function send(c: Cluster, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { Authorization: `Bearer ${c.token}` };
        const payload = body === undefined ? undefined : JSON.stringify(body);
        if (payload !== undefined) headers["Content-Type"] = "application/json";
        const req = https.request(`${c.server}${urlPath}`, { method, ca: c.ca, headers }, (res) => {
            let data = "";
            res.on("data", (d) => (data += d));
            res.on("end", () => {
                let body: any = data;
                try {
                    body = JSON.parse(data);
                } catch {
                    /* plain text */
                }
                resolve({ status: res.statusCode ?? 0, body });
            });
        });
        req.on("error", reject);
        req.setTimeout(10000, () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
        req.end(payload);
    });
}

export async function getObject(c: Cluster, urlPath: string): Promise<any> {
    const r = await get(c, urlPath);
    if (r.status !== 200) throw new Error(`GET ${urlPath} → ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
}

/** A project-local Pulumi session: the toolchain on PATH, a throwaway file backend, offline. */
export class PulumiSession {
    readonly stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-itest-state-"));
    readonly configFile = path.join(this.stateDir, "Pulumi.local.yaml");

    constructor(private readonly stack = "local") {}

    /** Writes the local stack's committed config with `edits` applied (dotted paths under eco2-mesh:). */
    writeConfig(edits: Record<string, unknown>): void {
        const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8"));
        for (const [k, v] of Object.entries(edits)) {
            const [top, ...rest] = k.split(".");
            const key = `eco2-mesh:${top}`;
            if (rest.length === 0) doc.config[key] = v;
            else {
                let cur = (doc.config[key] = doc.config[key] ?? {});
                for (const p of rest.slice(0, -1)) cur = cur[p] = cur[p] ?? {};
                cur[rest[rest.length - 1]] = v;
            }
        }
        fs.writeFileSync(this.configFile, YAML.stringify(doc));
    }

    pulumi(args: string[], opts: { allowFail?: boolean; quiet?: boolean } = {}): { code: number; out: string } {
        const script = `source scripts/env.sh >/dev/null && exec pulumi "$@"`;
        return run("bash", ["-c", script, "pulumi", ...args, "--non-interactive"], { ECO2_STATE: this.stateDir, PULUMI_BACKEND_URL: "" }, opts);
    }

    init(): void {
        this.pulumi(["stack", "init", this.stack], { quiet: true });
    }

    up(extra: string[] = [], opts: { allowFail?: boolean } = {}): { code: number; out: string } {
        return this.pulumi(["up", "--stack", this.stack, "--yes", "--skip-preview", "--config-file", this.configFile, ...extra], opts);
    }

    /** The stack's state as the backend stores it (to look for plain secrets). */
    stateText(): string {
        const files: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else if (e.name.endsWith(".json")) files.push(p);
            }
        };
        walk(path.join(this.stateDir, "pulumi-state"));
        return files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
    }

    cleanup(): void {
        fs.rmSync(this.stateDir, { recursive: true, force: true });
    }
}
