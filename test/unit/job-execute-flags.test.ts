import test from "ava";
import { checkEnvOverrides, executeAfterChange } from "../../provider/cli/job-commands";
import { parseJobSpec } from "../../provider/model/job";

// gcloud run jobs create|update|deploy: `--wait` implies `--execute-now`, and `--async` is mutually
// exclusive with both (surface/run/jobs/create.py: `execute_now = args.execute_now or args.wait`).

test("--wait alone runs an execution and waits for it, as gcloud's --wait implies --execute-now", (t) => {
  t.deepEqual(executeAfterChange({ wait: true }), { execute: true, wait: true });
  t.deepEqual(executeAfterChange({ executeNow: true, wait: true }), { execute: true, wait: true });
  t.deepEqual(executeAfterChange({ executeNow: true }), { execute: true, wait: false });
  t.deepEqual(executeAfterChange({}), { execute: false, wait: false });
  t.deepEqual(executeAfterChange({ async: true }), { execute: false, wait: false }, "--async alone: the change only");
});

test("--async with --execute-now or --wait is refused naming both, as gcloud's mutually exclusive group does", (t) => {
  t.throws(() => executeAfterChange({ async: true, executeNow: true }), {
    message: "--async: cannot be combined with --execute-now (at most one of --async | --execute-now --wait)",
  });
  t.throws(() => executeAfterChange({ async: true, wait: true }), {
    message: "--async: cannot be combined with --wait (at most one of --async | --execute-now --wait)",
  });
});

// gcloud run jobs execute --update-env-vars: ValidateConfigOverrides applies the override to the job
// first, and EnvVarLiteralChanges refuses a name the job takes from a secret.

test("jobs execute --update-env-vars naming a secret variable of the job is refused as gcloud refuses it; other names pass", (t) => {
  const job = parseJobSpec({
    template: { image: "img", env: { PLAIN: "1" }, secretEnv: { DB_PASSWORD: { secret: "db", version: "latest" } } },
  });
  t.notThrows(() => checkEnvOverrides(job, { PLAIN: "2", NEW: "x" }));
  t.throws(() => checkEnvOverrides(job, { PLAIN: "2", DB_PASSWORD: "x" }), {
    message:
      "--update-env-vars: cannot update environment variable [DB_PASSWORD] to string literal because it has already been set with a different type (a secret of the job)",
  });
});
