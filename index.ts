import { readStackConfig } from "./config";
import { deployMesh } from "./program";

// Config is read and validated before any resource exists; a bad stack fails here whole.
const outputs = deployMesh(readStackConfig(__dirname));

export const environment = outputs.environment;
export const istioVersion = outputs.istioVersion;
export const gatewayNodePorts = outputs.gatewayNodePorts;
export const meshNamespaces = outputs.meshNamespaces;
export const mtlsMode = outputs.mtlsMode;
export const tokenSource = outputs.tokenSource;
export const gatewayRef = outputs.gatewayRef;
export const loadBalancerDnsName = outputs.infra?.loadBalancerDnsName;
export const gatewayNodeIds = outputs.infra?.instanceIds;
export const gatewayNodePrivateIps = outputs.infra?.privateIps;
export const targetGroupArns = outputs.infra?.targetGroupArns;
