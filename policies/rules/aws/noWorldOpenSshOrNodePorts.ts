import type { ResourceValidationPolicy } from "@pulumi/policy";
import { AWS } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

/**
 * Ranges this wide are the internet in a few pieces (0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0), so
 * they count as world-open: IPv4 wider than a /8, IPv6 wider than a /16.
 */
const MIN_PREFIX = { v4: 8, v6: 16 };
function worldWide(cidr: string): boolean {
    const [addr, bits] = cidr.split("/");
    const prefix = Number(bits);
    if (!Number.isInteger(prefix)) return false;
    return prefix < (addr.includes(":") ? MIN_PREFIX.v6 : MIN_PREFIX.v4);
}
const SSH_PORT = 22;
/** kube-apiserver's default `--service-node-port-range`. */
const NODE_PORT_RANGE: [number, number] = [30000, 32767];
const NO_PORTS = new Set(["icmp", "icmpv6", "1", "58"]);

interface Config {
    readonly nodePortRange?: [number, number];
}

interface Ingress {
    readonly where: string;
    readonly cidrs: string[];
    readonly protocol: string;
    readonly fromPort?: number;
    readonly toPort?: number;
}

function findings(rule: Ingress, nodePorts: [number, number]): string[] {
    const world = rule.cidrs.filter(worldWide);
    if (world.length === 0 || NO_PORTS.has(rule.protocol.toLowerCase())) return [];
    // The AWS provider lowercases the protocol: "ALL" with ports 0-0 opens everything.
    const all = rule.protocol === "-1" || rule.protocol.toLowerCase() === "all";
    const from = all ? 0 : (rule.fromPort ?? 0);
    const to = all ? 65535 : (rule.toPort ?? from);
    const range = from === to ? `${from}` : `${from}-${to}`;
    const out: string[] = [];
    if (from <= SSH_PORT && SSH_PORT <= to)
        out.push(`${rule.where} admits ${world.join(", ")} on ${all ? "all ports" : `${rule.protocol} ${range}`}, which opens SSH (22) to the world; allow only the operators' or bastion's CIDR`);
    if (from <= nodePorts[1] && nodePorts[0] <= to)
        out.push(
            `${rule.where} admits ${world.join(", ")} on ${all ? "all ports" : `${rule.protocol} ${range}`}, which opens the NodePort range ${nodePorts[0]}-${nodePorts[1]} to the world; let only the load balancer's security group reach the NodePorts`,
        );
    return out;
}

/** SSH and the NodePorts are the two doors to a node that must never face the internet. */
export const noWorldOpenSshOrNodePorts: ResourceValidationPolicy = {
    name: "noWorldOpenSshOrNodePorts",
    description: "No security group, SecurityGroupRule or VPC ingress rule admits 0.0.0.0/0, ::/0 or any range wider than a /8 (IPv6: /16) on SSH (22) or the NodePort range (30000-32767).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            nodePortRange: { type: "array", items: { type: "integer" }, minItems: 2, maxItems: 2, default: NODE_PORT_RANGE, description: "The cluster's --service-node-port-range." },
        },
    },
    validateResource: (args, report) => {
        const nodePorts = args.getConfig<Config>().nodePortRange ?? NODE_PORT_RANGE;
        const rules: Ingress[] = [];
        // Every element is read through need(): an unknown CIDR or port is reported, never skipped.
        const cidrsAt = (...paths: string[]): string[] => paths.flatMap((p) => asArray(need(args.props, p)).map((_, j) => need(args.props, `${p}[${j}]`) as string));
        guard(report, () => {
            if (args.type === AWS.securityGroup || args.type === AWS.defaultSecurityGroup) {
                asArray(need(args.props, "ingress")).forEach((_, i) => {
                    rules.push({
                        where: `ingress[${i}]`,
                        cidrs: cidrsAt(`ingress[${i}].cidrBlocks`, `ingress[${i}].ipv6CidrBlocks`),
                        protocol: String(need(args.props, `ingress[${i}].protocol`)),
                        fromPort: need(args.props, `ingress[${i}].fromPort`),
                        toPort: need(args.props, `ingress[${i}].toPort`),
                    });
                });
            } else if (args.type === AWS.securityGroupRule) {
                if (need(args.props, "type") !== "ingress") return;
                rules.push({
                    where: "this ingress rule",
                    cidrs: cidrsAt("cidrBlocks", "ipv6CidrBlocks"),
                    protocol: String(need(args.props, "protocol")),
                    fromPort: need(args.props, "fromPort"),
                    toPort: need(args.props, "toPort"),
                });
            } else if (args.type === AWS.vpcIngressRule) {
                const cidrs = [need(args.props, "cidrIpv4"), need(args.props, "cidrIpv6")].filter((c): c is string => typeof c === "string");
                rules.push({ where: "this ingress rule", cidrs, protocol: String(need(args.props, "ipProtocol")), fromPort: need(args.props, "fromPort"), toPort: need(args.props, "toPort") });
            }
            for (const r of rules) for (const f of findings(r, nodePorts)) report(f);
        });
    },
};
