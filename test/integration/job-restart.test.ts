import test from "ava";
import { containersWithLabels, removeContainers } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import {
  attemptsOf,
  containersOfExecution,
  createJob,
  executeJob,
  overlapsWithinIndex,
  readJobLog,
  sleep,
  taskEnv,
  waitForExecution,
  type AttemptRecord,
  type JobLogLine,
} from "../helpers/jobs";

// The daemon can die mid-execution; the execution cannot. Task containers outlive it, and the
// restarted engine picks the execution up: no task lost, none run twice at once.
// Serial: every test here kills the one engine of this file.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Waits until the log shows these attempts started. */
async function started(job: string, execution: string, keys: string[]): Promise<Map<string, AttemptRecord>> {
  return eventually(
    `attempts ${keys.join(", ")} of ${execution} started`,
    async () => {
      const found = attemptsOf(await readJobLog(engine, job, execution));
      return keys.every((k) => found.get(k)?.start !== undefined) && found;
    },
    30_000,
  );
}

test.serial(
  "kill -9 of the engine mid-execution: after a restart the execution completes with every task once, none run twice at once",
  async (t) => {
    await createJob(engine, "survivor", ["--image", image, "--tasks", "6", "--parallelism", "2", ...taskEnv({ FIXTURE_TASK_MS: 3000 })]);
    const { name } = await executeJob(engine, "survivor");
    await started("survivor", name, ["0/0", "1/0"]);

    await engine.killDaemon();
    const orphans = await containersOfExecution(engine, name);
    t.deepEqual(orphans.map((c) => c.labels["skiff.task"]).sort(), ["0", "1"], "the running tasks' containers outlive the daemon");
    // Long enough for both to exit while nobody watches.
    await sleep(4000);
    await engine.start(engine.samePortFlags());

    const done = await waitForExecution(engine, name, 60_000);
    t.like(
      done,
      { status: "SUCCEEDED", succeededCount: 6, failedCount: 0, cancelledCount: 0, runningCount: 0, retriedCount: 0 },
      engine.logTail(),
    );
    t.deepEqual(
      done.tasks.map((task) => `${task.index} ${task.state} ${task.attempt}`),
      ["0 SUCCEEDED 0", "1 SUCCEEDED 0", "2 SUCCEEDED 0", "3 SUCCEEDED 0", "4 SUCCEEDED 0", "5 SUCCEEDED 0"],
    );

    const attempts = await eventually("every task's end line, including those written while the engine was down", async () => {
      const found = attemptsOf(await readJobLog(engine, "survivor", name));
      return found.size === 6 && [...found.values()].every((a) => a.end !== undefined) && found;
    });
    t.deepEqual([...attempts.keys()].sort(), ["0/0", "1/0", "2/0", "3/0", "4/0", "5/0"], "each index ran exactly once");
    const intervals = [...attempts.values()].map((a) => ({ task: a.task, attempt: a.attempt, start: a.start!, end: a.end! }));
    t.deepEqual(overlapsWithinIndex(intervals), []);
    await eventually("no container of the execution remains", async () => (await containersOfExecution(engine, name)).length === 0, 15_000);
  },
);

test.serial(
  "kill -9 after some tasks ended but before their containers were removed, others still running: after a restart logs read --execution has every line of every task, and no container remains",
  async (t) => {
    await createJob(engine, "chatty", ["--image", image, "--tasks", "6", "--parallelism", "3", ...taskEnv({ FIXTURE_TASK_MS: 3000 })]);
    const { name } = await executeJob(engine, "chatty");
    // A task's container stays ~2 s after its exit (its lines are collected, then it goes): kill in
    // that window, while the next tasks run, so the execution is still running at the restart.
    const atKill = await eventually(
      "some task containers of the execution have exited while others run",
      async () => {
        const states = (await containersOfExecution(engine, name)).map((c) => c.state);
        return states.includes("exited") && states.includes("running") && states;
      },
      30_000,
      50,
    );
    await engine.killDaemon();
    t.log(`at the kill: ${atKill.join(", ")}`);
    await engine.start(engine.samePortFlags());

    const done = await waitForExecution(engine, name, 60_000);
    t.like(done, { status: "SUCCEEDED", succeededCount: 6, failedCount: 0 }, engine.logTail());
    await eventually("no container of the execution remains", async () => (await containersOfExecution(engine, name)).length === 0, 15_000);
    // Each attempt of the fixture writes three lines: start, env and end. A container the kill caught
    // created but not yet started ran nothing: it is removed and its task runs again as attempt 1, so
    // each task has its lines under exactly one attempt, whichever it was.
    // The tasks' own lines (the engine's say why an attempt failed).
    const lines = (await readJobLog(engine, "chatty", name)).filter((l) => l.stream !== "engine");
    const perTask = [0, 1, 2, 3, 4, 5].map((task) => {
      const attempts = [...new Set(lines.filter((l) => l.task === task).map((l) => l.attempt))];
      return attempts.map((attempt) => lines.filter((l) => l.task === task && l.attempt === attempt).map((l) => l.text.split(" ")[4]));
    });
    t.deepEqual(
      perTask,
      Array.from({ length: 6 }, () => [["start", "env", "end"]]),
      `every line of every task, once:\n${lines.map((l) => `${l.task}/${l.attempt} ${l.text.slice(0, 40)}`).join("\n")}`,
    );
    t.is(lines.length, 18);
  },
);

test.serial(
  "a task container that vanished while the engine was down counts as a failed attempt and is retried after it, never beside it",
  async (t) => {
    await createJob(engine, "vanishing", ["--image", image, "--tasks", "4", "--parallelism", "2", ...taskEnv({ FIXTURE_TASK_MS: 4000 })]);
    const { name } = await executeJob(engine, "vanishing");
    // Read while its container lives: a container removed behind the engine's back takes its unread lines with it.
    const beforeKill = await started("vanishing", name, ["0/0", "1/0"]);
    const vanished = beforeKill.get("1/0")!;

    await engine.killDaemon();
    const [victim] = (await containersOfExecution(engine, name)).filter((c) => c.labels["skiff.task"] === "1");
    t.truthy(victim, "task 1's container is there while the engine is down");
    await removeContainers([victim.id]);
    const goneAt = Date.now();
    await engine.start(engine.samePortFlags());

    const done = await waitForExecution(engine, name, 60_000);
    t.like(done, { status: "SUCCEEDED", succeededCount: 4, failedCount: 0, runningCount: 0, retriedCount: 1 }, engine.logTail());
    t.like(done.tasks[1], { index: 1, state: "SUCCEEDED", attempt: 1, exitCode: 0 });

    let engineLines: JobLogLine[] = [];
    const attempts = await eventually("every attempt's end line but the vanished one's", async () => {
      const lines = await readJobLog(engine, "vanishing", name);
      engineLines = lines.filter((l) => l.stream === "engine");
      const found = attemptsOf(lines.filter((l) => l.stream !== "engine"));
      return ["0/0", "1/1", "2/0", "3/0"].every((k) => found.get(k)?.end !== undefined) && found;
    });
    t.deepEqual([...attempts.keys()].sort(), ["0/0", "1/1", "2/0", "3/0"], "the removed attempt's lines went with its container");
    t.deepEqual(
      engineLines.map((l) => `${l.task}/${l.attempt} ${l.text}`),
      ["1/0 the attempt failed: its container vanished while the engine was down; the task will be retried"],
      "the engine says why the attempt failed",
    );
    t.is(vanished.end, undefined, "the removed attempt had not finished");
    attempts.set("1/0", vanished);
    t.is(attempts.get("1/1")?.env.CLOUD_RUN_TASK_ATTEMPT, "1");
    const intervals = [...attempts.values()].map((a) => ({ task: a.task, attempt: a.attempt, start: a.start!, end: a.end ?? goneAt }));
    t.deepEqual(overlapsWithinIndex(intervals), [], "attempt 1 of task 1 started only after attempt 0's container was gone");
    await eventually("no container of the execution remains", async () => (await containersOfExecution(engine, name)).length === 0, 15_000);
  },
);

test.serial(
  "kill -9 while task containers are being created: a container already running is waited for, not retried beside it, and none is left behind",
  async (t) => {
    await createJob(engine, "midstart", ["--image", image, "--tasks", "8", "--parallelism", "8", ...taskEnv({ FIXTURE_TASK_MS: 6000 })]);
    const { name } = await executeJob(engine, "midstart");
    // Kill as soon as Docker runs the first container: the others are still being created.
    await eventually(
      "a task container of the execution runs",
      async () => (await containersWithLabels({ "skiff.execution": name })).some((c) => c.state === "running"),
      30_000,
      20,
    );
    await engine.killDaemon();
    const atKill = await containersOfExecution(engine, name);
    const running = atKill
      .filter((c) => c.state === "running")
      .map((c) => ({ task: Number(c.labels["skiff.task"]), attempt: Number(c.labels["skiff.attempt"]) }));
    t.log(`at the kill: ${atKill.map((c) => `task ${c.labels["skiff.task"]} attempt ${c.labels["skiff.attempt"]} ${c.state}`).join(", ")}`);
    t.true(running.length >= 1);
    await engine.start(engine.samePortFlags());

    const done = await waitForExecution(engine, name, 60_000);
    t.like(done, { status: "SUCCEEDED", succeededCount: 8, failedCount: 0, runningCount: 0 }, engine.logTail());
    // Each of these ran to success on its own; retrying it would have run its index twice at once.
    for (const r of running) {
      t.is(
        done.tasks[r.task].attempt,
        r.attempt,
        `task ${r.task}: its attempt ${r.attempt} was running when the engine died; the engine must wait for it, not start attempt ${done.tasks[r.task].attempt} beside it`,
      );
    }
    const attempts = attemptsOf(await readJobLog(engine, "midstart", name));
    const intervals = [...attempts.values()]
      .filter((a) => a.start !== undefined)
      .map((a) => ({ task: a.task, attempt: a.attempt, start: a.start!, end: a.end ?? Infinity }));
    t.deepEqual(overlapsWithinIndex(intervals), []);
    await eventually(
      "no container of the execution remains",
      async () => (await containersOfExecution(engine, name)).length === 0,
      15_000,
    ).catch(async (error: Error) =>
      t.fail(
        `${error.message}: ${(await containersOfExecution(engine, name)).map((c) => `task ${c.labels["skiff.task"]} attempt ${c.labels["skiff.attempt"]} ${c.state}`).join(", ")}`,
      ),
    );
  },
);

test.serial("kill -9 right after an execution finished, before its container was removed: the restarted engine removes it", async (t) => {
  await createJob(engine, "brief", ["--image", image, ...taskEnv()]);
  // The CLI's JSON is Cloud Run's v1 Execution.
  const result = await engine.skiff(["jobs", "execute", "brief", "--wait", "--format", "json"]);
  t.is(result.code, 0, result.stderr);
  const execution = JSON.parse(result.stdout) as { kind: string; metadata: { name: string }; status: { succeededCount: number } };
  t.is(execution.kind, "Execution");
  t.is(execution.status.succeededCount, 1);
  const name = execution.metadata.name;
  // The container goes ~2 s after its exit; the engine dies first.
  await engine.killDaemon();
  t.deepEqual(
    (await containersOfExecution(engine, name)).map((c) => c.state),
    ["exited"],
    "the exited container is still there when the engine dies",
  );
  await engine.start(engine.samePortFlags());
  await eventually(
    "no container of the finished execution remains after the restart",
    async () => (await containersOfExecution(engine, name)).length === 0,
    15_000,
  ).catch(async (error: Error) =>
    t.fail(`${error.message}: ${(await containersOfExecution(engine, name)).map((c) => `${c.name} ${c.state}`).join(", ")}`),
  );
  t.like(await waitForExecution(engine, name), { status: "SUCCEEDED", succeededCount: 1 });
});
