import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// `npm run bench`: the program's cost as it grows, as ratios against targets. Each figure comes
// from its own process (peak memory is that process's). Not a test: nothing depends on it.

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WORKER = path.join(__dirname, "worker.js");
const SIZES = (process.env.ECO2_BENCH_SIZES ?? "10,100,1000").split(",").map(Number);

interface Row {
    measure: string;
    value: string;
    target: string;
    pass?: boolean;
}

function run(mode: string, n: number): any {
    const out = execFileSync(process.execPath, ["--max-old-space-size=8192", WORKER, mode, String(n)], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

function fmt(n: number, digits = 2): string {
    return n.toFixed(digits);
}

function luaBench(): { typical_ns: number; cookie4k_ns: number; blanks64k_remove_ns?: number } | string {
    try {
        const out = execFileSync("luajit", [path.join(ROOT, "test", "lua", "bench.lua"), path.join(ROOT, "stacks", "auth", "cookie-to-header.lua")], { encoding: "utf8" });
        return JSON.parse(out.split("\n")[0]);
    } catch (e) {
        return `not measured: ${(e as Error).message.split("\n")[0]} (bash scripts/deps.sh installs luajit)`;
    }
}

function main(): void {
    const rows: Row[] = [];
    const detail: string[] = [];
    const programs = new Map<number, any>();
    for (const n of SIZES) {
        const p = run("program", n);
        const f = run("floor", p.resources);
        programs.set(n, p);
        const perRes = p.ms / p.resources;
        const floorPerRes = f.ms / f.resources;
        rows.push({ measure: `program, ${n} domains (${p.resources} resources)`, value: `${fmt(p.ms, 0)} ms, ${fmt(perRes)} ms/resource, peak ${fmt(p.maxRssMb, 0)} MB`, target: "" });
        rows.push({
            measure: `  per-resource cost vs floor (${f.resources} bare resources: ${fmt(f.ms, 0)} ms, peak ${fmt(f.maxRssMb, 0)} MB)`,
            value: `${fmt(perRes / floorPerRes)}x`,
            target: "<= 2x",
            pass: perRes / floorPerRes <= 2,
        });
        const rp = run("replay", n);
        rows.push({
            measure: `  the same, against a floor registering the program's own types and inputs (${rp.resources} generic resources: ${fmt(rp.ms, 0)} ms)`,
            value: `${fmt(perRes / (rp.ms / rp.resources))}x`,
            target: "diagnostic",
        });
        rows.push({
            measure: `  longest dependency chain vs minimal (${n} domains)`,
            value: `${p.chain.length} vs ${p.requiredChain.length}`,
            target: "equal",
            pass: p.chain.length === p.requiredChain.length,
        });
        detail.push(`chain at ${n} domains: ${p.chain.members.join(" -> ")}`);
    }
    const [a, b] = [SIZES[SIZES.length - 2], SIZES[SIZES.length - 1]];
    if (programs.has(a) && programs.has(b)) {
        const ratio = programs.get(b).ms / programs.get(a).ms;
        rows.push({ measure: `t(${b})/t(${a}) program evaluation`, value: fmt(ratio), target: `<= ${(b / a) * 1.1}`, pass: ratio <= (b / a) * 1.1 });
    }
    const stackMs = new Map<number, number>();
    for (const n of SIZES) {
        try {
            const r = run("policy", n);
            const perRes = (r.resourceMs + r.stackMs) / r.resources;
            stackMs.set(n, r.stackMs);
            rows.push({
                measure: `policy pack (${r.rules} rules), ${r.resources} resources`,
                value: `${fmt(perRes, 3)} ms/resource (resource rules ${fmt(r.resourceMs, 0)} ms, stack rules ${fmt(r.stackMs, 0)} ms)`,
                target: "<= 1 ms/resource",
                pass: perRes <= 1,
            });
        } catch (e) {
            rows.push({ measure: `policy pack, ${n} domains`, value: `not measured: ${(e as Error).message.split("\n")[0]}`, target: "<= 1 ms/resource" });
        }
    }
    if (stackMs.has(a) && stackMs.has(b)) {
        const growth = stackMs.get(b)! / stackMs.get(a)!;
        rows.push({ measure: `stack rules growth t(${b})/t(${a})`, value: fmt(growth), target: `< ${(b / a) * 2} (not quadratic: ${(b / a) ** 2})`, pass: growth < (b / a) * 2 });
    }
    const lua = luaBench();
    if (typeof lua === "string") rows.push({ measure: "Lua token bridge", value: lua, target: "<= 1000 ns at 4 KB" });
    else {
        rows.push({ measure: "Lua token bridge, typical Cookie header (LuaJIT)", value: `${fmt(lua.typical_ns, 0)} ns/request`, target: "" });
        rows.push({ measure: "Lua token bridge, 4 KB Cookie header (LuaJIT)", value: `${fmt(lua.cookie4k_ns, 0)} ns/request`, target: "<= 1000 ns", pass: lua.cookie4k_ns <= 1000 });
        if (lua.blanks64k_remove_ns !== undefined) {
            rows.push({
                measure: "Lua token bridge, worst case: 64 KB of blanks inside a pair, REMOVE_COOKIE (LuaJIT, stub header map)",
                value: `${fmt(lua.blanks64k_remove_ns / 1000, 0)} µs/request`,
                target: "<= 5 ms (linear; was seconds)",
                pass: lua.blanks64k_remove_ns <= 5_000_000,
            });
        }
    }
    const previewFile = process.env.ECO2_BENCH_PREVIEW ?? path.join(ROOT, ".bench", "preview.json");
    // Where the real engine has been built (scripts/engine.sh), measure the preview in this run
    // too; ECO2_BENCH_PREVIEW names an earlier result instead.
    const engine = path.join(process.env.ECO2_CACHE ?? path.join(os.homedir(), ".cache", "eco2-mesh"), "toolchain", "bin", "pulumi");
    if (!process.env.ECO2_BENCH_PREVIEW && fs.existsSync(engine)) {
        console.error("bench: the real engine is built: measuring pulumi preview against its floor (scripts/bench-preview.sh, a few minutes)");
        try {
            execFileSync("bash", [path.join(ROOT, "scripts", "bench-preview.sh"), previewFile], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
        } catch (e) {
            console.error(`bench: preview not measured: ${(e as Error).message.split("\n")[0]}`);
            fs.rmSync(previewFile, { force: true });
        }
    }
    if (previewFile && fs.existsSync(previewFile)) {
        const pv = JSON.parse(fs.readFileSync(previewFile, "utf8")) as { programMs: number; floorMs: number; floorCrdMs?: number; resources: number };
        rows.push({
            measure: `pulumi preview --stack local vs floor (${pv.resources} resources, real engine)`,
            value: `${fmt(pv.programMs / pv.floorMs)}x (${fmt(pv.programMs, 0)} vs ${fmt(pv.floorMs, 0)} ms)`,
            target: "<= 1.5x",
            pass: pv.programMs / pv.floorMs <= 1.5,
        });
        if (pv.floorCrdMs) {
            rows.push({
                measure: `  the same, against a floor carrying the release's 14 CRDs (the payload the stack cannot shed)`,
                value: `${fmt(pv.programMs / pv.floorCrdMs)}x (floor ${fmt(pv.floorCrdMs, 0)} ms)`,
                target: "diagnostic",
            });
        }
    } else {
        rows.push({ measure: "pulumi preview vs floor (real engine)", value: "not measured: run bash scripts/bench-preview.sh first (real engine and a loopback cluster, ~4 min)", target: "<= 1.5x" });
    }

    const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${new Date().toISOString()}`;
    const lines = [
        `eco2-mesh benchmark — ${machine}`,
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        ...rows.map((r) => `| ${r.measure} | ${r.value} | ${r.target} | ${r.pass === undefined ? "" : r.pass ? "pass" : "MISS"} |`),
        "",
        ...detail,
    ];
    const text = lines.join("\n");
    console.log(text);
    const outDir = path.join(ROOT, ".bench");
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, "latest.md"), text + "\n");
    console.log(`\nwritten to ${path.join(outDir, "latest.md")}`);
}

main();
