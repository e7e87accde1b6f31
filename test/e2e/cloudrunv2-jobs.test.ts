import * as path from "node:path";
import test from "ava";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, suffix, transcript } from "./pulumi";

// skiff.cloudrunv2.Job's execution tokens under the real CLI, as on Cloud Run: a runExecutionToken
// makes `pulumi up` run an execution and succeed only if it succeeded (and the next `up` runs it
// again after a failure); a startExecutionToken starts one without waiting (cloudrunv2-previews).

let engine: TestEngine;
let image: string;
let project: PulumiProject;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "cloudrunv2"), engine.home);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial(
  "runExecutionToken: a failing execution fails pulumi up naming the task and its exit code; fixed, the next up runs it again",
  async (t) => {
    const stack = `gate-${suffix()}`;
    await project.initStack(stack, { image, scenario: "failing-job" });
    const failed = await project.pulumi(stack, ["up", "--yes"]);
    t.not(failed.code, 0, transcript("pulumi up", failed));
    t.regex(
      failed.stdout + failed.stderr,
      /job "gate": execution gate-[a-z]{5} failed: task 0 failed after 1 attempt\(s\).*\(exit code 3\)/,
    );

    await project.ok(stack, ["config", "set", "fixed", "true"]);
    await project.up(stack);
    const executions = await (await engine.api()).listExecutions(stack, "gate");
    t.deepEqual(executions.map((e) => e.status).sort(), ["FAILED", "SUCCEEDED"]);
    const noChanges = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
    t.is(noChanges.code, 0, transcript("pulumi preview --expect-no-changes", noChanges));
  },
);
