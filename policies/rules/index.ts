import type { Policies } from "@pulumi/policy";
import { authorizationPoliciesHaveNoAllowAllRule } from "./istio/authorizationPoliciesHaveNoAllowAllRule";
import { envoyFiltersDoNotPinListenerPorts } from "./istio/envoyFiltersDoNotPinListenerPorts";
import { envoyFiltersSelectIngressGatewayOnly } from "./istio/envoyFiltersSelectIngressGatewayOnly";
import { envoyFiltersUseCurrentFilterNames } from "./istio/envoyFiltersUseCurrentFilterNames";
import { meshNamespacesAreInjected } from "./istio/meshNamespacesAreInjected";
import { meshServicesAreClusterIp } from "./istio/meshServicesAreClusterIp";
import { meshWidePeerAuthenticationIsStrict } from "./istio/meshWidePeerAuthenticationIsStrict";
import { publicGatewayRoutesHaveNoWildcardHosts } from "./istio/publicGatewayRoutesHaveNoWildcardHosts";
import { requestAuthenticationsHaveTrustedJwks } from "./istio/requestAuthenticationsHaveTrustedJwks";
import { customAuthzProvidersAreDeclared } from "./stack/customAuthzProvidersAreDeclared";
import { gatewayPodsFitJoinedNodes } from "./stack/gatewayPodsFitJoinedNodes";
import { istioReleasesShareOneVersion } from "./stack/istioReleasesShareOneVersion";
import { loadBalancerTargetsGatewayNodePorts } from "./stack/loadBalancerTargetsGatewayNodePorts";
import { oneCustomAuthzProviderPerWorkload } from "./stack/oneCustomAuthzProviderPerWorkload";
import { requestAuthenticationsRequirePrincipal } from "./stack/requestAuthenticationsRequirePrincipal";
import { virtualServiceReferencesResolve } from "./stack/virtualServiceReferencesResolve";
import { virtualServiceRoutesDoNotConflict } from "./stack/virtualServiceRoutesDoNotConflict";
import { gatewayNodesHaveNoPublicIp } from "./aws/gatewayNodesHaveNoPublicIp";
import { gatewayNodesRequireImdsV2 } from "./aws/gatewayNodesRequireImdsV2";
import { gatewayRootVolumesAreEncrypted } from "./aws/gatewayRootVolumesAreEncrypted";
import { loadBalancerIsProtectedInStrictEnvironments } from "./aws/loadBalancerIsProtectedInStrictEnvironments";
import { noWorldOpenSshOrNodePorts } from "./aws/noWorldOpenSshOrNodePorts";
import { joinTokenCommandsDoNotLogOutput } from "./secrets/joinTokenCommandsDoNotLogOutput";
import { noPlaintextKeyMaterialInInputs } from "./secrets/noPlaintextKeyMaterialInInputs";

// The rules, importable without starting a pack (tests call them directly); policies/index.ts
// assembles the pack.

export {
    authorizationPoliciesHaveNoAllowAllRule,
    envoyFiltersDoNotPinListenerPorts,
    envoyFiltersSelectIngressGatewayOnly,
    envoyFiltersUseCurrentFilterNames,
    meshNamespacesAreInjected,
    meshServicesAreClusterIp,
    meshWidePeerAuthenticationIsStrict,
    publicGatewayRoutesHaveNoWildcardHosts,
    requestAuthenticationsHaveTrustedJwks,
    customAuthzProvidersAreDeclared,
    gatewayPodsFitJoinedNodes,
    istioReleasesShareOneVersion,
    loadBalancerTargetsGatewayNodePorts,
    oneCustomAuthzProviderPerWorkload,
    requestAuthenticationsRequirePrincipal,
    virtualServiceReferencesResolve,
    virtualServiceRoutesDoNotConflict,
    gatewayNodesHaveNoPublicIp,
    gatewayNodesRequireImdsV2,
    gatewayRootVolumesAreEncrypted,
    loadBalancerIsProtectedInStrictEnvironments,
    noWorldOpenSshOrNodePorts,
    joinTokenCommandsDoNotLogOutput,
    noPlaintextKeyMaterialInInputs,
};

/** Rule families, for the README and the tests. */
export const families: Record<string, Policies> = {
    istio: [
        meshServicesAreClusterIp,
        meshNamespacesAreInjected,
        meshWidePeerAuthenticationIsStrict,
        publicGatewayRoutesHaveNoWildcardHosts,
        envoyFiltersSelectIngressGatewayOnly,
        envoyFiltersUseCurrentFilterNames,
        envoyFiltersDoNotPinListenerPorts,
        authorizationPoliciesHaveNoAllowAllRule,
        requestAuthenticationsHaveTrustedJwks,
    ],
    stack: [
        virtualServiceReferencesResolve,
        virtualServiceRoutesDoNotConflict,
        requestAuthenticationsRequirePrincipal,
        customAuthzProvidersAreDeclared,
        oneCustomAuthzProviderPerWorkload,
        istioReleasesShareOneVersion,
        loadBalancerTargetsGatewayNodePorts,
        gatewayPodsFitJoinedNodes,
    ],
    aws: [gatewayNodesRequireImdsV2, gatewayRootVolumesAreEncrypted, gatewayNodesHaveNoPublicIp, noWorldOpenSshOrNodePorts, loadBalancerIsProtectedInStrictEnvironments],
    secrets: [joinTokenCommandsDoNotLogOutput, noPlaintextKeyMaterialInInputs],
};

/** Every rule of the pack. */
export const policies: Policies = Object.values(families).flat();
