import test from "ava";
import type { CommandResult } from "../helpers/docker";
import type { TestEngine } from "../helpers/engine";
import { gcloud as gcloudOn, disposeGcloudBed, startGcloudBed } from "../helpers/gcloud";
import { createJob, describeExecution, executeJob, listExecutions, taskEnv, waitForExecution } from "../helpers/jobs";

// Real gcloud's `run jobs` commands against skiff, for what gcloud itself decides from what the
// engine answers: when `jobs execute` returns, which exit code it gives, what it prints.

let engine: TestEngine;
let image: string;
let config: string;
const R = ["--region", "europe-west1"];

test.before(async () => {
  ({ engine, image, config } = await startGcloudBed());
});

test.after.always(() => disposeGcloudBed(engine, config));

function gcloud(args: string[], timeoutMs = 120_000): Promise<CommandResult> {
  return gcloudOn(engine, config, args, timeoutMs);
}

test("gcloud run jobs execute without --wait returns once the execution has started (its Started condition), while the task still runs; executions cancel stops it", async (t) => {
  await createJob(engine, "starts", ["--image", image, ...taskEnv({ FIXTURE_TASK_MS: 20_000 })]);
  const began = Date.now();
  // Without a Started condition on the execution gcloud polls until this timeout.
  const result = await gcloud(["run", "jobs", "execute", "starts", ...R], 60_000);
  const tookMs = Date.now() - began;
  t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const [execution] = await listExecutions(engine, ["--job", "starts"]);
  t.is(execution.status, "RUNNING", `gcloud returned after ${tookMs} ms, before the 20 s task ended`);
  t.true(tookMs < 15_000, `gcloud took ${tookMs} ms`);

  // Cancelled by gcloud, which then checks the Completed condition's reason is Cancelled.
  const cancelled = await gcloud(["run", "jobs", "executions", "cancel", execution.name, ...R, "--quiet"]);
  t.is(cancelled.code, 0, `${cancelled.stdout}\n${cancelled.stderr}`);
  t.regex(cancelled.stderr, /Cancelled execution \[starts-[a-z]{5}\]/);
  t.like(await waitForExecution(engine, execution.name), { status: "CANCELLED", cancelledCount: 1 });
});

test("gcloud run jobs execute --wait exits 1 when a task failed; executions tasks list (all, --failed) and tasks describe, in gcloud and skiff", async (t) => {
  await createJob(engine, "waits", [
    "--image",
    image,
    "--tasks",
    "2",
    "--max-retries",
    "0",
    ...taskEnv({ FIXTURE_EXIT_CODE: 4, FIXTURE_FAIL_INDEXES: 1 }),
  ]);
  const failed = await gcloud(["run", "jobs", "execute", "waits", ...R, "--wait"]);
  t.is(failed.code, 1, `${failed.stdout}\n${failed.stderr}`);
  const [execution] = await listExecutions(engine, ["--job", "waits"]);
  t.like(await describeExecution(engine, execution.name), { status: "FAILED", succeededCount: 1, failedCount: 1 });

  // Its tasks, through the v1 API's tasks (gcloud) and the CLI: all, then only the failed one.
  const listed = await gcloud([
    "run",
    "jobs",
    "executions",
    "tasks",
    "list",
    "--execution",
    execution.name,
    ...R,
    "--format",
    "value(index,running_state,name,retries)",
  ]);
  t.is(listed.code, 0, listed.stderr);
  t.deepEqual(listed.stdout.trim().split("\n"), [`0\tSucceeded\t${execution.name}-task0\t0`, `1\tFailed\t${execution.name}-task1\t0`]);
  const failedOnly = await gcloud([
    "run",
    "jobs",
    "executions",
    "tasks",
    "list",
    "--execution",
    execution.name,
    ...R,
    "--failed",
    "--format",
    "value(name)",
  ]);
  t.is(failedOnly.stdout.trim(), `${execution.name}-task1`, failedOnly.stderr);
  const described = await gcloud([
    "run",
    "jobs",
    "executions",
    "tasks",
    "describe",
    `${execution.name}-task1`,
    ...R,
    "--format",
    "value(status.lastAttemptResult.exitCode)",
  ]);
  t.is(described.stdout.trim(), "4", described.stderr);
  const skiffListed = await engine.skiff([
    "jobs",
    "executions",
    "tasks",
    "list",
    "--execution",
    execution.name,
    "--failed",
    "--format",
    "value(metadata.name,status.lastAttemptResult.exitCode)",
  ]);
  t.is(skiffListed.stdout.trim(), `${execution.name}-task1\t4`, skiffListed.stderr);
  const skiffDescribed = await engine.skiff(["jobs", "executions", "tasks", "describe", `${execution.name}-task1`]);
  t.regex(skiffDescribed.stdout, /: FAILED\n[\s\S]*Exit code: 4\n/, skiffDescribed.stderr);
});

test("gcloud run jobs describe prints a job without annotations (it read the execution template's metadata), and executions describe its execution", async (t) => {
  await createJob(engine, "described", ["--image", image, "--tasks", "2", "--max-retries", "1", ...taskEnv()]);
  const described = await gcloud(["run", "jobs", "describe", "described", ...R]);
  t.is(described.code, 0, `${described.stdout}\n${described.stderr}`);
  t.regex(described.stdout, /Tasks:\s+2\n/);
  t.regex(described.stdout, /Max Retries:\s+1\n/);
  const { name } = await executeJob(engine, "described");
  await waitForExecution(engine, name);
  const execution = await gcloud(["run", "jobs", "executions", "describe", name, ...R]);
  t.is(execution.code, 0, `${execution.stdout}\n${execution.stderr}`);
  t.regex(execution.stdout, /2 tasks completed successfully/);
});
