// ESLint (flat config), type-aware: the rules that catch what tsc does not in a Pulumi program.
// - @pulumi/eslint-plugin: an Output in a template literal renders as a warning string, not a
//   value (use pulumi.interpolate).
// - no-floating-promises / no-misused-promises: a promise nobody awaits loses its error, and in
//   a Pulumi program a registration that fails after the program "finished".
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["bin/**", "node_modules/**", "policies/node_modules/**", ".bench/**", ".eco2/**"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
            // Recorded mock inputs and policy props are untyped JSON by nature.
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
);
