import * as pulumi from "@pulumi/pulumi";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown; waitForRPCs(): Promise<void> };

/** One resource as the engine would have received it. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly inputs: Record<string, any>;
    readonly parent: string;
    /** Provider reference `urn::id`, or "" when the default provider would be used. */
    readonly provider: string;
    readonly dependencies: string[];
    /** The dependencies that come from inputs (Outputs of other resources), by property. */
    readonly propertyDependencies: Record<string, string[]>;
    readonly retainOnDelete: boolean;
    readonly additionalSecretOutputs: string[];
    readonly replaceOnChanges: string[];
    readonly deleteBeforeReplace: boolean;
    readonly custom: boolean;
}

/** The bootstrap token the mocked join-command prints; tests assert it never leaks. */
export const MOCK_BOOTSTRAP_TOKEN = "fk7x2q.zq9v8w7u6t5s4r3p";

/** Invokes the mocks answer; anything else throws (strict mocks). */
const INVOKES: Record<string, (args: Record<string, any>) => Record<string, unknown>> = {
    "aws:index/getRegion:getRegion": () => ({ name: "ap-northeast-2", region: "ap-northeast-2", id: "ap-northeast-2" }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "AIDTEST" }),
    "aws:iam/getPolicyDocument:getPolicyDocument": (args) => ({ json: JSON.stringify({ Version: "2012-10-17", Statement: args.statements ?? [] }) }),
    "aws:ec2/getSubnet:getSubnet": (args) => ({ id: args.id, availabilityZone: "ap-northeast-2a", vpcId: "vpc-0123456789abcdef0", cidrBlock: "10.0.1.0/24" }),
    // Ubuntu AMIs boot from /dev/sda1; the launch template maps the encrypted root volume there.
    "aws:ec2/getAmi:getAmi": (args) => ({ id: args.filters?.[0]?.values?.[0] ?? "ami-0123456789abcdef0", rootDeviceName: "/dev/sda1", architecture: "x86_64" }),
};

/** Computed outputs a real provider would return, so wiring can be asserted. */
function computedState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
    const arn = `arn:aws:${type.split(":")[1]?.split("/")[0] ?? "x"}:ap-northeast-2:123456789012:${name}`;
    switch (type) {
        case "aws:ec2/instance:Instance":
            return { privateIp: `10.0.${name.length % 200}.${(name.charCodeAt(name.length - 1) % 200) + 10}`, arn, privateDns: `ip-${name}.ec2.internal` };
        case "aws:lb/loadBalancer:LoadBalancer":
            return { arn, dnsName: `${name}.elb.ap-northeast-2.amazonaws.com`, zoneId: "ZWKZPGTI48KDX" };
        case "aws:lb/targetGroup:TargetGroup":
        case "aws:lb/listener:Listener":
        case "aws:iam/role:Role":
        case "aws:iam/instanceProfile:InstanceProfile":
            return { arn, name: inputs.name ?? name };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { arn, latestVersion: 1 };
        case "command:remote:Command":
            // What `kubeadm token create --print-join-command` prints (a fake token), for the join's stdin.
            return name.endsWith("-join-command")
                ? { stdout: `kubeadm join 10.20.1.10:6443 --token ${MOCK_BOOTSTRAP_TOKEN} --discovery-token-ca-cert-hash sha256:${"ab".repeat(32)}\n`, stderr: "" }
                : { stdout: "", stderr: "" };
        default:
            return {};
    }
}

class Recorder {
    private list: RecordedResource[] = [];
    private urns = new Set<string>();

    get resources(): RecordedResource[] {
        return this.list;
    }

    /** Assigning starts a new recording (and a new set of URNs). */
    set resources(list: RecordedResource[]) {
        this.list = list;
        this.urns = new Set(list.map((r) => r.urn));
    }

    /** The engine refuses a second resource with the same URN ("Duplicate resource URN"); so do the mocks. */
    claim(urn: string): void {
        if (this.urns.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
        this.urns.add(urn);
    }
}
export const recorder = new Recorder();

export const mocks: pulumi.runtime.Mocks = {
    newResource(args: pulumi.runtime.MockResourceArgs) {
        // Mock ids encode the type, so wiring (an id used where another resource's id is due) can be asserted.
        const id = `${args.type}::${args.name}`;
        return { id, state: { ...args.inputs, ...computedState(args.type, args.name, args.inputs) } };
    },
    call(args: pulumi.runtime.MockCallArgs) {
        const handler = INVOKES[args.token];
        if (!handler) throw new Error(`strict mocks: no mock for invoke ${args.token}`);
        return handler(args.inputs);
    },
};

type Req = {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getDependenciesList(): string[];
    getRetainondelete(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getReplaceonchangesList(): string[];
    getDeletebeforereplace(): boolean;
    getCustom(): boolean;
    getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getObject(): { toJavaScript(): Record<string, any> } | undefined;
};

/** Installs the mocks once for the whole suite and records every registration request. */
export async function installMocks(): Promise<void> {
    await pulumi.runtime.setMocks(mocks, "eco2-mesh", "test", false);
    const monitor = settings.getMonitor() as { registerResource(req: Req, cb: (err: unknown, res: { getUrn(): string } | undefined) => void): void };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        original(req, (err, res) => {
            if (!err && res) {
                try {
                    recorder.claim(res.getUrn());
                } catch (e) {
                    cb(e, undefined);
                    return;
                }
                recorder.resources.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: res.getUrn(),
                    inputs: unwrapSecrets(req.getObject()?.toJavaScript() ?? {}),
                    parent: req.getParent(),
                    provider: req.getProvider(),
                    dependencies: req.getDependenciesList(),
                    propertyDependencies: propertyDependencies(req),
                    retainOnDelete: req.getRetainondelete(),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                    replaceOnChanges: req.getReplaceonchangesList(),
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                    custom: req.getCustom(),
                });
            }
            cb(err, res);
        });
    };
}

function propertyDependencies(req: Req): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v, k) => {
        out[k] = v.getUrnsList();
    });
    return out;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Secrets arrive as `{ "4dabf18193072939515e22adb298388d": sig, value }`; tests read the value and can ask if it was secret. */
function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v && typeof v === "object") {
        if (v["4dabf18193072939515e22adb298388d"] === SECRET_SIG) return { __secret: true, value: unwrapSecrets(v.value) };
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** Waits until every registration the program started has reached the monitor. */
export async function settle(): Promise<void> {
    await settings.waitForRPCs();
}
