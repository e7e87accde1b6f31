import test from "ava";
import { afterAttempt, executionStatus, tasksToStart, type TaskProgress } from "../../provider/controller/execution-plan";
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

test("tasksToStart: nothing starts once a task has FAILED, or while the execution is stopping", (t) => {
  t.deepEqual(tasksToStart(tasks("FPPP"), 3, false), []);
  t.deepEqual(tasksToStart(tasks("SRFP"), 0, false), []);
  t.deepEqual(tasksToStart(tasks("PPPP"), 3, true), []);
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

test("executionStatus: FAILED as soon as a failed task leaves nothing running, even with tasks still pending", (t) => {
  t.is(executionStatus(tasks("SF"), false), "FAILED");
  t.is(executionStatus(tasks("FPPP"), false), "FAILED");
  t.is(executionStatus(tasks("FFS"), false), "FAILED");
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
