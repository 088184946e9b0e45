import type { ResourceValidationPolicy } from "@pulumi/policy";
import { AWS } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

const on = (v: unknown) => v === true || v === "true";

/** The gateway nodes sit in private subnets; clients reach them through the load balancer only. */
export const gatewayNodesHaveNoPublicIp: ResourceValidationPolicy = {
    name: "gatewayNodesHaveNoPublicIp",
    description: "Instances and launch templates do not associate a public IP address (nodes stay private behind the load balancer).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type === AWS.instance) {
            guard(report, () => {
                if (on(need(args.props, "associatePublicIpAddress")))
                    report("associatePublicIpAddress is true; gateway nodes must stay private (reach them through the load balancer, SSM or a bastion)");
            });
        } else if (args.type === AWS.launchTemplate) {
            guard(report, () => {
                asArray(need(args.props, "networkInterfaces")).forEach((_, i) => {
                    if (on(need(args.props, `networkInterfaces[${i}].associatePublicIpAddress`))) report(`networkInterfaces[${i}].associatePublicIpAddress is true; gateway nodes must stay private`);
                });
            });
        }
    },
};
