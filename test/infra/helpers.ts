import { expect } from "chai";
import { RecordedResource } from "../mocks";
import { Recording, recordStack } from "../harness";

/** Overrides that keep only the AWS layers (and the join) of a committed stack: faster, same infra. */
export const INFRA_ONLY = {
    "layers.istio": false,
    "layers.mesh": false,
    "layers.routing": false,
    "layers.auth": false,
    "layers.observability": false,
};

export function recordInfra(stack: "dev" | "prod", overrides: Record<string, unknown> = {}): Promise<Recording> {
    return recordStack(stack, { ...INFRA_ONLY, ...overrides });
}

export const T = {
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    profile: "aws:iam/instanceProfile:InstanceProfile",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    instance: "aws:ec2/instance:Instance",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    attachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    listener: "aws:lb/listener:Listener",
    record: "aws:route53/record:Record",
    command: "command:remote:Command",
} as const;

/** The mock id of a resource (mocks encode `type::name`), i.e. what other resources receive as its id. */
export function mockId(r: RecordedResource): string {
    return `${r.type}::${r.name}`;
}

/** The mock ARN computedState gives resources with an `arn` output. */
export function mockArn(r: RecordedResource): string {
    return `arn:aws:${r.type.split(":")[1].split("/")[0]}:ap-northeast-2:123456789012:${r.name}`;
}

/** Reads a possibly-secret recorded value, asserting it was marked secret. */
export function secretValue<T = unknown>(v: unknown, what: string): T {
    expect(v, `${what} must be a Pulumi secret`).to.be.an("object").with.property("__secret", true);
    return (v as { value: T }).value;
}

/** True when the recorded value (or the object holding it) was marked secret. */
export function isSecret(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as { __secret?: boolean }).__secret === true;
}

/** Plain view of a recorded value: secrets unwrapped. */
export function plain<T = any>(v: unknown): T {
    if (isSecret(v)) return plain((v as { value: unknown }).value);
    if (Array.isArray(v)) return v.map(plain) as T;
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T;
    return v as T;
}
