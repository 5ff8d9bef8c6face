// Lint configuration: typescript-eslint's recommended rules, plus the project's conventions.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "reports/**", "test/golden/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: {
        process: "readonly",
        console: "readonly",
        performance: "readonly",
        URL: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        Buffer: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "always"],
      "no-console": "error",
      "prefer-const": "error",
      "no-shadow": "off",
    },
  },
  // Layering: imports point one way. The compiler may import the runtime (the settings types,
  // the suggestion helpers), never the reverse, so `nnc/runtime` ships without the compiler.
  // Differentiation and the code-generation passes are independent stages: what both need lives
  // in a module of its own (see docs/internals.md, "Layers").
  {
    files: ["runtime/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)compiler(/|$)",
              message: "The runtime imports nothing from the compiler (compiler -> runtime only).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["compiler/grad/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)passes(/|$)",
              message: "compiler/grad does not import compiler/passes: share the module instead.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["compiler/passes/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)grad(/|$)",
              message: "compiler/passes does not import compiler/grad: share the module instead.",
            },
          ],
        },
      ],
    },
  },
  {
    // Plain-JavaScript tools run by Node directly (packaging, grammar generation).
    files: ["scripts/**/*.mjs", "bin/**/*.js", "examples/web/serve.mjs"],
    languageOptions: {
      globals: { setTimeout: "readonly", clearTimeout: "readonly" },
    },
    rules: { "no-console": "off" },
  },
  {
    // The web demo's page scripts run in a browser, as they are (no build step).
    files: ["examples/web/*.js"],
    languageOptions: {
      globals: Object.fromEntries(
        [
          "window",
          "document",
          "navigator",
          "location",
          "fetch",
          "Blob",
          "URLSearchParams",
          "ImageData",
          "setTimeout",
        ].map((name) => [name, "readonly"]),
      ),
    },
  },
  {
    // The VS Code extension's entry is CommonJS, as VS Code loads extensions with require().
    files: ["grammar/**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", __dirname: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
