import test from "ava";
import { jobSpecFromCloudRun } from "../../provider/knative/job-from-cloud-run";
import { executionToCloudRun, jobToCloudRun } from "../../provider/knative/objects";
import { parseJobSpec, type Execution, type Job } from "../../provider/model/job";

// A Cloud Run v1 Job keeps its annotations (container dependencies, Cloud SQL instances, and the
// cloud-only ones) on its execution template, `spec.template.metadata.annotations`: its task
// template has only a spec. skiff prints them there, reads them there, and names what it ignores.

const T0 = "2026-01-01T00:00:00Z";
const DEPS = "run.googleapis.com/container-dependencies";

/** A job as Cloud Run's docs write one: a main container waiting for a helper, cloud-only annotations beside. */
function docsJob(annotationsAt: "execution" | "task") {
  const annotations = { [DEPS]: '{"main":["helper"]}', "run.googleapis.com/execution-environment": "gen2" };
  const taskSpec = {
    containers: [
      { name: "main", image: "task:1" },
      { name: "helper", image: "helper:1" },
    ],
    maxRetries: 1,
    timeoutSeconds: "600",
  };
  return {
    apiVersion: "run.googleapis.com/v1",
    kind: "Job",
    metadata: { name: "batch", annotations: { "run.googleapis.com/launch-stage": "BETA" } },
    spec: {
      template: {
        ...(annotationsAt === "execution" ? { metadata: { annotations } } : {}),
        spec: {
          taskCount: 3,
          template: { ...(annotationsAt === "task" ? { metadata: { annotations } } : {}), spec: taskSpec },
        },
      },
    },
  };
}

test("a Cloud Run docs job's container dependencies on its execution template are read; the cloud-only annotations are named as ignored", (t) => {
  const plan = jobSpecFromCloudRun(docsJob("execution"));
  t.deepEqual(parseJobSpec(plan.spec).template.dependsOn, ["helper"]);
  t.deepEqual(plan.ignored, [
    "metadata.annotations.run.googleapis.com/launch-stage",
    "spec.template.metadata.annotations.run.googleapis.com/execution-environment",
  ]);
});

test("a file skiff printed before, with the annotations on the task template, still reads the same", (t) => {
  const plan = jobSpecFromCloudRun(docsJob("task"));
  t.deepEqual(parseJobSpec(plan.spec).template.dependsOn, ["helper"]);
  t.deepEqual(plan.ignored, [
    "metadata.annotations.run.googleapis.com/launch-stage",
    "spec.template.spec.template.metadata.annotations.run.googleapis.com/execution-environment",
  ]);
});

test("a job's and an execution's objects carry the annotations where Cloud Run has them, and the job's reads back as the same template, nothing ignored", (t) => {
  const spec = parseJobSpec({
    template: {
      image: "task:1",
      containerName: "main",
      dependsOn: ["helper"],
      sidecars: [{ name: "helper", image: "helper:1" }],
      volumes: [{ name: "cloudsql", cloudSqlInstance: { instances: ["proj:europe-west1:db"] } }],
      volumeMounts: [{ name: "cloudsql", mountPath: "/cloudsql" }],
    },
  });
  const job: Job = { name: "batch", project: "default", ...spec, generation: 1, executionCount: 0, createTime: T0, updateTime: T0 };
  const object = JSON.parse(JSON.stringify(jobToCloudRun(job)));
  t.deepEqual(Object.keys(object.spec.template.metadata.annotations).sort(), ["run.googleapis.com/cloudsql-instances", DEPS]);
  t.is(object.spec.template.spec.template.metadata, undefined, "a task template has no metadata in Cloud Run's Job");
  const back = jobSpecFromCloudRun(object);
  t.deepEqual(back.ignored, []);
  t.deepEqual(parseJobSpec(back.spec).template, job.template);

  const execution = executionToCloudRun({
    name: "batch-abcde",
    project: "default",
    job: "batch",
    template: job.template,
    status: "RUNNING",
    createTime: T0,
    startTime: T0,
    runningCount: 1,
    succeededCount: 0,
    failedCount: 0,
    cancelledCount: 0,
    retriedCount: 0,
  } as unknown as Execution) as { metadata: { annotations: Record<string, string> }; spec: { template: Record<string, unknown> } };
  t.is(execution.metadata.annotations[DEPS], '{"main":["helper"]}');
  t.deepEqual(Object.keys(execution.spec.template), ["spec"]);
});
