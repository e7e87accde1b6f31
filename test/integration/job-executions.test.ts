import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import { transcript } from "../helpers/cli";
import {
  attemptsOf,
  containersOfExecution,
  createJob,
  describeExecution,
  executeJob,
  listExecutions,
  maxOverlap,
  parseJobLog,
  readJobLog,
  readJobLogText,
  taskEnv,
  waitForExecution,
} from "../helpers/jobs";

// How an execution runs its tasks: all of them, at most `parallelism` at once, each told who it is;
// failed attempts retried up to maxRetries; and what `jobs execute --wait` / `--async` tell the user.
// Each test has its own job on the one engine of this file, so they run side by side.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("taskCount 10 with parallelism 3 runs all 10 tasks, never more than 3 at once, each with its own index and the count", async (t) => {
  await createJob(engine, "fanout", ["--image", image, "--tasks", "10", "--parallelism", "3", ...taskEnv({ FIXTURE_TASK_MS: 3000 })]);
  const started = await executeJob(engine, "fanout");
  t.regex(started.name, /^fanout-[a-z]{5}$/);
  const done = await waitForExecution(engine, started.name, 90_000);
  t.is(done.status, "SUCCEEDED", JSON.stringify(done));
  t.like(done, { succeededCount: 10, failedCount: 0, cancelledCount: 0, runningCount: 0, retriedCount: 0 });
  t.deepEqual(
    done.tasks.map((task) => `${task.index} ${task.state} attempt ${task.attempt} exit ${task.exitCode}`),
    Array.from({ length: 10 }, (_, i) => `${i} SUCCEEDED attempt 0 exit 0`),
  );

  // Every task's own lines: its start and end times and the variables it saw.
  const attempts = await eventually("every task's start and end lines in the log", async () => {
    const found = attemptsOf(await readJobLog(engine, "fanout", started.name));
    return [...found.values()].filter((a) => a.start !== undefined && a.end !== undefined).length === 10 && found;
  });
  t.deepEqual(
    [...attempts.keys()].sort(),
    Array.from({ length: 10 }, (_, i) => `${i}/0`).sort(),
    "one attempt of each index 0..9, none repeated",
  );
  for (let i = 0; i < 10; i++) {
    t.deepEqual(
      attempts.get(`${i}/0`)?.env,
      {
        CLOUD_RUN_EXECUTION: started.name,
        CLOUD_RUN_JOB: "fanout",
        CLOUD_RUN_TASK_ATTEMPT: "0",
        CLOUD_RUN_TASK_COUNT: "10",
        CLOUD_RUN_TASK_INDEX: String(i),
      },
      `the environment task ${i} saw`,
    );
  }
  const intervals = [...attempts.values()].map((a) => ({ start: a.start!, end: a.end! }));
  const timeline = [...attempts.values()].map((a) => `task ${a.task}: ${a.start}..${a.end}`).join("\n");
  t.is(maxOverlap(intervals), 3, `at most 3 tasks run at once, and 3 do (tasks sleep 3 s each):\n${timeline}`);

  await eventually(
    "the execution's containers are removed after they exit",
    async () => (await containersOfExecution(engine, started.name)).length === 0,
    15_000,
  );
});

test("a task that fails on attempts 0 and 1 and succeeds on attempt 2 ends SUCCEEDED; retriedCount 1 (one task was retried)", async (t) => {
  await createJob(engine, "flaky", ["--image", image, ...taskEnv({ FIXTURE_FAIL_ATTEMPTS_BELOW: 2 })]);
  const { name } = await executeJob(engine, "flaky");
  const done = await waitForExecution(engine, name);
  t.like(done, { status: "SUCCEEDED", succeededCount: 1, failedCount: 0, cancelledCount: 0, retriedCount: 1, error: undefined });
  t.like(done.tasks[0], { index: 0, state: "SUCCEEDED", attempt: 2, exitCode: 0, lastError: undefined });
  t.is(done.template.maxRetries, 3, "the default maxRetries");

  const attempts = await eventually("the three attempts' end lines", async () => {
    const found = attemptsOf(await readJobLog(engine, "flaky", name));
    return [0, 1, 2].every((a) => found.get(`0/${a}`)?.end !== undefined) && found;
  });
  t.deepEqual([...attempts.keys()], ["0/0", "0/1", "0/2"]);
  t.deepEqual(
    [0, 1, 2].map((a) => attempts.get(`0/${a}`)?.env.CLOUD_RUN_TASK_ATTEMPT),
    ["0", "1", "2"],
  );
  t.deepEqual(
    [0, 1, 2].map((a) =>
      attempts
        .get(`0/${a}`)!
        .lines.filter((l) => l.stream === "stderr")
        .map((l) => l.text),
    ),
    [["fixture: task 0 attempt 0 failing with exit code 1"], ["fixture: task 0 attempt 1 failing with exit code 1"], []],
  );
  for (const a of [1, 2]) {
    const previous = attempts.get(`0/${a - 1}`)!;
    const next = attempts.get(`0/${a}`)!;
    t.true(next.start! > previous.end!, `attempt ${a} started (${next.start}) after attempt ${a - 1} ended (${previous.end})`);
  }
});

test("with --max-retries 1 a task that fails twice fails the execution, whose error names the task and its exit code", async (t) => {
  await createJob(engine, "flaky-once", ["--image", image, "--max-retries", "1", ...taskEnv({ FIXTURE_FAIL_ATTEMPTS_BELOW: 2 })]);
  const { name } = await executeJob(engine, "flaky-once");
  const done = await waitForExecution(engine, name);
  t.like(done, { status: "FAILED", succeededCount: 0, failedCount: 1, cancelledCount: 0, runningCount: 0, retriedCount: 1 });
  t.is(done.error, "task 0 failed after 2 attempts: exited with code 1");
  t.like(done.tasks[0], { index: 0, state: "FAILED", attempt: 1, exitCode: 1, lastError: "exited with code 1" });
  t.truthy(done.completionTime);
  const attempts = await eventually("both attempts' end lines", async () => {
    const found = attemptsOf(await readJobLog(engine, "flaky-once", name));
    return found.get("0/1")?.end !== undefined && found;
  });
  t.deepEqual([...attempts.keys()], ["0/0", "0/1"], "no third attempt");
});

test("a task that exhausted its retries does not stop the others: they all run, then the execution is FAILED (Cloud Run tries every task)", async (t) => {
  await createJob(engine, "tries-all", [
    "--image",
    image,
    "--tasks",
    "3",
    "--parallelism",
    "1",
    "--max-retries",
    "0",
    ...taskEnv({ FIXTURE_EXIT_CODE: 3, FIXTURE_FAIL_INDEXES: 0 }),
  ]);
  const { name } = await executeJob(engine, "tries-all");
  const done = await waitForExecution(engine, name);
  t.like(done, { status: "FAILED", succeededCount: 2, failedCount: 1, cancelledCount: 0, runningCount: 0, retriedCount: 0 });
  t.deepEqual(
    done.tasks.map((task) => `${task.index} ${task.state} exit ${task.exitCode}`),
    ["0 FAILED exit 3", "1 SUCCEEDED exit 0", "2 SUCCEEDED exit 0"],
    "tasks 1 and 2 ran after task 0 failed for good",
  );
  t.is(done.error, "task 0 failed after 1 attempt: exited with code 3");
  const attempts = await eventually("every task's last line", async () => {
    const found = attemptsOf(await readJobLog(engine, "tries-all", name));
    return [...found.values()].filter((a) => a.end !== undefined).length === 3 && found;
  });
  t.deepEqual([...attempts.keys()].sort(), ["0/0", "1/0", "2/0"], "one attempt of each task, task 0 not retried");
  const intervals = [...attempts.values()].map((a) => ({ start: a.start!, end: a.end! }));
  t.is(maxOverlap(intervals), 1, "parallelism 1 still holds after the failure");
});

test("jobs execute --wait exits 0 when every task succeeded", async (t) => {
  await createJob(engine, "waits-ok", ["--image", image, "--tasks", "2", ...taskEnv({ FIXTURE_TASK_MS: 500 })]);
  const args = ["jobs", "execute", "waits-ok", "--wait"];
  const result = await engine.skiff(args);
  t.is(result.code, 0, transcript(args, result));
  const name = /^Execution (waits-ok-[a-z]{5}) started; waiting for it to finish\.\.\.\n/.exec(result.stdout)?.[1];
  t.truthy(name, result.stdout);
  t.is(
    result.stdout,
    `Execution ${name} started; waiting for it to finish...\nExecution ${name} succeeded: 2 succeeded, 0 failed, 0 cancelled, 0 running, 0 retried.\n`,
  );
  t.is(result.stderr, "");
  t.is((await describeExecution(engine, name!)).status, "SUCCEEDED");
});

test("jobs execute --wait exits 1 when a task failed, printing that task with its exit code and its last log lines", async (t) => {
  await createJob(engine, "waits-bad", [
    "--image",
    image,
    "--tasks",
    "3",
    "--max-retries",
    "0",
    ...taskEnv({ FIXTURE_TASK_MS: 500, FIXTURE_EXIT_CODE: 7, FIXTURE_FAIL_INDEXES: 1 }),
  ]);
  const args = ["jobs", "execute", "waits-bad", "--wait"];
  const result = await engine.skiff(args);
  t.is(result.code, 1, transcript(args, result));
  const name = /^Execution (waits-bad-[a-z]{5}) started/.exec(result.stdout)?.[1];
  t.truthy(name, result.stdout);
  t.is(
    result.stdout,
    `Execution ${name} started; waiting for it to finish...\nExecution ${name} failed: 2 succeeded, 1 failed, 0 cancelled, 0 running, 0 retried.\n`,
  );

  // The failed task (and only it), then its own log lines exactly as `logs read` has them.
  const logText = await readJobLogText(engine, "waits-bad", name!);
  const gcloudName = ["jobs", "logs", "read", "waits-bad", "--execution", name!, "--limit", "1000"];
  const same = await engine.skiff(gcloudName);
  t.is(same.stdout, logText, `gcloud's jobs logs read prints what logs read prints\n${transcript(gcloudName, same)}`);
  const own = parseJobLog(logText).filter((l) => l.task === 1);
  const ownText = logText.split("\n").filter((l) => / task 1 attempt 0 /.test(l));
  const stderr = result.stderr.split("\n").filter(Boolean);
  t.is(stderr[0], "skiff: error: task 1 failed after 1 attempt(s): exited with code 7 (exit code 7)", result.stderr);
  t.deepEqual(
    stderr.slice(1),
    ownText.map((l) => `  ${l}`),
    "the task's log tail follows, indented",
  );
  // stdout and stderr are two streams: their relative order is not kept, so compare as a set.
  t.deepEqual(
    own.map((l) => `${l.stream}: ${l.text.replace(/\d{13}/, "<ms>").replace(/ env .*/, " env ...")}`).sort(),
    [
      "stdout: task 1 attempt 0 start <ms>",
      "stdout: task 1 attempt 0 env ...",
      "stdout: task 1 attempt 0 end <ms>",
      "stderr: fixture: task 1 attempt 0 failing with exit code 7",
      // The engine's own line: why the attempt failed (as Cloud Run logs a failed task).
      "engine: the attempt failed: exited with code 7",
    ].sort(),
    "the tail includes the task's last line, written just before it exited, and the engine's line saying why it failed",
  );
});

test("jobs execute --async returns at once with the execution's name, while its task still runs", async (t) => {
  await createJob(engine, "async", ["--image", image, ...taskEnv({ FIXTURE_TASK_MS: 15_000 })]);
  const args = ["jobs", "execute", "async", "--async"];
  const before = Date.now();
  const result = await engine.skiff(args);
  const elapsed = Date.now() - before;
  t.is(result.code, 0, transcript(args, result));
  const name = /^Execution (async-[a-z]{5}) started: 1 task\(s\)\.\n$/.exec(result.stdout)?.[1];
  t.truthy(name, `stdout names the execution: ${JSON.stringify(result.stdout)}`);
  t.true(elapsed < 15_000, `returned after ${elapsed} ms, before the 15 s task could have finished`);
  const running = await describeExecution(engine, name!);
  t.like(running, { status: "RUNNING", runningCount: 1, succeededCount: 0 });
  t.is(attemptsOf(await readJobLog(engine, "async", name!)).get("0/0")?.end, undefined, "the task has not ended yet");
  const done = await waitForExecution(engine, name!);
  t.like(done, { status: "SUCCEEDED", succeededCount: 1 });
});

test("jobs deploy|update --execute-now [--wait] run an execution of the job as it now is (gcloud's flags)", async (t) => {
  // Deploy creates the job and waits for its execution: the exit code is the execution's.
  const deployArgs = [
    "jobs",
    "deploy",
    "at-once",
    "--image",
    image,
    "--tasks",
    "2",
    "--execute-now",
    "--wait",
    ...taskEnv({ FIXTURE_TASK_MS: 300 }),
  ];
  const deployed = await engine.skiff(deployArgs);
  t.is(deployed.code, 0, transcript(deployArgs, deployed));
  const first = /^Job at-once created\.\nExecution (at-once-[a-z]{5}) started; waiting for it to finish\.\.\.\n/.exec(deployed.stdout)?.[1];
  t.truthy(first, deployed.stdout);
  t.true(
    deployed.stdout.endsWith(`Execution ${first} succeeded: 2 succeeded, 0 failed, 0 cancelled, 0 running, 0 retried.\n`),
    deployed.stdout,
  );
  t.like(await describeExecution(engine, first!), { status: "SUCCEEDED", succeededCount: 2 });

  // Update changes the template first: the new execution runs with it (one failing task, so --wait exits 1).
  const updateArgs = [
    "jobs",
    "update",
    "at-once",
    "--max-retries",
    "0",
    "--execute-now",
    "--wait",
    ...taskEnv({ FIXTURE_TASK_MS: 300, FIXTURE_EXIT_CODE: 3, FIXTURE_FAIL_INDEXES: 0 }),
  ];
  const updated = await engine.skiff(updateArgs);
  t.is(updated.code, 1, transcript(updateArgs, updated));
  const second = /^Job at-once updated\.\nExecution (at-once-[a-z]{5}) started; waiting/.exec(updated.stdout)?.[1];
  t.truthy(second, updated.stdout);
  t.regex(updated.stderr, /^skiff: error: task 0 failed after 1 attempt\(s\): exited with code 3/m);
  t.like(await describeExecution(engine, second!), { status: "FAILED", failedCount: 1, succeededCount: 1 });

  // Without --wait the command returns once the execution is created; --async with --execute-now is refused before anything changes.
  const asyncArgs = ["jobs", "update", "at-once", "--execute-now", "--format", "value(metadata.name)"];
  const started = await engine.skiff(asyncArgs);
  t.is(started.code, 0, transcript(asyncArgs, started));
  t.is(started.stdout, "at-once\n", "other formats print only the job, the object the command is about");
  await eventually("a third execution", async () => (await listExecutions(engine, ["--job", "at-once"])).length === 3);
  const generation = (await (await engine.api()).getJob("default", "at-once")).generation;
  const refusedArgs = ["jobs", "update", "at-once", "--tasks", "5", "--execute-now", "--async"];
  const refused = await engine.skiff(refusedArgs);
  t.is(refused.code, 1, transcript(refusedArgs, refused));
  t.is(refused.stderr, "skiff: error: --async: cannot be combined with --execute-now (at most one of --async | --execute-now --wait)\n");
  t.is((await (await engine.api()).getJob("default", "at-once")).generation, generation, "the job is unchanged");

  // --wait alone implies --execute-now, as in gcloud: the change, then an execution followed to its end (it fails: exit 1).
  const waitArgs = ["jobs", "update", "at-once", "--tasks", "1", "--wait"];
  const waited = await engine.skiff(waitArgs);
  t.is(waited.code, 1, transcript(waitArgs, waited));
  const fourth = /^Job at-once updated\.\nExecution (at-once-[a-z]{5}) started; waiting/.exec(waited.stdout)?.[1];
  t.truthy(fourth, waited.stdout);
  t.like(await describeExecution(engine, fourth!), { status: "FAILED", failedCount: 1 });
  t.is((await (await engine.api()).getJob("default", "at-once")).template.taskCount, 1);
});

test("jobs executions describe-latest --job J describes the job's newest execution (gcloud's command); a job never run is exit 1 naming --job", async (t) => {
  await createJob(engine, "latest-one", ["--image", image, ...taskEnv()]);
  const none = ["jobs", "executions", "describe-latest", "--job", "latest-one"];
  const refused = await engine.skiff(none);
  t.is(refused.code, 1, transcript(none, refused));
  t.is(refused.stderr, 'skiff: error: --job: job "latest-one" has no executions yet\n');
  const first = await executeJob(engine, "latest-one");
  await waitForExecution(engine, first.name);
  const second = await executeJob(engine, "latest-one");
  await waitForExecution(engine, second.name);
  const args = ["jobs", "executions", "describe-latest", "--job", "latest-one", "--format", "value(metadata.name,status.succeededCount)"];
  const latest = await engine.skiff(args);
  t.is(latest.code, 0, transcript(args, latest));
  t.is(latest.stdout, `${second.name}\t1\n`);
  const table = await engine.skiff(["jobs", "executions", "describe-latest", "--job", "latest-one"]);
  t.true(table.stdout.startsWith(`Execution ${second.name} of job latest-one: SUCCEEDED\n`), table.stdout);
});

test("executions list --job and tasks list --execution of a job or execution that does not exist list nothing and exit 0, as gcloud's label-selector lists do", async (t) => {
  for (const args of [
    ["jobs", "executions", "list", "--job", "never-made"],
    ["jobs", "executions", "tasks", "list", "--execution", "never-made-abcde"],
  ]) {
    const table = await engine.skiff(args);
    t.is(table.code, 0, transcript(args, table));
    t.is(table.stderr, "", transcript(args, table));
    const json = await engine.skiff([...args, "--format", "json"]);
    t.is(json.code, 0, transcript(args, json));
    t.deepEqual(JSON.parse(json.stdout), []);
  }
});
