import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../harness";
import { clusterIn, get, getObject, run } from "./engine";

// The README's first command, as a user runs it: `npm run local` brings the engine, starts the
// embedded control plane, runs `pulumi up --stack local` and prints the outputs and where the
// state lives. Run with its own cluster dir and state dir, offline (ECO2_ISTIO_CHARTS=off, as
// on a machine without the chart repository).

describe("npm run local (the README's main job)", function () {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-mainjob-"));
    const env = { ECO2_CLUSTER_DIR: path.join(work, "cluster"), ECO2_STATE: path.join(work, "state"), ECO2_ISTIO_CHARTS: "off", PULUMI_BACKEND_URL: "" };
    // The job links .eco2/local/kubeconfig at its cluster; a developer's own link is put back.
    const link = path.join(ROOT, ".eco2", "local", "kubeconfig");
    let previousLink: string | undefined;

    before(() => {
        try {
            previousLink = fs.readlinkSync(link);
        } catch {
            previousLink = undefined;
        }
    });

    after(() => {
        run("bash", ["scripts/cluster.sh", "stop"], env, { allowFail: true, quiet: true });
        fs.rmSync(link, { force: true });
        if (previousLink !== undefined) fs.symlinkSync(previousLink, link);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("ups the local stack into the embedded control plane and prints the outputs and the state's place", async () => {
        const r = run("npm", ["run", "--silent", "local"], env);
        expect(r.out).to.match(/Resources:\s+\+ (\d+) created/);
        expect(r.out).to.contain("CRDs of the pinned release from its crd-all.gen.yaml, no Helm release");
        expect(r.out).to.contain("== stack outputs (local)");
        expect(r.out).to.match(/gatewayRef\s+istio-ingress\/eco2-gateway/);
        expect(r.out).to.contain(`state: file://${env.ECO2_STATE}/pulumi-state`);
        expect(r.out).to.contain("no Helm release and no workload in this stack offline");
        const cluster = clusterIn(env.ECO2_CLUSTER_DIR);
        const vs = await getObject(cluster, "/apis/networking.istio.io/v1/namespaces/chat/virtualservices/chat");
        expect(vs.spec.gateways).to.deep.equal(["istio-ingress/eco2-gateway"]);
    });

    it("a second run changes nothing", () => {
        const r = run("npm", ["run", "--silent", "local"], env);
        expect(r.out).to.match(/Resources:\s+\d+ unchanged/);
        expect(r.out).to.not.match(/\+ \d+ created|~ \d+ updated|- \d+ deleted/);
    });

    it("`npm run local -- destroy` removes the stack's objects", async () => {
        run("npm", ["run", "--silent", "local", "--", "destroy"], env);
        const cluster = clusterIn(env.ECO2_CLUSTER_DIR);
        expect((await get(cluster, "/apis/networking.istio.io/v1/namespaces/chat/virtualservices/chat")).status).to.equal(404);
    });
});
