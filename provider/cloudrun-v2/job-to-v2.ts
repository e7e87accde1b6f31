import type { Execution, Job, TaskStatus } from "../model/job";
import { taskName } from "../model/derived-names";
import { condition, etagOf, failedCondition, uidOf } from "./conditions";
import { executionResourceName, jobResourceName, taskResourceName, type Scope } from "./resource-names";
import { JOB_TEMPLATE_FIELDS, toWire } from "./template-fields";

/**
 * skiff's jobs, executions and tasks as Cloud Run v2 Job, Execution and Task messages. An
 * execution's terminal condition is "Completed": succeeded, failed (with each failed task's
 * exit code, reason NON_ZERO_EXIT_CODE) or cancelled (reason CANCELLED); running, it is pending
 * with `reconciling`. Tasks are named `<execution>-task<index>`.
 */

type Wire = Record<string, unknown>;

const COMPLETION_STATUS = {
  RUNNING: "EXECUTION_RUNNING",
  SUCCEEDED: "EXECUTION_SUCCEEDED",
  FAILED: "EXECUTION_FAILED",
  CANCELLED: "EXECUTION_CANCELLED",
} as const;

export function jobEtag(j: Job): string {
  return etagOf({ generation: j.generation, template: j.template, labels: j.labels });
}

export function executionEtag(e: Execution): string {
  return etagOf({ name: e.name, status: e.status, running: e.runningCount, done: e.succeededCount + e.failedCount + e.cancelledCount });
}

export function jobToV2(j: Job, scope: Scope): Wire {
  const latest = j.latestExecution;
  return {
    name: jobResourceName(scope, j.name),
    uid: uidOf("job", j.project, j.name, j.createTime),
    generation: j.generation,
    labels: j.labels,
    createTime: j.createTime,
    updateTime: j.updateTime,
    launchStage: "GA",
    template: toWire(JOB_TEMPLATE_FIELDS, j.template),
    observedGeneration: j.generation,
    terminalCondition: condition("Ready", "CONDITION_SUCCEEDED", j.updateTime),
    conditions: [],
    executionCount: j.executionCount,
    latestCreatedExecution: latest && {
      name: latest.name,
      createTime: latest.createTime,
      completionTime: latest.completionTime,
      completionStatus: COMPLETION_STATUS[latest.status],
    },
    reconciling: false,
    etag: jobEtag(j),
  };
}

/** The TaskTemplate an execution's tasks run (the ExecutionTemplate's inner template). */
function taskTemplate(e: Execution): Wire {
  return (toWire(JOB_TEMPLATE_FIELDS, e.template).template ?? {}) as Wire;
}

export function executionToV2(e: Execution, scope: Scope, logUri: string): Wire {
  const time = e.completionTime ?? e.startTime;
  const completed =
    e.status === "SUCCEEDED"
      ? condition("Completed", "CONDITION_SUCCEEDED", time)
      : e.status === "FAILED"
        ? { ...failedCondition("Completed", time, e.error, "UNKNOWN"), reason: undefined, executionReason: "NON_ZERO_EXIT_CODE" }
        : e.status === "CANCELLED"
          ? { ...condition("Completed", "CONDITION_FAILED", time), message: "the execution was cancelled", executionReason: "CANCELLED" }
          : condition("Completed", "CONDITION_PENDING", time);
  return {
    name: executionResourceName(scope, e.job, e.name),
    uid: uidOf("execution", e.project, e.name, e.createTime),
    generation: 1,
    labels: { "run.googleapis.com/job": e.job },
    createTime: e.createTime,
    startTime: e.startTime,
    completionTime: e.completionTime,
    updateTime: time,
    launchStage: "GA",
    job: e.job,
    parallelism: e.template.parallelism,
    taskCount: e.template.taskCount,
    template: taskTemplate(e),
    reconciling: e.status === "RUNNING",
    conditions: [
      completed,
      condition("ResourcesAvailable", "CONDITION_SUCCEEDED", e.startTime),
      condition("Started", "CONDITION_SUCCEEDED", e.startTime),
    ],
    observedGeneration: 1,
    runningCount: e.runningCount,
    succeededCount: e.succeededCount,
    failedCount: e.failedCount,
    cancelledCount: e.cancelledCount,
    retriedCount: e.retriedCount,
    logUri,
    etag: executionEtag(e),
  };
}

export { taskName };

/** The index a task name gives, for `execution`'s tasks; undefined for any other name. */
export function taskIndexOf(execution: string, name: string): number | undefined {
  const match = new RegExp(`^${execution}-task(\\d+)$`).exec(name);
  return match ? Number(match[1]) : undefined;
}

const TASK_STATE = {
  PENDING: "CONDITION_PENDING",
  RUNNING: "CONDITION_RECONCILING",
  SUCCEEDED: "CONDITION_SUCCEEDED",
  FAILED: "CONDITION_FAILED",
  CANCELLED: "CONDITION_FAILED",
} as const;

export function taskToV2(e: Execution, t: TaskStatus, scope: Scope, logUri: string): Wire {
  const time = t.completionTime ?? t.startTime ?? e.createTime;
  const name = taskName(e.name, t.index);
  const finished = t.state === "SUCCEEDED" || t.state === "FAILED" || t.state === "CANCELLED";
  const template = taskTemplate(e);
  return {
    name: taskResourceName(scope, e.job, e.name, name),
    uid: uidOf("task", e.project, name, e.createTime),
    generation: 1,
    labels: { "run.googleapis.com/job": e.job, "run.googleapis.com/execution": e.name },
    createTime: e.createTime,
    startTime: t.startTime,
    completionTime: t.completionTime,
    updateTime: time,
    job: e.job,
    execution: e.name,
    containers: template.containers,
    maxRetries: template.maxRetries,
    timeout: template.timeout,
    serviceAccount: template.serviceAccount,
    reconciling: !finished,
    conditions: [
      t.state === "FAILED"
        ? { ...failedCondition("Completed", time, t.lastError, "UNKNOWN"), reason: undefined, executionReason: "NON_ZERO_EXIT_CODE" }
        : t.state === "CANCELLED"
          ? { ...condition("Completed", "CONDITION_FAILED", time), executionReason: "CANCELLED" }
          : condition("Completed", TASK_STATE[t.state], time),
    ],
    observedGeneration: 1,
    index: t.index,
    retried: t.attempt,
    lastAttemptResult:
      finished && t.state !== "CANCELLED"
        ? {
            status: t.state === "SUCCEEDED" ? { code: 0, message: "" } : { code: 2, message: t.lastError ?? "the task failed" },
            exitCode: t.exitCode,
          }
        : undefined,
    logUri,
    etag: etagOf({ execution: e.name, index: t.index, state: t.state, attempt: t.attempt }),
  };
}
