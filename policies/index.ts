import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

// The gate every pull request runs:
//   pulumi preview --stack <env> --policy-pack policies --policy-pack-config policies/config.<env>.json
// Each rule carries its own default level; config.<env>.json overrides levels and passes the
// environment to the rules that depend on it (see README.md).
new PolicyPack("eco2-mesh", {
    policies,
    enforcementLevel: "mandatory",
    description: "eco2-mesh compliance gate: Istio/Kubernetes objects, istioctl-analyze-style cross-resource checks, the AWS gateway tier and secret handling.",
});
