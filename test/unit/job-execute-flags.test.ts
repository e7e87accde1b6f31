import test from "ava";
import { executeAfterChange } from "../../provider/cli/job-commands";
import { Command } from "commander";
import {
  checkEnvOverrides,
  mainContainerOverride,
  overrideGroupsOf,
  withExecutionOverrideFlags,
} from "../../provider/cli/execution-override-flags";
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

// gcloud run jobs execute takes --args and --update-env-vars in `--container NAME` groups
// (execute.py ContainerOverridesGroup); here they override the main container's only.

const sidecarJob = parseJobSpec({
  template: { image: "img", containerName: "app", sidecars: [{ name: "proxy", image: "proxy-img" }] },
});

function groupsOf(argv: string[]) {
  const command = withExecutionOverrideFlags(new Command());
  command.parseOptions(argv);
  return overrideGroupsOf(command);
}

test("--container groups: each container's --args and --update-env-vars stay its own, in order", (t) => {
  t.deepEqual(groupsOf(["--args", "a,b", "--container", "app", "--args", "c", "--args", "d", "--update-env-vars", "K=V"]), [
    { args: ["a", "b"] },
    { name: "app", args: ["c", "d"], env: { K: "V" } },
  ]);
  t.deepEqual(groupsOf(["--args", ""]), [{ args: [] }], '--args "" clears the arguments, as gcloud\'s clearArgs');
});

test("the main container's group overrides it; a sidecar's, an unknown one's or an empty group is refused naming it", (t) => {
  t.deepEqual(mainContainerOverride(sidecarJob, groupsOf(["--container", "app", "--args", "x", "--update-env-vars", "A=1"])), {
    args: ["x"],
    env: { A: "1" },
  });
  t.throws(() => mainContainerOverride(sidecarJob, groupsOf(["--container", "proxy", "--args", "x"])), {
    message: '--container proxy: is a sidecar: an execution overrides only the main container\'s ("app") args and env',
  });
  t.throws(() => mainContainerOverride(sidecarJob, groupsOf(["--container", "other", "--args", "x"])), {
    message: "--container other: names no container of the job (its containers: app, proxy)",
  });
  t.throws(() => mainContainerOverride(sidecarJob, groupsOf(["--container", "app"])), {
    message: "--container app: no container overrides requested; give --args or --update-env-vars after --container",
  });
  t.throws(() => mainContainerOverride(sidecarJob, groupsOf(["--args", "x", "--container", "app", "--args", "y"])), {
    message: "--container app: --args: the main container's arguments are given twice",
  });
  const single = parseJobSpec({ template: { image: "img" } });
  t.deepEqual(
    mainContainerOverride(single, groupsOf(["--container", "whatever", "--args", "x"])),
    { args: ["x"] },
    "one container: every group is its own",
  );
});
