import type { ExecutionStatus, TaskState } from "../model/job";

/**
 * The rules of an execution, as pure functions: which tasks start next (lowest index first, at most
 * `parallelism` running, 0 = all), what an ended attempt does to its task (retry until maxRetries,
 * then fail), and the execution's status (it fails as soon as one task has exhausted its retries:
 * the running tasks finish, nothing new starts).
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

/** Indices of the tasks to start now, lowest first; none once the execution failed or was cancelled. */
export function tasksToStart(tasks: readonly TaskProgress[], parallelism: number, stopping: boolean): number[] {
  if (stopping || tasks.some((t) => t.state === "FAILED")) return [];
  const running = tasks.filter((t) => t.state === "RUNNING").length;
  const limit = parallelism === 0 ? tasks.length : parallelism;
  const room = Math.max(0, limit - running);
  return tasks
    .filter((t) => t.state === "PENDING")
    .map((t) => t.index)
    .sort((a, b) => a - b)
    .slice(0, room);
}

/** RUNNING while any task runs or could still start; then CANCELLED, FAILED or SUCCEEDED. */
export function executionStatus(tasks: readonly TaskProgress[], cancelRequested: boolean): ExecutionStatus {
  if (tasks.some((t) => t.state === "RUNNING")) return "RUNNING";
  if (cancelRequested) return "CANCELLED";
  if (tasks.some((t) => t.state === "FAILED")) return "FAILED";
  if (tasks.every((t) => t.state === "SUCCEEDED")) return "SUCCEEDED";
  return "RUNNING";
}
