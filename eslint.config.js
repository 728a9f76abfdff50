// ESLint (flat config): `make lint` runs `npx eslint .` over our own front-end modules and
// scripts; third-party code (node_modules, the bundled static/build) is never linted.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", "static/build/", "artifacts/", ".venv/", "build/"] },
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: globals.browser },
  },
  {
    files: ["static/js/layout-worker.js"],
    languageOptions: { globals: globals.worker },
  },
  {
    files: ["scripts/**/*.mjs", "eslint.config.js", "bench/**/*.mjs", "tests/js/**/*.mjs"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: globals.node },
  },
  {
    rules: {
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "prefer-const": "error",
      "no-var": "error",
    },
  },
];
