import { readStackConfig } from "./config";
import { deployMesh, stackOutputs } from "./program";

// Config is read and validated before any resource exists; a bad stack fails here whole.
export = stackOutputs(deployMesh(readStackConfig(__dirname)));
