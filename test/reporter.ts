import * as Mocha from "mocha";

// Mocha's spec output plus one plain closing line, `N passed, N failed, N skipped`, that CI
// reads whatever the runner. Pending tests are counted as skipped, never as passed.
class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        let passed = 0;
        let failed = 0;
        let skipped = 0;
        runner.on("pass", () => passed++);
        runner.on("fail", () => failed++);
        runner.on("pending", () => skipped++);
        runner.once("end", () => {
            console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
        });
    }
}

export = SpecWithSummary;
