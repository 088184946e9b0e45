import type { ResourceValidationPolicy } from "@pulumi/policy";
import { AWS } from "../lib/kinds";
import { guard, need } from "../lib/values";

/** IMDSv1 hands the node role's credentials to any SSRF that reaches 169.254.169.254. */
export const gatewayNodesRequireImdsV2: ResourceValidationPolicy = {
    name: "gatewayNodesRequireImdsV2",
    description: 'Launch templates and instances require IMDSv2 (metadataOptions.httpTokens "required"); an instance without its own setting must come from a launch template.',
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== AWS.launchTemplate && args.type !== AWS.instance) return;
        guard(report, () => {
            const tokens = need(args.props, "metadataOptions.httpTokens");
            if (tokens === "required") return;
            // No metadata service at all: nothing to steal credentials from.
            if (need(args.props, "metadataOptions.httpEndpoint") === "disabled") return;
            if (tokens === undefined && args.type === AWS.instance && need(args.props, "launchTemplate") !== undefined) return;
            report(`metadataOptions.httpTokens is ${tokens === undefined ? "not set (IMDSv1 stays on)" : `"${tokens}"`}; set it to "required" (IMDSv2 only)`);
        });
    },
};
