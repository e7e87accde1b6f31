import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import {
  attemptsOf,
  containersOfExecution,
  createJob,
  describeExecution,
  executeJob,
  readJobLog,
  taskEnv,
  waitForExecution,
} from "../helpers/jobs";

// How tasks are stopped: past their timeout (SIGTERM, 10 s grace, SIGKILL; a timed-out attempt
// fails even when it exits cleanly within the grace) and on cancel. Serial: the bounds are timings
// of one second, so the tests do not share the engine's CPU with each other.

const GRACE_MS = 10_000;
/** What the bounds allow beyond the contract's exact moment: Docker's and the engine's own latency. */
const SLACK_MS = 1_000;

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

const ms = (iso: string | undefined) => (iso === undefined ? NaN : Date.parse(iso));

test.serial(
  "a task that sleeps past its 2 s timeout is stopped at 2 s, killed by 12 s (+1 s), and counted failed; one that exits cleanly within the grace still timed out",
  async (t) => {
    // Ignores SIGTERM, so only SIGKILL at the end of the grace ends it.
    await createJob(engine, "stubborn", [
      "--image",
      image,
      "--task-timeout",
      "2s",
      "--max-retries",
      "0",
      ...taskEnv({ FIXTURE_TASK_MS: 60_000, FIXTURE_TRAP_SIGTERM: 1 }),
    ]);
    // Exits 0 one second after SIGTERM; with one retry, so the timed-out attempt is seen to be retried.
    await createJob(engine, "polite", [
      "--image",
      image,
      "--task-timeout",
      "2s",
      "--max-retries",
      "1",
      ...taskEnv({ FIXTURE_TASK_MS: 60_000, FIXTURE_TRAP_SIGTERM: "exit-after:1000" }),
    ]);
    const [stubborn, polite] = await Promise.all([executeJob(engine, "stubborn"), executeJob(engine, "polite")]);
    const [s, p] = await Promise.all([waitForExecution(engine, stubborn.name, 60_000), waitForExecution(engine, polite.name, 60_000)]);

    t.like(s, {
      status: "FAILED",
      succeededCount: 0,
      failedCount: 1,
      retriedCount: 0,
      error: "task 0 failed after 1 attempt: timed out after 2 s",
    });
    t.like(s.tasks[0], { state: "FAILED", attempt: 0, exitCode: 137, lastError: "timed out after 2 s" });
    const sLog = await eventually("the stubborn task's SIGTERM line", async () => {
      const a = attemptsOf(await readJobLog(engine, "stubborn", stubborn.name)).get("0/0");
      return a?.sigtermAt !== undefined && a;
    });
    const start = ms(s.tasks[0].startTime);
    const sigterm = sLog.sigtermAt! - start;
    const killed = ms(s.tasks[0].completionTime) - start;
    t.true(
      sigterm >= 2000 - 5 && sigterm <= 2000 + SLACK_MS,
      `SIGTERM reached the task ${sigterm} ms after it started; the timeout is 2 s`,
    );
    t.true(
      killed >= 2000 + GRACE_MS - 5 && killed <= 2000 + GRACE_MS + SLACK_MS,
      `the task ended ${killed} ms after it started: SIGKILL at timeout + 10 s grace`,
    );
    t.is(sLog.end, undefined, "the task never reached its own end");

    t.like(p, {
      status: "FAILED",
      succeededCount: 0,
      failedCount: 1,
      retriedCount: 1,
      error: "task 0 failed after 2 attempts: timed out after 2 s",
    });
    t.like(p.tasks[0], { state: "FAILED", attempt: 1, exitCode: 0, lastError: "timed out after 2 s" });
    const pLog = await eventually("both polite attempts' exit lines", async () => {
      const found = attemptsOf(await readJobLog(engine, "polite", polite.name));
      const exited = [...found.values()].filter((a) => a.lines.some((l) => l.text === "fixture: exiting after trapped SIGTERM"));
      return exited.length === 2 && found;
    });
    t.deepEqual([...pLog.keys()], ["0/0", "0/1"], "the cleanly exiting timed-out attempt 0 counted failed and was retried once");
    const lastStart = ms(p.tasks[0].startTime);
    const ended = ms(p.tasks[0].completionTime) - lastStart;
    // Exit code 0, not 137: it ended itself, one second after its SIGTERM, inside the grace.
    t.true(
      ended >= 3000 - 5 && ended <= 2000 + GRACE_MS + SLACK_MS,
      `attempt 1 ended ${ended} ms after it started: after the 2 s timeout and the 1 s it took to exit, within timeout + grace + 1 s`,
    );

    await eventually(
      "no container of either execution remains",
      async () =>
        (await containersOfExecution(engine, stubborn.name)).length + (await containersOfExecution(engine, polite.name)).length === 0,
      15_000,
    );
  },
);

test.serial(
  "cancelling a running execution stops its running tasks within the grace, cancels the pending ones, and leaves no container",
  async (t) => {
    // Two of four tasks run; both ignore SIGTERM, so cancel can only end them with SIGKILL after the grace.
    await createJob(engine, "cancel-me", [
      "--image",
      image,
      "--tasks",
      "4",
      "--parallelism",
      "2",
      ...taskEnv({ FIXTURE_TASK_MS: 60_000, FIXTURE_TRAP_SIGTERM: 1 }),
    ]);
    const { name } = await executeJob(engine, "cancel-me");
    await eventually(
      "tasks 0 and 1 started",
      async () => {
        const found = attemptsOf(await readJobLog(engine, "cancel-me", name));
        return found.get("0/0")?.start !== undefined && found.get("1/0")?.start !== undefined;
      },
      30_000,
    );

    const before = Date.now();
    // --async: the answer comes once the cancel is asked for, so the state right after shows the running tasks stopping.
    const cancelled = await engine.skiff(["executions", "cancel", name, "--async"]);
    const after = Date.now();
    t.is(cancelled.code, 0, cancelled.stderr);
    const answer = await describeExecution(engine, name);
    t.like(
      answer,
      { status: "RUNNING", runningCount: 2, cancelledCount: 2 },
      "the pending tasks are cancelled at once; the running ones are stopping",
    );
    t.deepEqual(
      answer.tasks.map((task) => task.state),
      ["RUNNING", "RUNNING", "CANCELLED", "CANCELLED"],
    );

    const done = await waitForExecution(engine, name, 30_000);
    t.like(done, {
      status: "CANCELLED",
      runningCount: 0,
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: 4,
      retriedCount: 0,
      error: undefined,
    });
    t.deepEqual(
      done.tasks.map((task) => task.state),
      ["CANCELLED", "CANCELLED", "CANCELLED", "CANCELLED"],
    );

    const attempts = await eventually("both running tasks' SIGTERM lines", async () => {
      const found = attemptsOf(await readJobLog(engine, "cancel-me", name));
      return found.get("0/0")?.sigtermAt !== undefined && found.get("1/0")?.sigtermAt !== undefined && found;
    });
    t.deepEqual([...attempts.keys()].sort(), ["0/0", "1/0"], "the pending tasks 2 and 3 never started");
    for (const i of [0, 1]) {
      const sigtermAt = attempts.get(`${i}/0`)!.sigtermAt!;
      t.true(
        sigtermAt >= before && sigtermAt <= after + SLACK_MS,
        `task ${i} got SIGTERM at ${sigtermAt}, between the cancel request (${before}) and its answer (${after}) + 1 s`,
      );
      const stoppedAfter = ms(done.tasks[i].completionTime) - sigtermAt;
      t.true(
        stoppedAfter >= GRACE_MS - 500 && stoppedAfter <= GRACE_MS + SLACK_MS,
        `task ${i} ended ${stoppedAfter} ms after its SIGTERM: SIGKILL at the 10 s grace`,
      );
    }
    t.true(
      ms(done.completionTime) - before <= GRACE_MS + 2 * SLACK_MS,
      `CANCELLED ${ms(done.completionTime) - before} ms after the cancel request`,
    );
    await eventually("no container of the execution remains", async () => (await containersOfExecution(engine, name)).length === 0, 10_000);
  },
);

test.serial("cancelling an execution that already finished fails, naming the execution, and changes nothing", async (t) => {
  await createJob(engine, "quick", ["--image", image, ...taskEnv()]);
  const { name } = await executeJob(engine, "quick");
  const done = await waitForExecution(engine, name);
  t.is(done.status, "SUCCEEDED");
  const result = await engine.skiff(["executions", "cancel", name]);
  t.is(result.code, 1, result.stderr);
  t.is(result.stderr, `skiff: error: execution: "${name}" has already finished (succeeded)\n`);
  t.like(await waitForExecution(engine, name), { status: "SUCCEEDED", succeededCount: 1, cancelledCount: 0 });
});
