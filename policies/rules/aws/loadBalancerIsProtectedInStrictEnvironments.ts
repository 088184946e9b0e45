import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EnvironmentConfig, environmentConfigSchema, environmentOf } from "../lib/config";
import { AWS } from "../lib/kinds";
import { guard, need } from "../lib/values";

/** In production the entry point of every request must survive a stray `pulumi destroy` and leave an audit trail. */
export const loadBalancerIsProtectedInStrictEnvironments: ResourceValidationPolicy = {
    name: "loadBalancerIsProtectedInStrictEnvironments",
    description: "In strict environments (prod) the load balancer has deletion protection and S3 access logs enabled.",
    enforcementLevel: "mandatory",
    configSchema: environmentConfigSchema,
    validateResource: (args, report) => {
        if (!(AWS.loadBalancers as readonly string[]).includes(args.type)) return;
        const { environment, strict } = environmentOf(args.getConfig<EnvironmentConfig>());
        if (!strict) return;
        guard(report, () => {
            if (need(args.props, "enableDeletionProtection") !== true) report(`enableDeletionProtection is not true; environment ${environment} requires deletion protection`);
            const enabled = need(args.props, "accessLogs.enabled");
            const bucket = need(args.props, "accessLogs.bucket");
            if (enabled !== true || typeof bucket !== "string" || bucket === "") report(`accessLogs are not enabled with an S3 bucket; environment ${environment} requires access logs`);
        });
    },
};
