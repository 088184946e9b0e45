import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isRequestAuthentication } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

/** A cluster-local Service (`<svc>.<ns>.svc.cluster.local`, or the short `<svc>.<ns>.svc`): traffic that never leaves the cluster. Schemes and hosts compare case-insensitively. */
const CLUSTER_LOCAL = /^http:\/\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+\.svc(\.cluster\.local)?(:\d+)?(\/|$)/i;

/**
 * Keys fetched over plain HTTP from outside the cluster can be replaced in transit, and a rule
 * without an issuer accepts tokens from any issuer whose keys happen to verify.
 */
export const requestAuthenticationsHaveTrustedJwks: ResourceValidationPolicy = {
    name: "requestAuthenticationsHaveTrustedJwks",
    description: "Every RequestAuthentication JWT rule sets an issuer and takes its keys from an https jwksUri, a cluster-local *.svc.cluster.local service, or inline jwks.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isRequestAuthentication(args.type)) return;
        guard(report, () => {
            asArray(need(args.props, "spec.jwtRules")).forEach((_, i) => {
                const issuer = need(args.props, `spec.jwtRules[${i}].issuer`);
                if (typeof issuer !== "string" || issuer.trim() === "") report(`spec.jwtRules[${i}].issuer is not set`);
                const uri = need(args.props, `spec.jwtRules[${i}].jwksUri`);
                const jwks = need(args.props, `spec.jwtRules[${i}].jwks`);
                if (uri === undefined || uri === "") {
                    if (jwks === undefined || jwks === "") report(`spec.jwtRules[${i}] has neither jwksUri nor jwks; set the issuer's JWKS URL`);
                } else if (typeof uri !== "string" || !(/^https:\/\//i.test(uri) || CLUSTER_LOCAL.test(uri))) {
                    report(`spec.jwtRules[${i}].jwksUri "${uri}" must be https:// or a cluster-local http://<service>.<namespace>.svc.cluster.local URL`);
                }
            });
        });
    },
};
