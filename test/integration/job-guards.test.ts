import test from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import { skiffOk, transcript } from "../helpers/cli";
import {
  containersOfExecution,
  createJob,
  describeExecution,
  executeJob,
  listExecutions,
  listJobs,
  readJobLog,
  taskEnv,
  waitForExecution,
} from "../helpers/jobs";

// What the engine refuses about jobs, it refuses in one line naming the flag and the field (or the
// job), with exit 1, and without creating anything.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  await createJob(engine, "keeper", ["--image", image, ...taskEnv()]);
  const { name } = await executeJob(engine, "keeper");
  await waitForExecution(engine, name);
  // Its container goes ~2 s after it exits; the tests compare against the settled state.
  await eventually("keeper's task container is removed", async () => (await containersOfExecution(engine, name)).length === 0, 15_000);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Everything a refused command could have changed: jobs, executions, containers of this engine. */
async function observableState() {
  const jobs = (await listJobs(engine)).map((j) => ({
    name: j.name,
    generation: j.generation,
    executionCount: j.executionCount,
    template: j.template,
  }));
  const executions = (await listExecutions(engine)).map((e) => `${e.name} ${e.job} ${e.status}`);
  const containers = (await engine.containers()).map((c) => `${c.name} ${c.state}`).sort();
  return { jobs, executions, containers };
}

/** Runs a command that must be refused: exit 1 and exactly `line` on stderr, nothing on stdout. */
async function refused(t: import("ava").ExecutionContext, args: string[], line: string) {
  const result = await engine.skiff(args);
  t.is(result.code, 1, transcript(args, result));
  t.is(result.stderr, `${line}\n`, transcript(args, result));
  t.is(result.stdout, "", transcript(args, result));
}

test.serial(
  "jobs create with a bad --tasks, --parallelism, --max-retries or --task-timeout exits 1 naming the flag and field, and creates nothing",
  async (t) => {
    const before = await observableState();
    t.is(before.jobs.length, 1);
    t.is(before.executions.length, 1);
    const create = (...flags: string[]) => ["jobs", "create", "bad", "--image", image, ...flags];
    await refused(t, create("--tasks", "0"), "skiff: error: --tasks (template.taskCount): must be between 1 and 10000");
    await refused(
      t,
      create("--parallelism", "-1"),
      "skiff: error: --parallelism (template.parallelism): must be between 0 (all at once) and 10000",
    );
    await refused(t, create("--max-retries", "11"), "skiff: error: --max-retries (template.maxRetries): must be between 0 and 10");
    // Not a duration at all: refused by the CLI before anything is sent, naming the flag.
    await refused(
      t,
      create("--task-timeout", "soon"),
      'skiff: error: --task-timeout: expected a duration such as 30, 500ms, 5s, 1m30s or 15m, got "soon"',
    );
    await refused(
      t,
      create("--task-timeout", "0"),
      "skiff: error: --task-timeout (template.timeout): must be between 1 and 604800 seconds",
    );
    await refused(t, create("--tasks", "two"), 'skiff: error: --tasks: must be a whole number, got "two"');
    t.deepEqual(await observableState(), before);
    t.is((await engine.skiff(["jobs", "describe", "bad"])).code, 1, "no job bad");
  },
);

test.serial("jobs execute of an unknown job exits 1 naming the job, and starts nothing", async (t) => {
  const before = await observableState();
  await refused(t, ["jobs", "execute", "nosuch"], 'skiff: error: job: "nosuch" not found in project "default"');
  await refused(t, ["jobs", "execute", "nosuch", "--wait"], 'skiff: error: job: "nosuch" not found in project "default"');
  t.deepEqual(await observableState(), before);
});

test.serial(
  "jobs execute with a bad --tasks or --task-timeout override exits 1 naming the flag and field, and starts nothing",
  async (t) => {
    const before = await observableState();
    await refused(
      t,
      ["jobs", "execute", "keeper", "--tasks", "0"],
      "skiff: error: --tasks (overrides.taskCount): must be between 1 and 10000",
    );
    await refused(
      t,
      ["jobs", "execute", "keeper", "--task-timeout", "0"],
      "skiff: error: --task-timeout (overrides.timeout): must be between 1 and 604800 seconds",
    );
    t.deepEqual(await observableState(), before);
  },
);

test.serial("a CLOUD_RUN_ variable in --set-env-vars or --update-env-vars is refused as reserved, naming the flag and field", async (t) => {
  const before = await observableState();
  const reserved =
    "is reserved: the platform sets CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_INDEX, CLOUD_RUN_TASK_ATTEMPT and CLOUD_RUN_TASK_COUNT";
  await refused(
    t,
    ["jobs", "create", "envy", "--image", image, "--set-env-vars", "CLOUD_RUN_TASK_INDEX=3"],
    `skiff: error: --set-env-vars (template.env.CLOUD_RUN_TASK_INDEX): ${reserved}`,
  );
  await refused(
    t,
    ["jobs", "execute", "keeper", "--update-env-vars", "CLOUD_RUN_JOB=other"],
    `skiff: error: --update-env-vars (overrides.env.CLOUD_RUN_JOB): ${reserved}`,
  );
  t.deepEqual(await observableState(), before);
});

test.serial(
  "executing a job right after jobs delete exits 1 naming the job; its executions and containers are gone and none is created",
  async (t) => {
    const before = await observableState();
    await createJob(engine, "doomed", ["--image", image, ...taskEnv({ FIXTURE_TASK_MS: 60_000 })]);
    const running = await executeJob(engine, "doomed");
    await eventually(
      "doomed's task container is running",
      async () => (await engine.containers()).some((c) => c.labels["skiff.execution"] === running.name && c.state === "running"),
      30_000,
    );

    const deleted = await engine.skiff(["jobs", "delete", "doomed"]);
    t.is(deleted.code, 0, transcript(["jobs", "delete", "doomed"], deleted));
    await refused(t, ["jobs", "execute", "doomed"], 'skiff: error: job: "doomed" not found in project "default"');

    const executions = await listExecutions(engine);
    t.deepEqual(
      executions.filter((e) => e.job === "doomed").map((e) => e.name),
      [],
      "the job's executions went with it and no new one was made",
    );
    await refused(t, ["executions", "describe", running.name], `skiff: error: execution: "${running.name}" not found in project "default"`);
    // The deleted job's running task is stopped in the background (SIGTERM, grace); then nothing of it is left.
    await eventually(
      "no container of the deleted job remains",
      async () => !(await engine.containers()).some((c) => c.labels["skiff.job"] === "doomed"),
      20_000,
    );
    t.deepEqual(await observableState(), before);
  },
);

test.serial(
  "jobs replace takes back what jobs describe --format export prints (a changed taskCount is the next generation); a bad file exits 1 naming its field and changes nothing; jobs executions is gcloud's name for executions",
  async (t) => {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-jobs-replace-"));
    t.teardown(() => fs.rm(scratch, { recursive: true, force: true }));
    const exported = await engine.skiff(["jobs", "describe", "keeper", "--format", "export"]);
    t.is(exported.code, 0, transcript(["jobs", "describe"], exported));
    const before = (await listJobs(engine)).find((j) => j.name === "keeper")!;
    const file = path.join(scratch, "keeper.yaml");
    await fs.writeFile(file, exported.stdout.replace(/taskCount: 1\n/, "taskCount: 2\n"));
    const replaced = await engine.skiff(["jobs", "replace", file]);
    t.is(replaced.code, 0, transcript(["jobs", "replace", file], replaced));
    t.is(replaced.stdout, `Job keeper replaced: generation ${before.generation + 1}.\n`);
    const after = (await listJobs(engine)).find((j) => j.name === "keeper")!;
    t.deepEqual(after.template, { ...before.template, taskCount: 2 }, "only what the file changed");

    const state = await observableState();
    const bad = path.join(scratch, "bad.yaml");
    await fs.writeFile(bad, exported.stdout.replace(/taskCount: 1\n/, "taskCount: 0\n"));
    const refusedReplace = await engine.skiff(["jobs", "replace", bad]);
    t.is(refusedReplace.code, 1, transcript(["jobs", "replace", bad], refusedReplace));
    t.regex(refusedReplace.stderr, /^skiff: error: spec\.template\.spec\.taskCount \(template\.taskCount\): /);
    await fs.writeFile(bad, "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: keeper\n");
    await refused(
      t,
      ["jobs", "replace", bad],
      "skiff: error: FILE: expected a Cloud Run Job (apiVersion: run.googleapis.com/v1, kind: Job), got apiVersion serving.knative.dev/v1, kind Service",
    );
    t.deepEqual(await observableState(), state, "the refused files changed nothing");

    const gcloudName = await engine.skiff(["jobs", "executions", "list", "--job", "keeper", "--region", "us-central1"]);
    const skiffName = await engine.skiff(["executions", "list", "--job", "keeper"]);
    t.is(gcloudName.code, 0, transcript(["jobs", "executions", "list"], gcloudName));
    t.is(gcloudName.stdout, skiffName.stdout);
    t.regex(gcloudName.stdout, /keeper-[a-z0-9]{5}/);
  },
);

test.serial("jobs create|update|deploy take gcloud's label flags; two kinds at once are refused and change nothing", async (t) => {
  const labelsOf = async () => (await (await engine.api()).getJob("default", "labelled")).labels;
  await createJob(engine, "labelled", ["--image", image, "--labels", "team=data,tier=batch", ...taskEnv()]);
  t.deepEqual(await labelsOf(), { team: "data", tier: "batch" });
  const update = (...flags: string[]) => ["jobs", "update", "labelled", ...flags];
  t.is((await engine.skiff(update("--update-labels", "tier=nightly,owner=ops", "--remove-labels", "team"))).code, 0);
  t.deepEqual(await labelsOf(), { tier: "nightly", owner: "ops" });
  const before = await observableState();
  await refused(
    t,
    update("--labels", "a=b", "--update-labels", "c=d"),
    "skiff: error: --labels: cannot be combined with --update-labels/--remove-labels",
  );
  t.deepEqual(await labelsOf(), { tier: "nightly", owner: "ops" });
  t.deepEqual(await observableState(), before);
  t.is((await engine.skiff(["jobs", "deploy", "labelled", "--labels", "only=this"])).code, 0);
  t.deepEqual(await labelsOf(), { only: "this" });
  t.is((await engine.skiff(update("--clear-labels"))).code, 0);
  t.deepEqual(await labelsOf(), {});
  await engine.skiff(["jobs", "delete", "labelled", "--quiet"]);
});

test.serial(
  "jobs executions delete refuses a running execution, naming it; once cancelled it is forgotten, its log lines kept",
  async (t) => {
    await createJob(engine, "forgettable", ["--image", image, ...taskEnv({ FIXTURE_TASK_MS: 60_000 })]);
    const { name } = await executeJob(engine, "forgettable");
    await eventually("the task has started", async () => (await readJobLog(engine, "forgettable", name)).length > 0, 15_000);
    await refused(
      t,
      ["jobs", "executions", "delete", name, "--quiet"],
      `skiff: error: execution: "${name}" is still running; cancel it first, then delete it`,
    );
    await skiffOk(engine, ["executions", "cancel", name]);
    await waitForExecution(engine, name);
    const args = ["jobs", "executions", "delete", name, "--quiet"];
    const deleted = await engine.skiff(args);
    t.is(deleted.code, 0, transcript(args, deleted));
    t.is(deleted.stdout, `deleted execution ${name}\n`);
    t.false(
      (await listExecutions(engine)).some((e) => e.name === name),
      "no longer listed",
    );
    t.is((await engine.skiff(["executions", "describe", name])).code, 1);
    t.true((await readJobLog(engine, "forgettable", name)).length > 0, "its lines stay in the job's log");
    await engine.skiff(["jobs", "delete", "forgettable", "--quiet"]);
  },
);

test.serial(
  "jobs executions cancel returns once the execution has ended, CANCELLED with no task running, as gcloud's does; --async returns as soon as it is asked",
  async (t) => {
    // Each task takes 2 s to end after its SIGTERM: a cancel that did not wait would return while it still runs.
    await createJob(engine, "slow-to-stop", [
      "--image",
      image,
      "--max-retries",
      "0",
      ...taskEnv({ FIXTURE_TASK_MS: 60_000, FIXTURE_TRAP_SIGTERM: "exit-after:2000" }),
    ]);
    const started = async () => {
      const { name } = await executeJob(engine, "slow-to-stop");
      await eventually("the task has started", async () => (await readJobLog(engine, "slow-to-stop", name)).length > 0, 15_000);
      return name;
    };

    const first = await started();
    const args = ["jobs", "executions", "cancel", first, "--quiet"];
    const cancelled = await engine.skiff(args);
    t.is(cancelled.code, 0, transcript(args, cancelled));
    t.is(cancelled.stdout, `Execution ${first} cancelled: 0 succeeded, 0 failed, 1 cancelled, 0 running, 0 retried.\n`);
    t.like(
      await describeExecution(engine, first),
      { status: "CANCELLED", runningCount: 0, cancelledCount: 1 },
      "ended when the command returned",
    );

    const second = await started();
    const asyncArgs = ["jobs", "executions", "cancel", second, "--quiet", "--async"];
    const asked = await engine.skiff(asyncArgs);
    t.is(asked.code, 0, transcript(asyncArgs, asked));
    t.regex(asked.stdout, new RegExp(`^Execution ${second} is being cancelled: `));
    t.like(await describeExecution(engine, second), { status: "RUNNING" }, "--async did not wait for the task's 2 s");
    t.like(await waitForExecution(engine, second), { status: "CANCELLED", cancelledCount: 1 });
    await engine.skiff(["jobs", "delete", "slow-to-stop", "--quiet"]);
  },
);
