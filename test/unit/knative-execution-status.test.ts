import test from "ava";
import { parseLabelSelector } from "../../provider/api/knative-v1-common";
import { jobSpecFromCloudRun } from "../../provider/knative/job-from-cloud-run";
import { taskToCloudRun } from "../../provider/knative/task-object";
import { executionToCloudRun, jobToCloudRun } from "../../provider/knative/objects";
import { parseJobSpec, type Execution, type ExecutionStatus, type Job } from "../../provider/model/job";

// What gcloud reads from the v1 (Knative-shaped) objects: the Execution's conditions (`jobs execute`
// waits for Started, `jobs execute --wait` for Completed) and the Job's execution-template metadata.

const T0 = "2026-12-07T00:00:00.000Z";
const T1 = "2026-12-07T00:00:05.000Z";

function executionObject(status: ExecutionStatus) {
  const done = status !== "RUNNING";
  return executionToCloudRun({
    name: "batch-abcde",
    project: "default",
    job: "batch",
    template: { image: "task:1", taskCount: 1, parallelism: 0, maxRetries: 3, timeout: 600, env: {}, resources: {} },
    status,
    createTime: T0,
    startTime: T0,
    ...(done ? { completionTime: T1 } : {}),
    runningCount: done ? 0 : 1,
    succeededCount: status === "SUCCEEDED" ? 1 : 0,
    failedCount: status === "FAILED" ? 1 : 0,
    cancelledCount: status === "CANCELLED" ? 1 : 0,
    retriedCount: 0,
  } as unknown as Execution) as { status: { conditions: { type: string; status: string; reason?: string }[] } };
}

function conditionsOf(status: ExecutionStatus): Record<string, string> {
  return Object.fromEntries(executionObject(status).status.conditions.map((c) => [c.type, c.status]));
}

function completedReason(status: ExecutionStatus): string | undefined {
  return executionObject(status).status.conditions.find((c) => c.type === "Completed")?.reason;
}

test("a running execution is Started and ResourcesAvailable, its Completed Unknown", (t) => {
  t.like(conditionsOf("RUNNING"), { Completed: "Unknown", ResourcesAvailable: "True", Started: "True" });
});

test("a finished execution keeps Started True; Completed says how it ended", (t) => {
  t.like(conditionsOf("SUCCEEDED"), { Completed: "True", Started: "True" });
  t.like(conditionsOf("FAILED"), { Completed: "False", Started: "True" });
  t.like(conditionsOf("CANCELLED"), { Completed: "False", Started: "True" });
});

test("Completed's reason: Cancelled for a cancelled execution (gcloud's executions cancel checks it), NonZeroExitCode for a failed one", (t) => {
  t.is(completedReason("CANCELLED"), "Cancelled");
  t.is(completedReason("FAILED"), "NonZeroExitCode");
  t.is(completedReason("SUCCEEDED"), undefined);
  t.is(completedReason("RUNNING"), undefined);
});

test("a job without annotations still has metadata on its execution template (gcloud's jobs describe reads it), and reads back with nothing ignored", (t) => {
  const spec = parseJobSpec({ template: { image: "task:1" } });
  const job: Job = { name: "batch", project: "default", ...spec, generation: 1, executionCount: 0, createTime: T0, updateTime: T0 };
  const object = JSON.parse(JSON.stringify(jobToCloudRun(job)));
  t.deepEqual(object.spec.template.metadata, {});
  const back = jobSpecFromCloudRun(object);
  t.deepEqual(back.ignored, []);
  t.deepEqual(parseJobSpec(back.spec).template, job.template);
  // An annotation under it is still read (or named as ignored), not swallowed by the empty case.
  object.spec.template.metadata = { annotations: { "example.com/unknown": "x" } };
  t.deepEqual(jobSpecFromCloudRun(object).ignored, ["spec.template.metadata.annotations.example.com/unknown"]);
});

test("a v1 Task: named <execution>-task<index>, labelled with its running state, its last attempt's exit code", (t) => {
  const execution = {
    name: "batch-abcde",
    project: "default",
    job: "batch",
    template: parseJobSpec({ template: { image: "task:1", taskCount: 2 } }).template,
    status: "FAILED",
    createTime: T0,
    startTime: T0,
    completionTime: T1,
    tasks: [
      { index: 0, state: "SUCCEEDED", attempt: 0, exitCode: 0, startTime: T0, completionTime: T1 },
      { index: 1, state: "FAILED", attempt: 2, exitCode: 7, lastError: "exited with code 7", startTime: T0, completionTime: T1 },
    ],
  } as unknown as Execution;
  const failed = JSON.parse(JSON.stringify(taskToCloudRun(execution, execution.tasks[1])));
  t.is(failed.metadata.name, "batch-abcde-task1");
  t.deepEqual(failed.metadata.labels, {
    "run.googleapis.com/job": "batch",
    "run.googleapis.com/execution": "batch-abcde",
    "run.googleapis.com/runningState": "Failed",
  });
  t.like(failed.status, { index: 1, retried: 2, lastAttemptResult: { exitCode: 7 } });
  t.like(failed.status.conditions[0], { type: "Completed", status: "False", reason: "NonZeroExitCode" });
  t.is(failed.spec.containers[0].image, "task:1");
});

test("label selectors as gcloud sends them: key = value terms and key in (a,b) sets", (t) => {
  t.deepEqual(parseLabelSelector("run.googleapis.com/execution = ex-abcde,run.googleapis.com/runningState in (Succeeded,Failed)"), [
    ["run.googleapis.com/execution", ["ex-abcde"]],
    ["run.googleapis.com/runningState", ["Succeeded", "Failed"]],
  ]);
  t.deepEqual(parseLabelSelector("a==b"), [["a", ["b"]]]);
  t.throws(() => parseLabelSelector("a!=b"), { message: /labelSelector: "a!=b" is not supported/ });
});

test("a v1 Job's status.latestCreatedExecution has completionStatus, as Cloud Run's ExecutionReference: how the latest run went", (t) => {
  const spec = parseJobSpec({ template: { image: "task:1" } });
  const statuses: [ExecutionStatus, string][] = [
    ["RUNNING", "EXECUTION_RUNNING"],
    ["SUCCEEDED", "EXECUTION_SUCCEEDED"],
    ["FAILED", "EXECUTION_FAILED"],
    ["CANCELLED", "EXECUTION_CANCELLED"],
  ];
  for (const [status, completionStatus] of statuses) {
    const latestExecution = { name: "batch-abcde", status, createTime: T0, startTime: T0 } as Job["latestExecution"];
    const job: Job = {
      name: "batch",
      project: "default",
      ...spec,
      generation: 1,
      executionCount: 1,
      latestExecution,
      createTime: T0,
      updateTime: T0,
    };
    const object = jobToCloudRun(job) as { status: { latestCreatedExecution: Record<string, unknown> } };
    t.like(object.status.latestCreatedExecution, { name: "batch-abcde", creationTimestamp: T0, completionStatus });
  }
});
