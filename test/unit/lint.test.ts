import test from "ava";
import * as path from "node:path";
import { REPO_ROOT } from "../helpers/engine";

// The linter and the formatter are part of npm test: the project passes both with no warning, and
// each fails on a planted violation (so a clean run means something).

/** A file that is never on disk: eslint's config lets its type-aware rules check it from memory. */
const PLANTED_PATH = path.join(REPO_ROOT, "test", "lint-planted.ts");

async function eslint() {
  const { ESLint } = await import("eslint");
  return new ESLint({ cwd: REPO_ROOT });
}

test("eslint (type-aware rules) finds nothing in the project: no error, no warning", async (t) => {
  const results = await (await eslint()).lintFiles(["."]);
  const problems = results.flatMap((r) =>
    r.messages.map((m) => `${path.relative(REPO_ROOT, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? "?"} ${m.message}`),
  );
  t.deepEqual(problems, []);
  t.true(results.length > 300, `${results.length} files linted`);
});

test("eslint fails a promise nobody awaits or lets go (the mistake that reaches the daemon's last-resort handler)", async (t) => {
  const [result] = await (
    await eslint()
  ).lintText("async function stop(): Promise<void> {}\nexport function later(): void {\n  stop();\n}\n", { filePath: PLANTED_PATH });
  t.deepEqual(
    result!.messages.map((m) => [m.ruleId, m.line]),
    [["@typescript-eslint/no-floating-promises", 3]],
  );
});

test("prettier finds the project formatted, and a planted misformatting is caught", async (t) => {
  const prettier = await import("prettier");
  const options = { ...(await prettier.resolveConfig(PLANTED_PATH)), filepath: PLANTED_PATH };
  t.false(await prettier.check("export const a   =  [1,2 ,3]\n", options));
  t.true(await prettier.check("export const a = [1, 2, 3];\n", options));
  const { execFile } = await import("node:child_process");
  const out = await new Promise<{ code: number; text: string }>((resolve) =>
    execFile(
      process.execPath,
      [require.resolve("prettier/bin/prettier.cjs"), "--check", "**/*.{ts,js,mjs,cjs}"],
      { cwd: REPO_ROOT },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, text: stdout + stderr }),
    ),
  );
  t.is(out.code, 0, out.text);
});
