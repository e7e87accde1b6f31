import test from "ava";
import { cloudRunJobPathOf, jobSpecFromCloudRun } from "../../provider/knative/job-from-cloud-run";
import { jobToCloudRun, serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { SkiffError } from "../../provider/model/errors";
import { parseJobSpec, type Job } from "../../provider/model/job";
import type { Service } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";

// The v1 (Knative) API's objects of several containers, both ways: what a GET shows, PUT back,
// is the same template, for a service (its revision's containers) and a job (its task's).

const T0 = "2026-01-01T00:00:00Z";

test("a v1 Job of a main container and a sidecar: the GET's object PUT back is the same template, nothing ignored", (t) => {
  const spec = parseJobSpec({
    template: {
      image: "task:1",
      containerName: "main",
      dependsOn: ["db"],
      sidecars: [{ name: "db", image: "db:1", env: { X: "1" }, startupProbe: { tcpSocket: { port: 5432 }, periodSeconds: 1 } }],
    },
  });
  const job: Job = { name: "j", project: "default", ...spec, generation: 1, executionCount: 0, createTime: T0, updateTime: T0 };
  const object = JSON.parse(JSON.stringify(jobToCloudRun(job))) as {
    spec: { template: { spec: { template: { spec: { containers: { name: string }[] } } } } };
  };
  t.deepEqual(
    object.spec.template.spec.template.spec.containers.map((c) => c.name),
    ["main", "db"],
  );
  const v1 = jobSpecFromCloudRun(object);
  t.deepEqual(v1.ignored, []);
  t.deepEqual(parseJobSpec(v1.spec).template, job.template);
});

test("a v1 Job's bad sidecar is named at the task's container as sent", (t) => {
  const plan = jobSpecFromCloudRun({
    apiVersion: "run.googleapis.com/v1",
    kind: "Job",
    metadata: { name: "j" },
    spec: {
      template: {
        spec: {
          template: {
            metadata: { annotations: { "run.googleapis.com/container-dependencies": '{"db":["nope"]}' } },
            spec: {
              containers: [
                { name: "main", image: "t:1" },
                { name: "db", image: "d:1" },
              ],
            },
          },
        },
      },
    },
  });
  try {
    parseJobSpec(plan.spec);
    t.fail("a dependsOn naming no container was accepted");
  } catch (error) {
    if (!(error instanceof SkiffError)) throw error;
    t.deepEqual(
      error.violations.map((v) => cloudRunJobPathOf(v.field)),
      ["spec.template.spec.template.spec.containers[1].dependsOn[0]"],
    );
  }
});

test("a v1 Service of two containers: the GET's object PUT back is the same template", (t) => {
  const template = parseServiceTemplate({
    image: "proxy:1",
    containerName: "app",
    dependsOn: ["backend"],
    sidecars: [{ name: "backend", image: "backend:1", startupProbe: { tcpSocket: { port: 9000 } } }],
  });
  const service = {
    name: "pair",
    project: "default",
    template,
    labels: {},
    ingress: "all",
    invokers: [],
    traffic: [],
    trafficStatuses: [],
    url: "http://pair.localhost:8080",
    generation: 1,
    scaling: [],
    createTime: T0,
    updateTime: T0,
  } as Service;
  const plan = planReplace(JSON.parse(JSON.stringify(serviceToKnative(service))), "default");
  t.deepEqual(plan.ignored, []);
  t.deepEqual(parseServiceTemplate(plan.spec.template), template);
});
