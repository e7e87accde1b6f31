import test from "ava";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { jobSpecFromV2 } from "../../provider/cloudrun-v2/job-from-v2";
import { jobToV2 } from "../../provider/cloudrun-v2/job-to-v2";
import { decodeMessage, encodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { jobSpecFromCloudRun } from "../../provider/knative/job-from-cloud-run";
import { jobToCloudRun } from "../../provider/knative/objects";
import type { FieldViolation } from "../../provider/model/errors";
import { parseJobSpec, type Job } from "../../provider/model/job";
import { parseServiceTemplate } from "../../provider/model/template";
import { serviceObject } from "../helpers/service-object";

// Secrets and volumes in Cloud Run's Knative YAML, both ways: what `services describe --format
// export` prints `services replace` takes back as the same template (a Cloud SQL volume named
// "cloudsql" at /cloudsql is the cloudsql-instances annotation there).

const template = parseServiceTemplate({
  image: "img:1",
  env: { PLAIN: "x" },
  secretEnv: { DB_PASSWORD: { secret: "db-pass", version: "1" } },
  volumes: [
    { name: "keys", secret: { secret: "api-key", items: [{ path: "api-key", version: "latest" }] } },
    { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
    { name: "data", gcs: { bucket: "my-bucket", readOnly: true } },
    { name: "share", nfs: { server: "nfs.test", path: "/exports" } },
    { name: "cloudsql", cloudSqlInstance: { instances: ["proj:europe-west1:db"] } },
  ],
  volumeMounts: [
    { name: "keys", mountPath: "/secrets" },
    { name: "scratch", mountPath: "/scratch" },
    { name: "data", mountPath: "/data" },
    { name: "share", mountPath: "/share" },
    { name: "cloudsql", mountPath: "/cloudsql" },
  ],
});

const service = serviceObject(template);

test("the export names secrets by name and version (never a value) and each volume in Knative's words", (t) => {
  const k = serviceToKnative(service) as any;
  const spec = k.spec.template.spec;
  t.deepEqual(spec.containers[0].env, [
    { name: "PLAIN", value: "x" },
    { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db-pass", key: "1" } } },
  ]);
  t.deepEqual(spec.volumes, [
    { name: "keys", secret: { secretName: "api-key", items: [{ key: "latest", path: "api-key" }] } },
    { name: "scratch", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
    { name: "data", csi: { driver: "gcsfuse.run.googleapis.com", readOnly: true, volumeAttributes: { bucketName: "my-bucket" } } },
    { name: "share", nfs: { server: "nfs.test", path: "/exports", readOnly: false } },
  ]);
  t.is(k.spec.template.metadata.annotations["run.googleapis.com/cloudsql-instances"], "proj:europe-west1:db");
  t.false(spec.containers[0].volumeMounts.some((m: { name: string }) => m.name === "cloudsql"));
});

test("services replace reads the export back as the same template, with no field ignored", (t) => {
  const plan = planReplace(serviceToKnative(service), "default");
  t.deepEqual(plan.ignored, []);
  t.deepEqual(parseServiceTemplate(plan.spec.template), template);
});

test("a job's secrets and volumes survive both Google APIs: its Cloud Run v1 object PUT back (the v1 API) and its v2 Job sent back (the v2 API) are the same template", (t) => {
  const spec = parseJobSpec({ template: { image: "img:1", env: { PLAIN: "x" }, ...mounted(template), taskCount: 2 } });
  const job: Job = {
    name: "report",
    project: "default",
    ...spec,
    generation: 1,
    executionCount: 0,
    createTime: "2026-01-01T00:00:00Z",
    updateTime: "2026-01-01T00:00:00Z",
  };

  const v1 = jobSpecFromCloudRun(JSON.parse(JSON.stringify(jobToCloudRun(job))));
  t.deepEqual(v1.ignored, []);
  t.deepEqual(parseJobSpec(v1.spec).template, job.template);

  const violations: FieldViolation[] = [];
  const wire = JSON.parse(
    JSON.stringify(encodeMessage("Job", jobToV2(job, { project: "default", location: "here" }), { intEnums: false })),
  );
  const v2 = jobSpecFromV2(decodeMessage("Job", wire, "job", violations), "job");
  t.deepEqual(violations, []);
  t.deepEqual(parseJobSpec(v2).template, job.template);
});

function mounted(t: typeof template) {
  return { secretEnv: t.secretEnv, volumes: t.volumes, volumeMounts: t.volumeMounts };
}
