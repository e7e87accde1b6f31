import test from "ava";
import type { Execution, ExecutionStatus } from "../../provider/model/job";
import { executionToCloudRun } from "../../provider/knative/objects";

// The v1 (Knative-shaped) Execution's conditions, which gcloud polls: `jobs execute` waits for
// Started, `jobs execute --wait` for Completed.

const T0 = "2026-12-07T00:00:00.000Z";
const T1 = "2026-12-07T00:00:05.000Z";

function conditionsOf(status: ExecutionStatus): Record<string, string> {
  const done = status !== "RUNNING";
  const object = executionToCloudRun({
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
  } as unknown as Execution) as { status: { conditions: { type: string; status: string }[] } };
  return Object.fromEntries(object.status.conditions.map((c) => [c.type, c.status]));
}

test("a running execution is Started and ResourcesAvailable, its Completed Unknown", (t) => {
  t.like(conditionsOf("RUNNING"), { Completed: "Unknown", ResourcesAvailable: "True", Started: "True" });
});

test("a finished execution keeps Started True; Completed says how it ended", (t) => {
  t.like(conditionsOf("SUCCEEDED"), { Completed: "True", Started: "True" });
  t.like(conditionsOf("FAILED"), { Completed: "False", Started: "True" });
  t.like(conditionsOf("CANCELLED"), { Completed: "False", Started: "True" });
});
