import * as pulumi from "@pulumi/pulumi";
import { ConfigError, readStackConfig } from "./config";
import { deployMesh, stackOutputs } from "./program";

// Config is read and validated before any resource exists; a bad stack fails here whole.
// A ConfigError is reported as a RunError: the message alone, without a stack trace.
function config() {
    try {
        return readStackConfig(__dirname);
    } catch (e) {
        throw e instanceof ConfigError ? new pulumi.RunError(e.message) : e;
    }
}

export = stackOutputs(deployMesh(config()));
