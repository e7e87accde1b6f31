import type { ExecutionStatus, TaskState } from "../model/job";

/**
 * The rules of an execution, as pure functions: which tasks start next (lowest index first, at most
 * `parallelism` running, 0 = all), what an ended attempt does to its task (retry until maxRetries,
 * then fail), and the execution's status. A task that has exhausted its retries does not stop the
 * others: as Cloud Run's "Create jobs" page says, "If any task exceeds its maximum number of
 * retries, that task is marked as failed. If any tasks failed, the job execution is marked as failed
 * after Cloud Run has tried all of the tasks" (https://cloud.google.com/run/docs/create-jobs).
 */

export interface TaskProgress {
  index: number;
  state: TaskState;
  /** The attempt running now, or the last one; 0 is the first. */
  attempt: number;
}

/** How an attempt ended. A timeout and a vanished container are failures like a non-zero exit. */
export type AttemptOutcome = { succeeded: true } | { succeeded: false; reason: string };

/** The task after an attempt ended: done, failed for good, or back in line for the next attempt. */
export function afterAttempt(task: TaskProgress, outcome: AttemptOutcome, maxRetries: number): TaskProgress {
  if (outcome.succeeded) return { ...task, state: "SUCCEEDED" };
  if (task.attempt < maxRetries) return { ...task, state: "PENDING", attempt: task.attempt + 1 };
  return { ...task, state: "FAILED" };
}

/** Indices of the tasks to start now, lowest first; none once the execution is being cancelled. A failed task stops nothing. */
export function tasksToStart(tasks: readonly TaskProgress[], parallelism: number, stopping: boolean): number[] {
  if (stopping) return [];
  const running = tasks.filter((t) => t.state === "RUNNING").length;
  const limit = parallelism === 0 ? tasks.length : parallelism;
  const room = Math.max(0, limit - running);
  return tasks
    .filter((t) => t.state === "PENDING")
    .map((t) => t.index)
    .sort((a, b) => a - b)
    .slice(0, room);
}

/** RUNNING while any task runs or could still start; then CANCELLED, or FAILED once every task was tried and one failed, or SUCCEEDED. */
export function executionStatus(tasks: readonly TaskProgress[], cancelRequested: boolean): ExecutionStatus {
  if (tasks.some((t) => t.state === "RUNNING")) return "RUNNING";
  if (cancelRequested) return "CANCELLED";
  if (tasks.some((t) => t.state === "PENDING")) return "RUNNING";
  if (tasks.some((t) => t.state === "FAILED")) return "FAILED";
  if (tasks.every((t) => t.state === "SUCCEEDED")) return "SUCCEEDED";
  return "RUNNING";
}

/**
 * An execution's counts from its tasks. retriedCount is the number of tasks that were retried at
 * least once, as Cloud Run defines it (v2 Execution.retriedCount: "The number of tasks which have
 * retried at least once"), not the number of retries: a task retried twice counts once.
 */
export function executionCounts(tasks: readonly TaskProgress[]): {
  runningCount: number;
  succeededCount: number;
  failedCount: number;
  cancelledCount: number;
  retriedCount: number;
} {
  const count = (state: TaskState) => tasks.filter((t) => t.state === state).length;
  return {
    runningCount: count("RUNNING"),
    succeededCount: count("SUCCEEDED"),
    failedCount: count("FAILED"),
    cancelledCount: count("CANCELLED"),
    retriedCount: tasks.filter((t) => t.attempt > 0).length,
  };
}
