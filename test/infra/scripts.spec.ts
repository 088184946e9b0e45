import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubernetesMinor, NODE_BOOTSTRAP_TEMPLATE, readNodeBootstrapTemplate, renderNodeBootstrap } from "../../infra/bootstrap";
import { BOOTSTRAP_MARKER } from "../../infra/defaults";
import { asRoot, drainScript, durationSeconds, gatewayNodeName, joinCommandScript, labelScript, nodeJoinScript, nodeResetScript, shellQuote, TOKEN_EXPIRY_PREFIX } from "../../infra/joinScripts";
import { ROOT } from "../harness";

// The scripts the join runs, checked twice: shellcheck on the exact text, then executed with
// bash against stand-in kubeadm/kubectl/sudo (test/infra/fixtures) under a temporary root.

const FIXTURES = path.join(ROOT, "test", "infra", "fixtures");
const TOKEN = "fk7x2q.zq9v8w7u6t5s4r3p";
const TAINT = { key: "role", value: "ingress-gateway", effect: "NoSchedule" };
const LABELS = { role: "ingress-gateway", "eco2.app/tier": "edge" };
const NODE = gatewayNodeName("dev", 0, "i-0123456789abcdef0");
/** A real URN shape: the "$" between parent and child types must survive the shell. */
const JOIN_COMMAND_URN = "urn:pulumi:dev::eco2-mesh::eco2:infra:NodeJoin$command:remote:Command::gateway-join-0-join-command";

const generated: Record<string, string> = {
    "join-command": joinCommandScript({ ttl: "30m", description: "eco2-mesh dev gateway node 0" }),
    join: nodeJoinScript({ nodeName: NODE, kubernetesVersion: "1.31.4", taint: TAINT, replaceHint: JOIN_COMMAND_URN }),
    "join (kubeadm v1beta3)": nodeJoinScript({ nodeName: NODE, kubernetesVersion: "1.29.9", taint: TAINT, replaceHint: "urn:x" }),
    label: labelScript({ nodeName: NODE, labels: LABELS, taint: TAINT }),
    drain: drainScript({ nodeName: NODE, drainTimeout: "5m" }),
    reset: nodeResetScript(),
};

function requireShellcheck(executable = "shellcheck"): void {
    const probe = spawnSync(executable, ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
        throw new Error("shellcheck is not installed, and the script checks must not be skipped: run `sudo apt-get install shellcheck` (Debian/Ubuntu) or `bash scripts/deps.sh`");
    }
}

function shellcheck(text: string): string {
    requireShellcheck();
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: text, encoding: "utf8" });
    return r.status === 0 ? "" : `${r.stdout}${r.stderr}`;
}

describe("infra scripts: shellcheck", () => {
    it("fails (never skips) when shellcheck is missing, saying how to install it", () => {
        expect(() => requireShellcheck("shellcheck-not-installed-here")).to.throw(/apt-get install shellcheck.*bash scripts\/deps\.sh/);
    });

    it(`passes on the user data template ${NODE_BOOTSTRAP_TEMPLATE} and on its rendered form`, () => {
        const template = readNodeBootstrapTemplate(ROOT);
        expect(shellcheck(template)).to.equal("");
        expect(shellcheck(renderNodeBootstrap(template, "1.31.4"))).to.equal("");
    });

    for (const [name, text] of Object.entries(generated)) {
        it(`passes on the generated ${name} script`, () => {
            expect(shellcheck(text)).to.equal("");
        });
    }

    it("passes on the stand-in executables", () => {
        for (const f of ["kubeadm", "kubectl", "sudo"]) expect(shellcheck(fs.readFileSync(path.join(FIXTURES, f), "utf8")), f).to.equal("");
    });
});

describe("infra scripts: node bootstrap (user data)", () => {
    const rendered = renderNodeBootstrap(readNodeBootstrapTemplate(ROOT), "1.31.4");

    it("installs kubelet/kubeadm/kubectl at the cluster version from the minor's pkgs.k8s.io repository, and holds them", () => {
        expect(rendered).to.contain('KUBERNETES_VERSION="1.31.4"');
        expect(rendered).to.contain('KUBERNETES_MINOR="1.31"');
        expect(rendered).to.contain("https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/");
        expect(rendered).to.match(/"kubelet=\$\{KUBERNETES_VERSION\}-\*" "kubeadm=\$\{KUBERNETES_VERSION\}-\*" "kubectl=\$\{KUBERNETES_VERSION\}-\*"/);
        expect(rendered).to.contain("apt-mark hold kubelet kubeadm kubectl");
        expect(rendered).not.to.match(/@@[A-Z_]+@@/);
    });

    it("prepares containerd (SystemdCgroup), kernel modules, sysctls and swap, then writes the marker the join waits for", () => {
        for (const needle of ["SystemdCgroup = true", "modprobe overlay", "modprobe br_netfilter", "net.bridge.bridge-nf-call-iptables = 1", "net.ipv4.ip_forward = 1", "swapoff -a"]) {
            expect(rendered).to.contain(needle);
        }
        expect(rendered).to.contain(`MARKER="${BOOTSTRAP_MARKER}"`);
        expect(BOOTSTRAP_MARKER).to.equal("/var/lib/eco2-mesh/bootstrap.done");
        expect(rendered.trimEnd().split("\n").slice(-3).join("\n")).to.contain('>"$MARKER"');
        expect(rendered.split("\n").slice(0, 10).join("\n")).to.contain("set -euo pipefail");
    });

    it("is a pure function of the template and the version", () => {
        expect(renderNodeBootstrap("v=@@KUBERNETES_VERSION@@ m=@@KUBERNETES_MINOR@@", "1.30.2")).to.equal("v=1.30.2 m=1.30");
        expect(() => renderNodeBootstrap("x=@@KUBERNETES_VERSON@@", "1.30.2")).to.throw(/unknown placeholder @@KUBERNETES_VERSON@@/);
        expect(() => kubernetesMinor("v1.30")).to.throw(/not a Kubernetes version/);
    });
});

describe("infra scripts: pure helpers", () => {
    it("refuses a Node name the scripts could not embed safely", () => {
        expect(() => labelScript({ nodeName: "n'; rm -rf /", labels: {}, taint: TAINT })).to.throw(/not a gateway Node name/);
        expect(() => nodeJoinScript({ nodeName: "Upper", kubernetesVersion: "1.31.4", taint: TAINT, replaceHint: "u" })).to.throw(/not a gateway Node name/);
    });

    it("names a Node after the environment, index and instance id (unique per instance)", () => {
        expect(gatewayNodeName("dev", 1, "i-0abc123def4567890")).to.equal("eco2-dev-gateway-1-0abc123def4567890");
        expect(gatewayNodeName("dev", 1, "i-0abc")).not.to.equal(gatewayNodeName("dev", 1, "i-0abd"));
        expect(gatewayNodeName("prod", 2, "aws:ec2/instance:Instance::x")).to.match(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    });

    it("parses token lifetimes and quotes any word for the shell", () => {
        expect(durationSeconds("30m")).to.equal(1800);
        expect(durationSeconds("2h")).to.equal(7200);
        expect(() => durationSeconds("30")).to.throw(/not a duration/);
        const r = spawnSync("bash", ["-c", `printf '%s' ${shellQuote('it\'s $(x) `y` "z"')}`], { encoding: "utf8" });
        expect(r.stdout).to.equal('it\'s $(x) `y` "z"');
    });

    it("runs every remote script as root under bash -euo pipefail, never prompting for a password", () => {
        expect(asRoot("true")).to.equal("sudo -n bash -euo pipefail -c 'true'");
    });

    it("uses JoinConfiguration v1beta4 from Kubernetes 1.31 and v1beta3 before", () => {
        expect(generated.join).to.contain("kubeadm.k8s.io/v1beta4");
        expect(generated["join (kubeadm v1beta3)"]).to.contain("kubeadm.k8s.io/v1beta3");
    });
});

/** A temporary node + control plane: stand-in binaries first on PATH, every path under one root. */
class Sandbox {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-join-"));
    readonly bin = path.join(this.root, "bin");
    readonly log = path.join(this.root, "calls.log");
    readonly state = path.join(this.root, "cluster");
    readonly kubeletConf = path.join(this.root, "etc/kubernetes/kubelet.conf");
    readonly pkiDir = path.join(this.root, "etc/kubernetes/pki");
    readonly marker = path.join(this.root, "var/lib/eco2-mesh/bootstrap.done");
    readonly stateDir = path.join(this.root, "var/lib/eco2-mesh");
    readonly kubeconfig = path.join(this.root, "etc/kubernetes/admin.conf");

    constructor() {
        fs.mkdirSync(this.bin);
        fs.mkdirSync(path.join(this.state, "nodes"), { recursive: true });
        for (const f of ["kubeadm", "kubectl", "sudo"]) {
            fs.copyFileSync(path.join(FIXTURES, f), path.join(this.bin, f));
            fs.chmodSync(path.join(this.bin, f), 0o755);
        }
        fs.writeFileSync(this.log, "");
    }

    bootstrapDone(): void {
        fs.mkdirSync(path.dirname(this.marker), { recursive: true });
        fs.writeFileSync(this.marker, "done\n");
    }

    /** Runs a script exactly as its remote.Command would: the asRoot command line, via the login shell. */
    run(script: string, opts: { stdin?: string; env?: Record<string, string> } = {}): { status: number | null; stdout: string; stderr: string } {
        const r = spawnSync("bash", ["-c", asRoot(script)], {
            input: opts.stdin ?? "",
            encoding: "utf8",
            timeout: 20000,
            env: {
                PATH: `${this.bin}:${process.env.PATH}`,
                HOME: this.root,
                FAKE_LOG: this.log,
                FAKE_STATE: this.state,
                FAKE_TOKEN: TOKEN,
                FAKE_EXPECT_KUBECONFIG: this.kubeconfig,
                ECO2_KUBELET_CONF: this.kubeletConf,
                ECO2_PKI_DIR: this.pkiDir,
                ECO2_BOOTSTRAP_MARKER: this.marker,
                ECO2_STATE_DIR: this.stateDir,
                ECO2_KUBECONFIG: this.kubeconfig,
                ECO2_POLL_SECONDS: "0.2",
                ...(opts.env ?? {}),
            },
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    calls(): string[] {
        return fs
            .readFileSync(this.log, "utf8")
            .split("\n")
            .filter((l) => l !== "");
    }

    nodeFile(name: string, file: string): string {
        return fs.readFileSync(path.join(this.state, "nodes", name, file), "utf8");
    }

    nodeExists(name: string): boolean {
        return fs.existsSync(path.join(this.state, "nodes", name));
    }

    /** The join command the control-plane step prints (via the stand-in kubeadm). */
    joinCommand(): string {
        const r = this.run(generated["join-command"]);
        expect(r.status, r.stderr).to.equal(0);
        return r.stdout;
    }

    cleanup(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

describe("infra scripts: run against stand-in kubeadm/kubectl", function () {
    this.timeout(30000);
    let box: Sandbox;
    beforeEach(() => {
        box = new Sandbox();
    });
    afterEach(() => box.cleanup());

    const noToken = (...texts: string[]) => {
        for (const t of texts) expect(t).not.to.contain(TOKEN.split(".")[1]);
    };

    it("join-command prints the join command and when its token expires", () => {
        const before = Math.floor(Date.now() / 1000);
        const out = box.joinCommand();
        const [joinLine, expiryLine] = out.trim().split("\n");
        expect(joinLine).to.match(/^kubeadm join 10\.20\.1\.10:6443 --token /);
        expect(expiryLine.startsWith(TOKEN_EXPIRY_PREFIX)).to.equal(true);
        const expires = Number(expiryLine.slice(TOKEN_EXPIRY_PREFIX.length));
        expect(expires).to.be.within(before + 1800 - 5, before + 1800 + 5);
        expect(box.calls()).to.deep.equal([`kubeadm token create --kubeconfig ${box.kubeconfig} --ttl 30m --description eco2-mesh dev gateway node 0 --print-join-command`]);
    });

    it("join: the first run joins with a 0600 config file, the second is a no-op, and the token never shows", () => {
        box.bootstrapDone();
        const joinCommand = box.joinCommand();
        fs.writeFileSync(box.log, "");

        const first = box.run(generated.join, { stdin: joinCommand });
        expect(first.status, first.stderr).to.equal(0);
        expect(first.stdout).to.contain(`${NODE} joined`);
        expect(box.calls()).to.have.length(1);
        expect(box.calls()[0]).to.match(/^kubeadm join --config \S+$/);
        expect(fs.existsSync(box.kubeletConf)).to.equal(true);
        expect(box.nodeExists(NODE)).to.equal(true);
        const cfg = fs.readFileSync(path.join(box.state, "last-join-config.yaml"), "utf8");
        expect(cfg).to.contain(`name: "${NODE}"`);
        expect(cfg).to.contain('apiServerEndpoint: "10.20.1.10:6443"');
        expect(cfg).to.match(/taints:\n {4}- key: "role"\n {6}value: "ingress-gateway"\n {6}effect: "NoSchedule"/);
        // The config file with the token does not outlive the script.
        expect(fs.readdirSync(box.stateDir).filter((f) => f.startsWith("join."))).to.deep.equal([]);
        noToken(first.stdout, first.stderr, fs.readFileSync(box.log, "utf8"));

        const second = box.run(generated.join, { stdin: joinCommand });
        expect(second.status, second.stderr).to.equal(0);
        expect(second.stdout).to.contain("already joined");
        expect(box.calls()).to.have.length(1);
        noToken(second.stdout, second.stderr);
    });

    it("join: waits for the bootstrap marker, bounded, with an error that says where to look", () => {
        const r = box.run(generated.join, { stdin: box.joinCommand(), env: { ECO2_BOOTSTRAP_WAIT_SECONDS: "1" } });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain("node bootstrap did not finish within 1s");
        expect(r.stderr).to.contain(box.marker);
        expect(r.stderr).to.contain("cloud-init-output.log");
        expect(box.calls().filter((c) => c.startsWith("kubeadm join"))).to.deep.equal([]);
    });

    it("join: proceeds once the marker appears during the wait", () => {
        const joinCommand = box.joinCommand();
        // A separate process writes the marker a moment after the join has started waiting.
        spawn("bash", ["-c", `sleep 0.6; mkdir -p ${shellQuote(path.dirname(box.marker))}; touch ${shellQuote(box.marker)}`], { stdio: "ignore" });
        const r = box.run(generated.join, { stdin: joinCommand, env: { ECO2_BOOTSTRAP_WAIT_SECONDS: "10" } });
        expect(r.stdout + r.stderr).not.to.contain("did not finish");
        expect(r.status, r.stderr).to.equal(0);
        expect(fs.existsSync(box.kubeletConf)).to.equal(true);
    });

    it("join: refuses an expired join command from state with the fix, not kubeadm's JWS error (kubeadm#668)", () => {
        box.bootstrapDone();
        const stale = box.joinCommand().replace(/token-expires-at=\d+/, `token-expires-at=${Math.floor(Date.now() / 1000) - 60}`);
        const r = box.run(generated.join, { stdin: stale });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain("has expired");
        expect(r.stderr).to.contain(`pulumi up --replace '${JOIN_COMMAND_URN}'`);
        expect(box.calls().filter((c) => c.startsWith("kubeadm join"))).to.deep.equal([]);
        noToken(r.stdout, r.stderr);
    });

    it("join: refuses a malformed join command without echoing it", () => {
        box.bootstrapDone();
        for (const stdin of ["", `kubeadm join 10.20.1.10:6443 --token ${TOKEN}\n`, `kubeadm join --token ${TOKEN} --discovery-token-ca-cert-hash sha256:00\n`]) {
            const r = box.run(generated.join, { stdin });
            expect(r.status, stdin).to.equal(1);
            expect(r.stderr).to.match(/eco2-mesh join: (no join command|the join command has no)/);
            noToken(r.stdout, r.stderr);
        }
        expect(box.calls().filter((c) => c.startsWith("kubeadm join"))).to.deep.equal([]);
    });

    it("join: cleans up an interrupted join (pki left, no kubelet.conf) before joining again", () => {
        box.bootstrapDone();
        fs.mkdirSync(box.pkiDir, { recursive: true });
        fs.writeFileSync(path.join(box.pkiDir, "ca.crt"), "");
        const joinCommand = box.joinCommand();
        fs.writeFileSync(box.log, "");
        const r = box.run(generated.join, { stdin: joinCommand });
        expect(r.status, r.stderr).to.equal(0);
        expect(box.calls().map((c) => c.split(" ").slice(0, 2).join(" "))).to.deep.equal(["kubeadm reset", "kubeadm join"]);
    });

    it("label: labels and taints the node; a second run converges instead of failing (--overwrite)", () => {
        box.bootstrapDone();
        expect(box.run(generated.join, { stdin: box.joinCommand() }).status).to.equal(0);
        for (let run = 0; run < 2; run++) {
            const r = box.run(generated.label);
            expect(r.status, r.stderr).to.equal(0);
        }
        expect(box.nodeFile(NODE, "labels").trim().split("\n").sort()).to.deep.equal(["eco2.app/tier=edge", "role=ingress-gateway"]);
        expect(box.nodeFile(NODE, "taints").trim()).to.equal("role=ingress-gateway:NoSchedule");
        const labelCalls = box.calls().filter((c) => c.startsWith("kubectl label") || c.startsWith("kubectl taint"));
        expect(labelCalls).to.have.length(4);
        for (const c of labelCalls) expect(c).to.contain("--overwrite");
    });

    it("label: waits for the Node to register, bounded, naming the node and the kubelet", () => {
        const r = box.run(generated.label, { env: { ECO2_NODE_WAIT_SECONDS: "1" } });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain(`node ${NODE} did not register within 1s`);
        expect(r.stderr).to.contain("journalctl -u kubelet");
    });

    it("delete: drains, then deletes the Node, then resets the instance; repeating it is a no-op", () => {
        box.bootstrapDone();
        expect(box.run(generated.join, { stdin: box.joinCommand() }).status).to.equal(0);
        expect(box.run(generated.label).status).to.equal(0);
        fs.writeFileSync(box.log, "");

        // Pulumi deletes the label command (control plane) before the join command (node) it depends on.
        const drain = box.run(generated.drain);
        expect(drain.status, drain.stderr).to.equal(0);
        const reset = box.run(generated.reset);
        expect(reset.status, reset.stderr).to.equal(0);
        expect(box.calls()).to.deep.equal([
            `kubectl get node ${NODE} --ignore-not-found -o name`,
            `kubectl drain ${NODE} --ignore-daemonsets --delete-emptydir-data --timeout=5m`,
            `kubectl delete node ${NODE} --ignore-not-found`,
            "kubeadm reset -f",
        ]);
        expect(box.nodeExists(NODE)).to.equal(false);
        expect(fs.existsSync(box.kubeletConf)).to.equal(false);

        fs.writeFileSync(box.log, "");
        const drainAgain = box.run(generated.drain);
        expect(drainAgain.status).to.equal(0);
        expect(drainAgain.stdout).to.contain("nothing to drain");
        const resetAgain = box.run(generated.reset);
        expect(resetAgain.status).to.equal(0);
        expect(resetAgain.stdout).to.contain("nothing to reset");
        expect(box.calls()).to.deep.equal([`kubectl get node ${NODE} --ignore-not-found -o name`]);
    });

    it("delete: an unreachable API server fails the drain instead of passing for 'already removed'", () => {
        box.bootstrapDone();
        expect(box.run(generated.join, { stdin: box.joinCommand() }).status).to.equal(0);
        const r = box.run(generated.drain, { env: { FAKE_API_DOWN: "1" } });
        expect(r.status).not.to.equal(0);
        expect(box.nodeExists(NODE)).to.equal(true);
    });
});
