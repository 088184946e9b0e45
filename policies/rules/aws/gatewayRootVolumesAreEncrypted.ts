import type { ResourceValidationPolicy } from "@pulumi/policy";
import { AWS } from "../lib/kinds";
import { asArray, guard, need } from "../lib/values";

const encrypted = (v: unknown) => v === true || v === "true";

/** Node disks hold kubelet credentials, pod volumes and container images. */
export const gatewayRootVolumesAreEncrypted: ResourceValidationPolicy = {
    name: "gatewayRootVolumesAreEncrypted",
    description: "Launch templates map an encrypted EBS root volume, and every EBS volume of an instance or launch template is encrypted.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type === AWS.launchTemplate) {
            guard(report, () => {
                const mappings = asArray(need(args.props, "blockDeviceMappings"));
                let ebs = 0;
                mappings.forEach((_, i) => {
                    if (need(args.props, `blockDeviceMappings[${i}].ebs`) === undefined) return;
                    ebs++;
                    if (!encrypted(need(args.props, `blockDeviceMappings[${i}].ebs.encrypted`))) report(`blockDeviceMappings[${i}].ebs.encrypted is not true; encrypt the volume`);
                });
                if (ebs === 0) report("maps no EBS root volume with encrypted: true; the AMI's default (unencrypted) root volume would be used");
            });
        } else if (args.type === AWS.instance) {
            guard(report, () => {
                const root = need(args.props, "rootBlockDevice");
                if (root !== undefined) {
                    if (!encrypted(need(args.props, "rootBlockDevice.encrypted"))) report("rootBlockDevice.encrypted is not true; encrypt the root volume");
                } else if (need(args.props, "launchTemplate") === undefined) {
                    report("has neither rootBlockDevice.encrypted nor a launch template that encrypts the root volume");
                }
                asArray(need(args.props, "ebsBlockDevices")).forEach((_, i) => {
                    if (!encrypted(need(args.props, `ebsBlockDevices[${i}].encrypted`))) report(`ebsBlockDevices[${i}].encrypted is not true; encrypt the volume`);
                });
            });
        }
    },
};
