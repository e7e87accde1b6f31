import test from "ava";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { applyEnvFlags } from "../../provider/cli/env-flags";
import { UsageError } from "../../provider/cli/output";

// --env-vars-file read as gcloud reads it (map_util.py's ArgDictFile, env_vars_util.EnvVarValueType):
// a YAML 1.1 mapping of names to strings. Each refusal below is one gcloud 528 gives for the same file.

const dir = mkdtempSync(path.join(tmpdir(), "skiff-env-vars-file-"));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function read(text: string): Record<string, string> | string {
  const file = path.join(dir, `env-${files++}.yaml`);
  writeFileSync(file, text);
  try {
    return applyEnvFlags({ OLD: "x" }, { envVarsFile: file });
  } catch (error) {
    return error instanceof UsageError ? error.message : `not a UsageError: ${String(error)}`;
  }
}

test("strings, quoted or not, replace the whole set", (t) => {
  t.deepEqual(read('A: "8080"\nB: two words\nC: "true"\nD: ""\n'), { A: "8080", B: "two words", C: "true", D: "" });
});

test("a value that YAML 1.1 reads as a number, boolean, null, date or list is refused, naming the variable", (t) => {
  for (const [value, kind] of [
    ["8080", "the number 8080"],
    ["true", "the boolean true"],
    ["yes", "the boolean true"],
    ["off", "the boolean false"],
    ["0x10", "the number 16"],
    ["1e3", "the number 1000"],
    ["~", "null null"],
    ["", "null null"],
    ["2026-01-01", "the date"],
    ["[a]", 'the list ["a"]'],
  ]) {
    const message = read(`NAME: ${value}\n`);
    t.true(
      typeof message === "string" && message.startsWith(`--env-vars-file: the value of NAME must be a string, got ${kind}`),
      `NAME: ${value} -> ${JSON.stringify(message)}`,
    );
    t.regex(String(message), /quote it \(NAME: "\.\.\."\) as gcloud requires/);
  }
});

test("a name that YAML 1.1 reads as no string (Y, N, on, 1) is refused, naming it", (t) => {
  t.regex(String(read("Y: two words\n")), /^--env-vars-file: the name true must be a string, got the boolean; quote it \("true": \.\.\.\)/);
  t.regex(String(read('N: "a"\n')), /the name false must be a string/);
  t.regex(String(read('1: "a"\n')), /the name 1 must be a string, got the number/);
  t.deepEqual(read('"Y": two words\nON_CALL: "x"\n'), { Y: "two words", ON_CALL: "x" });
});

test("a file that is not a mapping is refused, an empty one too (gcloud: expected map-like data)", (t) => {
  for (const text of ["", "# nothing\n", "- A\n", '"A=1"\n'])
    t.regex(String(read(text)), /--env-vars-file: ".*" must be a mapping of NAME: "value"/, JSON.stringify(text));
});

test("a name given twice takes its last value, as gcloud's YAML loader does", (t) => {
  t.deepEqual(read('A: "1"\nA: "2"\n'), { A: "2" });
});
