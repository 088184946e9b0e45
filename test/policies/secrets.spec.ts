import { expect } from "chai";
import { joinTokenCommandsDoNotLogOutput, noPlaintextKeyMaterialInInputs } from "../../policies/rules";
import { runsJoinToken } from "../../policies/rules/secrets/joinTokenCommandsDoNotLogOutput";
import { asRoot, joinCommandScript, labelScript, nodeJoinScript } from "../../infra/joinScripts";
import { FAKE_SECRETS } from "../harness";
import { FakeResource, runResource, UNKNOWN } from "./harness";
import { resourceRuleCases } from "./fixtures";

const TAINT = { key: "role", value: "ingress-gateway", effect: "NoSchedule" };
const CONNECTION = { host: "10.20.1.10", port: 22, user: "ubuntu", privateKey: { __secret: true, value: FAKE_SECRETS.sshPrivateKey } };
const TOKEN_COMMAND: FakeResource = {
    type: "command:remote:Command",
    name: "gateway-join-0-join-command",
    props: { connection: { __secret: true, value: CONNECTION }, create: asRoot(joinCommandScript({ ttl: "30m", description: "gw 0" })), logging: "none" },
    additionalSecretOutputs: ["stdout", "stderr"],
};

describe("policies: secrets family", () => {
    resourceRuleCases(joinTokenCommandsDoNotLogOutput, TOKEN_COMMAND, [
        ["logging not set", "logging", undefined, ['runs kubeadm token create/join but logging is not set (stdout and stderr are logged); set logging: "none"']],
        ["logging stdout", "logging", "stdout", ['runs kubeadm token create/join but logging is "stdout"; set logging: "none"']],
        ["logging unknown at preview", "logging", UNKNOWN, ["cannot be verified at preview: logging is unknown"]],
        ["a local kubeadm join", "create", "kubeadm join 10.0.0.1:6443 --token abc", []],
        ["create unknown at preview, but safe whatever it runs", "create", UNKNOWN, []],
    ]);
    describe("joinTokenCommandsDoNotLogOutput (resource options)", () => {
        it("stdout missing from additionalSecretOutputs", async () => {
            const r = await runResource(joinTokenCommandsDoNotLogOutput, { ...TOKEN_COMMAND, additionalSecretOutputs: ["stderr"] });
            expect(r.violations).to.deep.equal(['runs kubeadm token create/join but stdout is not in additionalSecretOutputs (it would be stored in plain state); add "stdout"']);
        });
        it("a command with unknown text that logs cannot be verified", async () => {
            const r = await runResource(joinTokenCommandsDoNotLogOutput, { ...TOKEN_COMMAND, props: { ...TOKEN_COMMAND.props, create: UNKNOWN, logging: undefined } });
            expect(r.violations).to.deep.equal(["cannot be verified at preview: create is unknown"]);
        });
        it("a label command that only mentions kubeadm join in an error message is not a token command", async () => {
            const label = asRoot(labelScript({ nodeName: "n", labels: { role: "ingress-gateway" }, taint: TAINT }));
            expect(label).to.include("kubeadm join");
            expect(runsJoinToken(label)).to.equal(false);
            expect(runsJoinToken(asRoot(nodeJoinScript({ nodeName: "n", kubernetesVersion: "1.31.4", taint: TAINT, replaceHint: "u" })))).to.equal(true);
            expect(runsJoinToken(asRoot(joinCommandScript({ ttl: "30m", description: "d" })))).to.equal(true);
            expect(runsJoinToken("sudo -n /usr/bin/kubeadm join --config c")).to.equal(true);
        });
        // Wrappings that hid the command from the first version of the rule (adversarial review).
        const wrapped: [string, string, boolean][] = [
            ["the project's own one-line asRoot wrapper", asRoot("kubeadm token create --print-join-command"), true],
            ['bash -c "…"', 'bash -c "kubeadm join 10.0.0.1:6443 --token x"', true],
            ["an if", "if kubeadm join x; then :; fi", true],
            ["env K=V", "env KUBECONFIG=/etc/kubernetes/admin.conf kubeadm token create", true],
            ["timeout", "timeout 60 kubeadm join x", true],
            ["exec", "exec kubeadm join x", true],
            ["a brace group", "{ kubeadm token create; }", true],
            ["a flag before the subcommand", "kubeadm --v=5 join x", true],
            ["a flag with a value inside token create", "kubeadm token --kubeconfig /etc/kubernetes/admin.conf create", true],
            ["kubeadm init (prints a join command with its token)", "kubeadm init --config c", true],
            ["kubeadm reset is not a token command", "kubeadm reset -f", false],
            ["kubeadm token list is not", "kubeadm token list", false],
            ["a mention in an echo is not", 'echo "node did not register after kubeadm join"', false],
        ];
        for (const [what, text, expected] of wrapped) {
            it(`${what}: ${expected ? "a token command" : "not one"}`, () => expect(runsJoinToken(text)).to.equal(expected));
        }
    });

    describe("noPlaintextKeyMaterialInInputs (a Kubernetes Secret's data)", () => {
        it("a TLS key in a Secret's stringData is where it belongs (the provider keeps it secret)", async () => {
            const secret: FakeResource = {
                type: "kubernetes:core/v1:Secret",
                name: "tls",
                props: {
                    metadata: { name: "api-tls", namespace: "istio-ingress" },
                    type: "kubernetes.io/tls",
                    stringData: { "tls.key": FAKE_SECRETS.sshPrivateKey, "tls.crt": "-----BEGIN CERTIFICATE-----" },
                },
            };
            expect((await runResource(noPlaintextKeyMaterialInInputs, secret)).violations).to.deep.equal([]);
            const annotated = { ...secret, props: { ...secret.props, metadata: { ...secret.props.metadata, annotations: { key: FAKE_SECRETS.sshPrivateKey } } } };
            expect((await runResource(noPlaintextKeyMaterialInInputs, annotated)).violations).to.have.length(1);
        });
    });

    resourceRuleCases(noPlaintextKeyMaterialInInputs, TOKEN_COMMAND, [
        [
            "a PEM key in the environment",
            "environment",
            { KEY: FAKE_SECRETS.sshPrivateKey },
            ["environment.KEY holds a private key (PEM) in plain text; pass it only through a field the provider keeps secret (e.g. connection.privateKey) or drop it"],
        ],
        [
            "an RSA key in stdin",
            "stdin",
            "-----BEGIN RSA PRIVATE KEY-----\nMII…\n-----END RSA PRIVATE KEY-----\n",
            ["stdin holds a private key (PEM) in plain text; pass it only through a field the provider keeps secret (e.g. connection.privateKey) or drop it"],
        ],
        [
            "a kubeconfig in triggers",
            "triggers",
            [FAKE_SECRETS.kubeconfig],
            ["triggers[0] holds a kubeconfig in plain text; pass it only through a field the provider keeps secret (e.g. connection.privateKey) or drop it"],
        ],
        ["a certificate is not a key", "stdin", "-----BEGIN CERTIFICATE-----\nMII…\n-----END CERTIFICATE-----\n", []],
    ]);
    describe("noPlaintextKeyMaterialInInputs (provider fields)", () => {
        resourceRuleCases(noPlaintextKeyMaterialInInputs, { type: "pulumi:providers:kubernetes", name: "cluster", props: { kubeconfig: FAKE_SECRETS.kubeconfig, context: "admin" } }, [
            [
                "the kubeconfig in another provider field",
                "context",
                FAKE_SECRETS.kubeconfig,
                ["context holds a kubeconfig in plain text; pass it only through a field the provider keeps secret (e.g. connection.privateKey) or drop it"],
            ],
        ]);
        resourceRuleCases(
            noPlaintextKeyMaterialInInputs,
            { type: "kubernetes:core/v1:Secret", name: "s", props: { metadata: { name: "s" }, stringData: { id_ed25519: FAKE_SECRETS.sshPrivateKey } } },
            [],
            { noPlaintextKeyMaterialInInputs: { allowedFields: ["kubernetes:core/v1:Secret#stringData.id_ed25519"] } },
        );
    });
});
