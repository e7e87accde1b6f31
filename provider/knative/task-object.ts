import { taskName } from "../model/derived-names";
import type { Execution, TaskState, TaskStatus } from "../model/job";
import { executionToCloudRun, type KnativeObject } from "./objects";

/**
 * A task as Cloud Run's v1 API has it (`namespaces/{ns}/tasks`), for gcloud's `run jobs executions
 * tasks list|describe`: named as the v2 API names it (`<execution>-task<index>`), labelled with its
 * job, execution and running state (gcloud filters and colours by
 * `run.googleapis.com/runningState`), its spec the execution's task spec, its status the index,
 * times, retries and the last attempt's exit code.
 */

const RUNNING_STATE: Record<TaskState, string> = {
  PENDING: "Pending",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

export function taskToCloudRun(e: Execution, t: TaskStatus): KnativeObject {
  const execution = executionToCloudRun(e) as { spec: { template: { spec: KnativeObject } } };
  const finished = t.state === "SUCCEEDED" || t.state === "FAILED" || t.state === "CANCELLED";
  const time = t.completionTime ?? t.startTime ?? e.createTime;
  const completed = {
    type: "Completed",
    status: finished ? (t.state === "SUCCEEDED" ? "True" : "False") : "Unknown",
    ...(t.state === "FAILED" ? { reason: "NonZeroExitCode" } : t.state === "CANCELLED" ? { reason: "Cancelled" } : {}),
    ...(t.state === "FAILED" && t.lastError ? { message: t.lastError } : {}),
    lastTransitionTime: time,
  };
  return {
    apiVersion: "run.googleapis.com/v1",
    kind: "Task",
    metadata: {
      name: taskName(e.name, t.index),
      namespace: e.project,
      creationTimestamp: e.createTime,
      labels: {
        "run.googleapis.com/job": e.job,
        "run.googleapis.com/execution": e.name,
        "run.googleapis.com/runningState": RUNNING_STATE[t.state],
      },
    },
    spec: execution.spec.template.spec,
    status: {
      conditions: [completed, ...(t.startTime ? [{ type: "Started", status: "True", lastTransitionTime: t.startTime }] : [])],
      index: t.index,
      ...(t.startTime ? { startTime: t.startTime } : {}),
      ...(finished && t.completionTime ? { completionTime: t.completionTime } : {}),
      retried: t.attempt,
      ...(finished && t.state !== "CANCELLED"
        ? {
            lastAttemptResult: {
              ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
              status: t.state === "SUCCEEDED" ? { code: 0 } : { code: 2, message: t.lastError ?? "the task failed" },
            },
          }
        : {}),
    },
  };
}
