import test from "ava";
import { afterAttempt, executionCounts, executionStatus, tasksToStart, type TaskProgress } from "../../provider/controller/execution-plan";
import type { TaskState } from "../../provider/model/job";

// The rules of an execution as pure functions: what an ended attempt does to its task, which
// tasks start next, and the execution's status.

const task = (index: number, state: TaskState, attempt = 0): TaskProgress => ({ index, state, attempt });
const tasks = (states: string): TaskProgress[] =>
  [...states].map((c, i) =>
    task(i, ({ P: "PENDING", R: "RUNNING", S: "SUCCEEDED", F: "FAILED", C: "CANCELLED" } as Record<string, TaskState>)[c]),
  );

const failure = { succeeded: false as const, reason: "exited with code 1" };

test("afterAttempt: a succeeded attempt makes the task SUCCEEDED at the same attempt", (t) => {
  t.deepEqual(afterAttempt(task(4, "RUNNING", 2), { succeeded: true }, 3), task(4, "SUCCEEDED", 2));
});

test("afterAttempt: a failed attempt below maxRetries puts the task back in line for the next attempt", (t) => {
  t.deepEqual(afterAttempt(task(1, "RUNNING", 0), failure, 3), task(1, "PENDING", 1));
  t.deepEqual(afterAttempt(task(1, "RUNNING", 2), failure, 3), task(1, "PENDING", 3));
});

test("afterAttempt: the attempt numbered maxRetries failing fails the task for good (maxRetries + 1 attempts in all)", (t) => {
  t.deepEqual(afterAttempt(task(1, "RUNNING", 3), failure, 3), task(1, "FAILED", 3));
  t.deepEqual(afterAttempt(task(0, "RUNNING", 0), failure, 0), task(0, "FAILED", 0), "maxRetries 0: the first failure is final");
  t.deepEqual(afterAttempt(task(0, "RUNNING", 10), { succeeded: false, reason: "timed out after 2 s" }, 10), task(0, "FAILED", 10));
});

test("afterAttempt: a timeout or a vanished container is a failure like any other", (t) => {
  for (const reason of ["timed out after 2 s", "its container vanished while the engine was down", "memory limit exceeded"]) {
    t.deepEqual(afterAttempt(task(2, "RUNNING", 0), { succeeded: false, reason }, 1), task(2, "PENDING", 1), reason);
  }
});

test("tasksToStart: the lowest pending indices first, up to parallelism minus the running ones", (t) => {
  t.deepEqual(tasksToStart(tasks("PPPPPPPPPP"), 3, false), [0, 1, 2]);
  t.deepEqual(tasksToStart(tasks("SRRPPPPPPP"), 3, false), [3]);
  t.deepEqual(tasksToStart(tasks("RRRPPPPPPP"), 3, false), []);
  t.deepEqual(tasksToStart(tasks("SSSSSSSSPP"), 3, false), [8, 9]);
  // A retried task is pending again and keeps its place by index.
  t.deepEqual(tasksToStart([task(0, "PENDING", 1), task(1, "RUNNING"), task(2, "PENDING")], 2, false), [0]);
  t.deepEqual(
    tasksToStart([task(3, "PENDING"), task(1, "PENDING"), task(2, "PENDING")], 2, false),
    [1, 2],
    "sorted by index, not by list order",
  );
});

test("tasksToStart: parallelism 0 starts every pending task at once", (t) => {
  t.deepEqual(tasksToStart(tasks("PPPPP"), 0, false), [0, 1, 2, 3, 4]);
  t.deepEqual(tasksToStart(tasks("RSPPC"), 0, false), [2, 3]);
});

test("tasksToStart: more running than parallelism (e.g. after a restart) starts nothing", (t) => {
  t.deepEqual(tasksToStart(tasks("RRRRP"), 2, false), []);
});

test("tasksToStart: a FAILED task stops nothing (Cloud Run tries every task); a cancel stops everything", (t) => {
  t.deepEqual(tasksToStart(tasks("FPPP"), 3, false), [1, 2, 3]);
  t.deepEqual(tasksToStart(tasks("SRFP"), 0, false), [3]);
  t.deepEqual(tasksToStart(tasks("FRPP"), 2, false), [2], "parallelism still counts the running ones");
  t.deepEqual(tasksToStart(tasks("PPPP"), 3, true), []);
  t.deepEqual(tasksToStart(tasks("FPPP"), 3, true), []);
});

test("executionStatus: RUNNING while any task runs, even after a failure or a cancel request", (t) => {
  t.is(executionStatus(tasks("SRF"), false), "RUNNING");
  t.is(executionStatus(tasks("RCC"), true), "RUNNING");
  t.is(executionStatus(tasks("PPP"), false), "RUNNING");
  t.is(executionStatus(tasks("SSP"), false), "RUNNING", "a pending task can still start");
});

test("executionStatus: SUCCEEDED only when every task succeeded", (t) => {
  t.is(executionStatus(tasks("SSSSS"), false), "SUCCEEDED");
  t.is(executionStatus(tasks("S"), false), "SUCCEEDED");
});

test("executionStatus: FAILED once every task was tried and one failed; RUNNING while a task is still pending", (t) => {
  t.is(executionStatus(tasks("SF"), false), "FAILED");
  t.is(executionStatus(tasks("FFS"), false), "FAILED");
  t.is(executionStatus(tasks("FSSS"), false), "FAILED");
  t.is(executionStatus(tasks("FPPP"), false), "RUNNING", "the pending tasks still run after a failure");
  t.is(executionStatus(tasks("FSSP"), false), "RUNNING");
});

test("executionStatus: a cancel request with nothing running is CANCELLED, whatever the tasks' outcomes", (t) => {
  t.is(executionStatus(tasks("CCCC"), true), "CANCELLED");
  t.is(executionStatus(tasks("SFCC"), true), "CANCELLED");
  t.is(executionStatus(tasks("SSSS"), true), "CANCELLED");
});

test("the rules together: 10 tasks at parallelism 3, one failing twice with 3 retries, end SUCCEEDED with 2 retries and never more than 3 running", (t) => {
  let state = Array.from({ length: 10 }, (_, i) => task(i, "PENDING"));
  let maxRunning = 0;
  let retried = 0;
  for (let step = 0; step < 100 && executionStatus(state, false) === "RUNNING"; step++) {
    for (const i of tasksToStart(state, 3, false)) state[i] = { ...state[i], state: "RUNNING" };
    maxRunning = Math.max(maxRunning, state.filter((s) => s.state === "RUNNING").length);
    // The lowest running task ends; task 4 fails its first two attempts.
    const ending = state.find((s) => s.state === "RUNNING")!;
    const outcome = ending.index === 4 && ending.attempt < 2 ? failure : { succeeded: true as const };
    const next = afterAttempt(ending, outcome, 3);
    if (next.attempt > ending.attempt) retried++;
    state = state.map((s) => (s.index === ending.index ? next : s));
  }
  t.is(executionStatus(state, false), "SUCCEEDED");
  t.is(maxRunning, 3);
  t.is(retried, 2);
  t.deepEqual(
    state.map((s) => s.attempt),
    [0, 0, 0, 0, 2, 0, 0, 0, 0, 0],
  );
});

test("the rules together: 5 tasks at parallelism 1 with task 1 failing for good still run tasks 2..4, then end FAILED (1 failed, 4 succeeded)", (t) => {
  let state = Array.from({ length: 5 }, (_, i) => task(i, "PENDING"));
  const started: number[] = [];
  for (let step = 0; step < 100 && executionStatus(state, false) === "RUNNING"; step++) {
    for (const i of tasksToStart(state, 1, false)) {
      started.push(i);
      state[i] = { ...state[i], state: "RUNNING" };
    }
    const ending = state.find((s) => s.state === "RUNNING")!;
    const next = afterAttempt(ending, ending.index === 1 ? failure : { succeeded: true }, 1);
    state = state.map((s) => (s.index === ending.index ? next : s));
  }
  t.is(executionStatus(state, false), "FAILED");
  t.deepEqual(started, [0, 1, 1, 2, 3, 4], "task 1 twice (maxRetries 1), then the rest in order");
  t.deepEqual(
    state.map((s) => s.state),
    ["SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"],
  );
});

test("executionCounts: retriedCount is the number of tasks retried at least once (Cloud Run's definition), not of retries", (t) => {
  const progress = [task(0, "SUCCEEDED", 2), task(1, "FAILED", 3), task(2, "SUCCEEDED", 0), task(3, "RUNNING", 1), task(4, "CANCELLED", 0)];
  t.deepEqual(executionCounts(progress), { runningCount: 1, succeededCount: 2, failedCount: 1, cancelledCount: 1, retriedCount: 3 });
  t.is(executionCounts([task(0, "SUCCEEDED", 2)]).retriedCount, 1, "one task failing twice then succeeding: 1, not 2");
});
