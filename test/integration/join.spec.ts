import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../harness";
import { ensureEngine, run } from "./engine";

// The gateway node join (infra/nodeJoin.ts) through the real engine and the project's Command
// provider (scripts/command-provider) against a real sshd on loopback, started by this test with
// its own host key and authorized key. Each loopback address is a "host": 127.0.0.1 the control
// plane, 127.0.0.2.. the gateway instances. sshd gives every host its own environment (Match
// LocalAddress + SetEnv): the stand-in sudo/kubeadm/kubectl first on PATH, and the ECO2_*
// overrides that move the scripts' /etc/kubernetes and /var/lib/eco2-mesh paths into a
// temporary root per host. The stand-ins record every call in a log per host and keep the
// "cluster" (its Node objects and the bootstrap tokens issued) in a shared directory.

const SSHD = "/usr/sbin/sshd";
const CONTROL_PLANE = "127.0.0.1";
const HOSTS = [CONTROL_PLANE, "127.0.0.2", "127.0.0.3", "127.0.0.4"];
const PROGRAM = path.join(ROOT, "test/integration/join-program");
const STACK = "join";

function nodeName(instanceId: string): string {
    return `eco2-itest-gateway-0-${instanceId.replace(/^i-/, "")}`;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

function canConnect(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ host, port });
        s.once("connect", () => {
            s.destroy();
            resolve(true);
        });
        s.once("error", () => resolve(false));
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process below pid (children, grandchildren, ...), from /proc. */
function descendants(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const e of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(e)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
        } catch {
            /* exited meanwhile */
        }
    }
    const out: number[] = [];
    const walk = (p: number) => {
        for (const c of children.get(p) ?? []) {
            out.push(c);
            walk(c);
        }
    };
    walk(pid);
    return out;
}

/** A foreground sshd on the loopback hosts, with everything it needs in `dir`. */
class Sshd {
    private proc?: ChildProcess;
    readonly log: string;

    constructor(
        readonly dir: string,
        readonly port: number,
        readonly config: string,
    ) {
        this.log = path.join(dir, "sshd.log");
    }

    async start(): Promise<void> {
        fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation dir
        const fd = fs.openSync(this.log, "a");
        this.proc = spawn(SSHD, ["-D", "-e", "-f", this.config], { stdio: ["ignore", fd, fd] });
        fs.closeSync(fd);
        const proc = this.proc;
        for (let i = 0; i < 100; i++) {
            if (proc.exitCode !== null) break;
            const up = await Promise.all(HOSTS.map((h) => canConnect(h, this.port)));
            if (up.every(Boolean)) return;
            await sleep(100);
        }
        throw new Error(`sshd did not start on port ${this.port}:\n${fs.readFileSync(this.log, "utf8").slice(-3000)}`);
    }

    /**
     * SIGKILL to sshd and everything below it: the per-connection sshd processes (sshd puts
     * them in sessions of their own, so a signal to the listener alone leaves them running) and
     * the commands they run. Only processes this test started.
     */
    async kill(): Promise<void> {
        const proc = this.proc;
        if (!proc?.pid || proc.exitCode !== null) return;
        const exited = new Promise((r) => proc.once("exit", r));
        for (const pid of [proc.pid, ...descendants(proc.pid)]) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                /* already gone */
            }
        }
        await exited;
        this.proc = undefined;
    }
}

/** A Pulumi project copied from test/integration/join-program into a throwaway directory, with a file backend of its own. */
class JoinStack {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-itest-join-state-"));
    readonly programDir = path.join(this.dir, "program");
    /** Everything the engine printed, to look for plain secrets. */
    output = "";

    constructor() {
        fs.mkdirSync(this.programDir);
        const yaml = fs.readFileSync(path.join(PROGRAM, "Pulumi.yaml"), "utf8");
        const main = /^main: (.*)$/m.exec(yaml)![1].trim();
        const entry = path.resolve(PROGRAM, main);
        if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: build first (npx tsc -p tsconfig.json)`);
        fs.writeFileSync(path.join(this.programDir, "Pulumi.yaml"), yaml.replace(/^main: .*$/m, `main: ${entry}`));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.programDir, "node_modules"));
    }

    private env(): NodeJS.ProcessEnv {
        return { ECO2_STATE: this.dir, PULUMI_BACKEND_URL: "", PULUMI_CONFIG_PASSPHRASE: "eco2-join-itest-only" };
    }

    private args(args: string[]): string[] {
        return ["-c", `source scripts/env.sh >/dev/null && exec pulumi "$@"`, "pulumi", "--cwd", this.programDir, "--non-interactive", ...args];
    }

    pulumi(args: string[], opts: { allowFail?: boolean; quiet?: boolean } = {}): { code: number; out: string } {
        const r = run("bash", this.args(args), this.env(), opts);
        this.output += r.out;
        return r;
    }

    /** `pulumi up` in the background: for cutting the SSH connection while it runs. */
    upAsync(): Promise<{ code: number; out: string }> {
        const child = spawn("bash", this.args(["up", "--stack", STACK, "--yes", "--skip-preview"]), { cwd: ROOT, env: { ...process.env, ...this.env() } });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        return new Promise((resolve) =>
            child.on("close", (code) => {
                process.stdout.write(
                    out
                        .split("\n")
                        .map((l) => `      | ${l}`)
                        .join("\n") + "\n",
                );
                this.output += out;
                resolve({ code: code ?? -1, out });
            }),
        );
    }

    config(key: string, value: string, flags: string[] = []): void {
        this.pulumi(["config", "set", "--stack", STACK, ...flags, key, "--", value], { quiet: true });
    }

    up(extra: string[] = [], opts: { allowFail?: boolean } = {}): { code: number; out: string } {
        return this.pulumi(["up", "--stack", STACK, "--yes", "--skip-preview", ...extra], opts);
    }

    /** The backend's raw files (state, backups, history) and the program's stack config. */
    rawFiles(): string {
        const texts: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else if (e.isFile()) texts.push(fs.readFileSync(p, "utf8"));
            }
        };
        walk(path.join(this.dir, "pulumi-state"));
        walk(this.programDir);
        return texts.join("\n");
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

describe("real engine: the node join over SSH (Command provider, loopback sshd)", function () {
    let tmp: string;
    let sshd: Sshd;
    let stack: JoinStack;
    let clientKey: string;
    const cluster = () => path.join(tmp, "cluster");
    const logOf = (host: string) => path.join(tmp, "logs", `${host}.log`);
    const lines = (host: string): string[] => (fs.existsSync(logOf(host)) ? fs.readFileSync(logOf(host), "utf8").split("\n").filter(Boolean) : []);
    const count = (host: string, re: RegExp) => lines(host).filter((l) => re.test(l)).length;
    const tokens = (): string[] => (fs.existsSync(path.join(cluster(), "issued-tokens")) ? fs.readFileSync(path.join(cluster(), "issued-tokens"), "utf8").split("\n").filter(Boolean) : []);
    const clusterNodes = () => fs.readdirSync(path.join(cluster(), "nodes")).sort();
    const setNode = (instanceId: string, ip: string) => {
        stack.config("nodes[0].instanceId", instanceId, ["--path"]);
        stack.config("nodes[0].privateIp", ip, ["--path"]);
    };

    before(async function () {
        for (const [bin, what] of [
            [SSHD, "openssh-server"],
            ["/usr/bin/ssh-keygen", "openssh-client"],
        ]) {
            if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`bash scripts/deps.sh\` (installs ${what}); this test needs a real sshd`);
        }
        if (process.getuid?.() !== 0) throw new Error("this test runs sshd and logs in as root over loopback: run it as root (as in the project's container)");
        ensureEngine();

        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-itest-join-"));
        for (const d of ["logs", "cluster/nodes", "ssh"]) fs.mkdirSync(path.join(tmp, d), { recursive: true });
        const sshDir = path.join(tmp, "ssh");
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "eco2-itest-host", "-f", path.join(sshDir, "host_ed25519_key")], {}, { quiet: true });
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "eco2-itest-client", "-f", path.join(sshDir, "client_key")], {}, { quiet: true });
        clientKey = fs.readFileSync(path.join(sshDir, "client_key"), "utf8");
        fs.copyFileSync(path.join(sshDir, "client_key.pub"), path.join(sshDir, "authorized_keys"));

        const port = await freePort();
        const fixturePath = [path.join(ROOT, "test/infra/fixtures"), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"].join(":");
        const hostEnv = (host: string): Record<string, string> => {
            const root = path.join(tmp, "hosts", host);
            fs.mkdirSync(path.join(root, "var/lib/eco2-mesh"), { recursive: true });
            fs.mkdirSync(path.join(root, "etc/kubernetes"), { recursive: true });
            const common = { PATH: fixturePath, FAKE_LOG: logOf(host), FAKE_STATE: cluster(), ECO2_POLL_SECONDS: "1" };
            if (host === CONTROL_PLANE) {
                const admin = path.join(root, "etc/kubernetes/admin.conf");
                fs.writeFileSync(admin, "# stand-in admin kubeconfig\n");
                return { ...common, ECO2_KUBECONFIG: admin, FAKE_EXPECT_KUBECONFIG: admin, ECO2_NODE_WAIT_SECONDS: "20" };
            }
            // The user data has finished on every instance: the bootstrap marker is there.
            fs.writeFileSync(path.join(root, "var/lib/eco2-mesh/bootstrap.done"), "");
            return {
                ...common,
                ECO2_KUBELET_CONF: path.join(root, "etc/kubernetes/kubelet.conf"),
                ECO2_PKI_DIR: path.join(root, "etc/kubernetes/pki"),
                ECO2_BOOTSTRAP_MARKER: path.join(root, "var/lib/eco2-mesh/bootstrap.done"),
                ECO2_STATE_DIR: path.join(root, "var/lib/eco2-mesh"),
                ECO2_BOOTSTRAP_WAIT_SECONDS: "20",
            };
        };
        const config = [
            ...HOSTS.map((h) => `ListenAddress ${h}:${port}`),
            `HostKey ${path.join(sshDir, "host_ed25519_key")}`,
            `PidFile ${path.join(tmp, "sshd.pid")}`,
            `AuthorizedKeysFile ${path.join(sshDir, "authorized_keys")}`,
            "UsePAM no",
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "PrintMotd no",
            "LogLevel VERBOSE",
            // One environment per "host" (sshd rejects client-sent variables, and the program's
            // commands send none: they run under sudo, which on a real host drops them anyway).
            ...HOSTS.flatMap((h) => [
                `Match LocalAddress ${h}`,
                `  SetEnv ${Object.entries(hostEnv(h))
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}`,
            ]),
        ].join("\n");
        const configFile = path.join(tmp, "sshd_config");
        fs.writeFileSync(configFile, config + "\n");
        fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation dir, also for -t
        run(SSHD, ["-t", "-f", configFile], {}, { quiet: true }); // config check, with sshd's own message on failure
        sshd = new Sshd(tmp, port, configFile);
        await sshd.start();

        stack = new JoinStack();
        stack.pulumi(["stack", "init", STACK], { quiet: true });
        stack.config("sshPort", String(port));
        stack.config("sshPrivateKey", clientKey, ["--secret"]);
        setNode("i-0aaa", "127.0.0.2");
    });

    after(async function () {
        await sshd?.kill();
        if (tmp && process.env.ECO2_KEEP_TMP) console.log(`      kept ${tmp} and ${stack?.dir}`);
        else {
            stack?.cleanup();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("a first up creates a token on the control plane, joins the node and labels it", () => {
        const r = stack.up();
        expect(r.out).to.match(/Resources:\s+\+ 5 created/);
        const name = nodeName("i-0aaa");
        expect(count(CONTROL_PLANE, /^kubeadm token create --kubeconfig \S+admin\.conf --ttl 30m --description eco2-mesh itest gateway node 0 --print-join-command$/)).to.equal(1);
        expect(tokens()).to.have.length(1);
        const node = lines("127.0.0.2");
        expect(node).to.have.length(1);
        expect(node[0].startsWith(`kubeadm join --config ${path.join(tmp, "hosts/127.0.0.2/var/lib/eco2-mesh")}/join.`), node[0]).to.equal(true);
        expect(fs.readFileSync(path.join(cluster(), "last-join-config.yaml"), "utf8"))
            .to.contain(`token: "${tokens()[0]}"`)
            .and.contain(`name: "${name}"`);
        expect(lines(CONTROL_PLANE)).to.include.members([
            `kubectl label node ${name} --overwrite -- eco2.io/gateway=true`,
            `kubectl taint node ${name} --overwrite -- eco2.io/gateway=true:NoSchedule`,
        ]);
        expect(clusterNodes()).to.deep.equal([name]);
        expect(fs.readFileSync(path.join(cluster(), "nodes", name, "taints"), "utf8")).to.equal("eco2.io/gateway=true:NoSchedule\n");
        expect(fs.existsSync(path.join(tmp, "hosts/127.0.0.2/etc/kubernetes/kubelet.conf"))).to.equal(true);
        expect(r.out).to.contain(name);
    });

    it("a second up changes nothing and runs no command", () => {
        const before = HOSTS.map((h) => lines(h).length);
        stack.up(["--expect-no-changes"]);
        expect(HOSTS.map((h) => lines(h).length)).to.deep.equal(before);
        expect(tokens()).to.have.length(1);
    });

    it("a replaced instance rejoins with a fresh token; the old node is drained, deleted and reset", () => {
        const oldName = nodeName("i-0aaa");
        const newName = nodeName("i-0bbb");
        setNode("i-0bbb", "127.0.0.3");
        const r = stack.up();
        expect(r.out).to.match(/\+-\s*command:remote:Command\s+gw-0-join-command\s+replaced/);
        expect(r.out).to.match(/3 replaced/);
        expect(tokens()).to.have.length(2);
        expect(tokens()[1]).to.not.equal(tokens()[0]);
        expect(count(CONTROL_PLANE, /^kubeadm token create /)).to.equal(2);
        // The new instance joined with the new token under its new name.
        expect(count("127.0.0.3", /^kubeadm join --config /)).to.equal(1);
        const joinConfig = fs.readFileSync(path.join(cluster(), "last-join-config.yaml"), "utf8");
        expect(joinConfig).to.contain(`token: "${tokens()[1]}"`).and.contain(`name: "${newName}"`);
        // The old one left: drained and deleted on the control plane, then reset on the instance.
        const cp = lines(CONTROL_PLANE);
        const drain = cp.findIndex((l) => l.startsWith(`kubectl drain ${oldName} --ignore-daemonsets --delete-emptydir-data --timeout=1m`));
        expect(drain, cp.join("\n")).to.be.greaterThan(-1);
        expect(cp.slice(drain)).to.include(`kubectl delete node ${oldName} --ignore-not-found`);
        expect(lines("127.0.0.2")).to.deep.equal([lines("127.0.0.2")[0], "kubeadm reset -f"]);
        expect(fs.existsSync(path.join(tmp, "hosts/127.0.0.2/etc/kubernetes/kubelet.conf"))).to.equal(false);
        expect(cp).to.include(`kubectl taint node ${newName} --overwrite -- eco2.io/gateway=true:NoSchedule`);
        expect(clusterNodes()).to.deep.equal([newName]);
        stack.up(["--expect-no-changes"]);
    });

    it("neither the state nor the engine's output holds a join token or the private key", () => {
        const exported = stack.pulumi(["stack", "export", "--stack", STACK], { quiet: true }).out;
        const raw = stack.rawFiles();
        // The key's base64 body, line by line: any line of it in clear text is a leak.
        const keyLines = clientKey.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
        expect(keyLines.length).to.be.greaterThan(0);
        for (const [what, text] of [
            ["stack export", exported],
            ["raw state files", raw],
            ["engine output", stack.output],
        ]) {
            for (const t of tokens()) expect(text.includes(t), `${what} holds join token ${t}`).to.equal(false);
            for (const l of keyLines) expect(text.includes(l), `${what} holds the private key`).to.equal(false);
            expect(text.includes("BEGIN OPENSSH PRIVATE KEY"), `${what} holds the private key`).to.equal(false);
        }
        // The secrets are there, encrypted: the join command as join-command's stdout and the join's stdin.
        const deployment = JSON.parse(exported).deployment;
        const byName = (n: string) => deployment.resources.find((r: any) => r.urn.endsWith(`::${n}`));
        const secret = "1b47061264138c4ac30d75fd1eb44270";
        expect(byName("gw-0-join-command").outputs.stdout[`4dabf18193072939515e22adb298388d`]).to.equal(secret);
        expect(byName("gw-0-join").inputs.stdin[`4dabf18193072939515e22adb298388d`]).to.equal(secret);
        expect(byName("gw-0-join").inputs.connection[`4dabf18193072939515e22adb298388d`]).to.equal(secret);
    });

    it("an SSH connection cut during the join fails the up; the next up converges without a second join", async function () {
        const oldName = nodeName("i-0bbb");
        const newName = nodeName("i-0ccc");
        fs.writeFileSync(path.join(cluster(), "join-delay"), "5");
        setNode("i-0ccc", "127.0.0.4");
        const pending = stack.upAsync();
        const started = path.join(cluster(), "join-started");
        for (let i = 0; i < 1200 && !fs.existsSync(started); i++) await sleep(100);
        expect(fs.existsSync(started), "the join never started").to.equal(true);
        await sshd.kill();
        const failed = await pending;
        expect(failed.code).to.not.equal(0);
        expect(failed.out).to.match(/gw-0-join\b[\s\S]*error/);
        fs.rmSync(path.join(cluster(), "join-delay"));
        // Nothing of the interrupted join registered; the old node is untouched.
        expect(clusterNodes()).to.deep.equal([oldName]);
        expect(count("127.0.0.3", /^kubeadm reset/)).to.equal(0);

        await sshd.start();
        const r = stack.up();
        expect(r.out).to.match(/Resources:/);
        // The retry cleaned up what the interrupted join left and joined once, with the token
        // created by the failed up (join-command had succeeded).
        expect(lines("127.0.0.4").map((l) => l.split(" ").slice(0, 2).join(" "))).to.deep.equal(["kubeadm-join-started join", "kubeadm reset", "kubeadm join"]);
        expect(tokens()).to.have.length(3);
        expect(fs.readFileSync(path.join(cluster(), "last-join-config.yaml"), "utf8"))
            .to.contain(`token: "${tokens()[2]}"`)
            .and.contain(`name: "${newName}"`);
        expect(clusterNodes()).to.deep.equal([newName]);
        expect(lines("127.0.0.3").slice(-1)).to.deep.equal(["kubeadm reset -f"]);
        expect(lines(CONTROL_PLANE)).to.include(`kubectl delete node ${oldName} --ignore-not-found`);
        stack.up(["--expect-no-changes"]);
        for (const t of tokens()) expect(stack.output.includes(t), `engine output holds join token ${t}`).to.equal(false);
    });
    it("the provider streams what `logging` allows, passes stdin and environment, and quotes output in errors only when logged", () => {
        const probe = (i: number, script: string, extra: Record<string, string> = {}) => {
            stack.config(`probes[${i}].script`, script, ["--path"]);
            for (const [k, v] of Object.entries(extra)) stack.config(`probes[${i}].${k}`, v, ["--path"]);
        };
        probe(0, `echo "out-$GREETING"; echo err-line >&2; cat`, { logging: "stdoutAndStderr", stdin: "from-stdin", "environment.GREETING": "it's a test" });
        probe(1, "echo hidden-out-line; echo hidden-err-line >&2", { logging: "none" });
        probe(2, "echo only-err-line >&2; echo not-logged-out", { logging: "stderr" });
        const r = stack.up();
        expect(r.out).to.contain("out-it's a test").and.contain("err-line").and.contain("from-stdin").and.contain("only-err-line");
        expect(r.out).to.not.contain("hidden-out-line").and.not.contain("hidden-err-line").and.not.contain("not-logged-out");
        const outputs = JSON.parse(stack.pulumi(["stack", "output", "--stack", STACK, "--json", "--show-secrets"], { quiet: true }).out);
        expect(outputs.probeStdout).to.deep.equal(["out-it's a test\nfrom-stdin", "hidden-out-line", "not-logged-out"]);
        expect(outputs.probeStderr).to.deep.equal(["err-line", "hidden-err-line", "only-err-line"]);

        probe(3, "echo failing-secret-out; echo failing-secret-err >&2; exit 3", { logging: "none" });
        const failed = stack.up([], { allowFail: true });
        expect(failed.code).to.not.equal(0);
        expect(failed.out).to.contain("process exited with status 3");
        expect(failed.out).to.not.contain("failing-secret-out").and.not.contain("failing-secret-err");
        stack.config("probes[3].logging", "stdoutAndStderr", ["--path"]);
        const logged = stack.up([], { allowFail: true });
        expect(logged.code).to.not.equal(0);
        expect(logged.out).to.match(/status 3[\s\S]*stderr: failing-secret-err/);
    });
});
