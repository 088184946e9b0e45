import { expect } from "chai";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// The Lua tier: test/lua/run_cases.lua runs the table of cases in test/lua/cases.lua against
// stacks/auth/cookie-to-header.lua with the Envoy header-map stand-in test/lua/envoy_stub.lua.
// This spec is compiled to bin/test/lua/, so every path is resolved from the repository root.

function repoRoot(): string {
    let dir = __dirname;
    for (;;) {
        if (fs.existsSync(path.join(dir, "package.json"))) return dir;
        const parent = path.dirname(dir);
        if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
        dir = parent;
    }
}

const ROOT = repoRoot();
const RUNNER = path.join(ROOT, "test", "lua", "run_cases.lua");
const CASES = path.join(ROOT, "test", "lua", "cases.lua");
const FILTER = path.join(ROOT, "stacks", "auth", "cookie-to-header.lua");
const MIN_CASES = 60;

/** Fails (never skips) when luajit is not installed. */
function requireLuajit(): void {
    const r = spawnSync("luajit", ["-v"], { encoding: "utf8" });
    if (r.error !== undefined || r.status !== 0) {
        const why = r.error !== undefined ? r.error.message : `exit ${r.status}: ${r.stderr}`;
        throw new Error(`luajit is required for the Lua filter tests and was not found (${why}). ` + "Install it with `apt-get install luajit` (or run `bash scripts/deps.sh`).");
    }
}

function runCases(filter: string): SpawnSyncReturns<string> {
    const r = spawnSync("luajit", [RUNNER, filter, CASES], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
    });
    if (r.error !== undefined) throw new Error(`running luajit ${RUNNER} failed: ${r.error.message}`);
    return r;
}

interface Summary {
    passed: number;
    failed: number;
}

function summary(stdout: string): Summary {
    const lines = stdout.trimEnd().split("\n");
    const m = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1] ?? "");
    if (m === null) throw new Error(`runner output does not end with "N passed, M failed":\n${stdout.slice(-2000)}`);
    return { passed: Number(m[1]), failed: Number(m[2]) };
}

/** The failing cases and their reasons, for assertion messages. */
function failures(stdout: string): string {
    return stdout
        .split("\n")
        .filter((l) => l.startsWith("not ok") || l.startsWith("#   ") || l.startsWith("Bail out!"))
        .join("\n");
}

describe("Lua filter cookie-to-header.lua (luajit, Envoy header-map stub)", function () {
    this.timeout(120_000);

    it(`passes at least ${MIN_CASES} table-driven cases and fails none`, function () {
        requireLuajit();
        const r = runCases(FILTER);
        const s = summary(r.stdout);
        const detail = `${failures(r.stdout)}\n${r.stderr}`;
        expect(s.failed, `failing cases:\n${detail}`).to.equal(0);
        expect(r.status, `runner exit status; stderr:\n${r.stderr}`).to.equal(0);
        expect(s.passed, "number of passing case runs").to.be.at.least(MIN_CASES);
    });

    it("fails a filter that uses headers:add() for Authorization (comma-joined value reported)", function () {
        requireLuajit();
        const source = fs.readFileSync(FILTER, "utf8");
        expect(source, "the filter no longer contains `headers:replace(`; update this sabotage test").to.include("headers:replace(");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eco2-lua-"));
        try {
            const broken = path.join(dir, "cookie-to-header-broken.lua");
            fs.writeFileSync(broken, source.split("headers:replace(").join("headers:add("));
            const r = runCases(broken);
            const s = summary(r.stdout);
            expect(r.status, "runner exit status for a broken filter").to.not.equal(0);
            expect(s.failed, "failed case runs for a broken filter").to.be.greaterThan(0);
            // The client's Basic header and the appended bearer token, joined by get() with ",".
            expect(r.stdout).to.match(/^not ok \d+ - Basic authorization, replace mode: replaced by the bearer token \[current\]$/m);
            expect(r.stdout).to.match(/get\("authorization"\) = "Basic [^"]*,Bearer [^"]*"/);
            expect(r.stdout).to.match(/authorization added twice/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
