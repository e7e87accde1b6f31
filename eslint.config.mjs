// Lint rules for skiff's TypeScript (npm test runs `eslint --max-warnings 0`). Type-aware, since the
// mistakes that cost most here are about promises: a rejection nobody handles reaches the daemon's
// last-resort handler, and a promise passed where a callback returns void is never awaited.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "examples/**/node_modules/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // test/lint-planted.ts exists only in the lint test's memory: the planted violation it shows is caught.
        projectService: { allowDefaultProject: ["test/lint-planted.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Promises: every one is awaited, returned, or explicitly let go with `void` (and then owns its errors).
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      // Unused names are noise; a leading underscore says "unused on purpose" (an interface's argument).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // The engine reads JSON it did not write (Docker's, the SDK's state); `any` there is checked by zod or by hand.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      // CommonJS requires are how the SDK's providers load skiff by package name at call time (Pulumi's closure serialization).
      "@typescript-eslint/no-require-imports": "off",
      // An async function that does not await still answers a promise, which is what interfaces such
      // as ContainerRuntime ask of every implementation (the fake runtime's methods among them).
      "@typescript-eslint/require-await": "off",
      // It misreads generic calls such as ava's t.is(actual, expected): dropping an `as unknown` there
      // changes what TypeScript infers, and the code no longer compiles.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // Values read from users' YAML and JSON files are shown back to them as given: String() of any value is the intent.
      "@typescript-eslint/no-base-to-string": "off",
      // Templates in messages and test titles print arrays, numbers and booleans as JavaScript does.
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowArray: true, allowBoolean: true, allowNumber: true, allowNullish: true },
      ],
    },
  },
);
