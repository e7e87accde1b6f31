import test from "ava";
import { envVarsFlag } from "../../provider/cli/env-flags";
import { UsageError } from "../../provider/cli/output";

// --set-env-vars/--update-env-vars as gcloud 528 reads them (calliope/arg_parsers.py ArgDict, then
// command_lib/run/flags.py StripKeys): each expectation is what gcloud deployed, or refused.

const parse = envVarsFlag("--set-env-vars");
const message = (value: string) => {
  try {
    return JSON.stringify(parse(value));
  } catch (error) {
    return error instanceof UsageError ? error.message : `not a UsageError: ${String(error)}`;
  }
};

test("a name loses the spaces around it; a value keeps its own", (t) => {
  t.deepEqual(parse(" A =1"), { A: "1" });
  t.deepEqual(parse("A= x ,B=2 "), { A: " x ", B: "2 " });
  t.deepEqual(parse("A=1, B=2"), { A: "1", B: "2" });
  t.deepEqual(parse("SEP= "), { SEP: " " });
});

test("gcloud's ^DELIM^ prefix, '=' in values, empty values, a trailing delimiter, repeats adding up", (t) => {
  t.deepEqual(parse("^:^A=1,2:B=3"), { A: "1,2", B: "3" });
  t.deepEqual(parse("A==b,C="), { A: "=b", C: "" });
  t.deepEqual(parse("A=1,"), { A: "1" });
  t.deepEqual(parse("B=2", { A: "1" }), { A: "1", B: "2" });
});

test("an empty item elsewhere, or one without a name or '=', is refused naming the flag", (t) => {
  t.is(message("A=1,,B=2"), '--set-env-vars: an empty item in "A=1,,B=2" (two delimiters in a row, or one first)');
  t.is(message(",A=1"), '--set-env-vars: an empty item in ",A=1" (two delimiters in a row, or one first)');
  t.is(message("A=1,B"), '--set-env-vars: expected KEY=VALUE,KEY2=VALUE2, got "B"');
  t.is(message(" =1"), '--set-env-vars: expected KEY=VALUE,KEY2=VALUE2, got " =1"');
});
