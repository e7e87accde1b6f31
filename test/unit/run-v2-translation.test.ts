import test from "ava";
import { jobSpecFromV2, overridesFromV2 } from "../../provider/cloudrun-v2/job-from-v2";
import { executionToV2, jobToV2, taskIndexOf, taskToV2 } from "../../provider/cloudrun-v2/job-to-v2";
import { paginate } from "../../provider/cloudrun-v2/paging";
import { httpErrorBody, rpcFailureOf, statusMessage } from "../../provider/cloudrun-v2/rpc-status";
import { serviceSpecFromV2, withWirePaths } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage, encodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import { parseJobSpec, type Execution, type Job } from "../../provider/model/job";
import type { Service } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";
import { validateTraffic } from "../../provider/model/traffic";

// Cloud Run v2 messages ↔ skiff's model: every honoured field lands where the engine reads it,
// what skiff cannot honour is refused by name, errors carry the paths the client sent, and what
// the engine answers reads back as the same spec.

const SCOPE = { project: "default", location: "us-central1" };

function service(overrides: Partial<Service> = {}): Service {
  return {
    name: "hello",
    project: "default",
    template: parseServiceTemplate({ image: "img:1", env: { A: "1" }, port: 9000, timeout: 120, scaling: { maxInstanceCount: 4 } }),
    labels: { team: "web" },
    ingress: "internal",
    invokers: ["allUsers"],
    traffic: [],
    trafficStatuses: [{ type: "LATEST", revision: "hello-00001-abc", percent: 100 }],
    url: "http://hello.localhost:8080",
    latestCreatedRevision: "hello-00001-abc",
    latestReadyRevision: "hello-00001-abc",
    generation: 2,
    scaling: [],
    createTime: "2026-01-01T00:00:00.000Z",
    updateTime: "2026-01-02T00:00:00.000Z",
    ...overrides,
  };
}

function decoded(type: string, json: unknown, root: string): Record<string, unknown> {
  const violations: FieldViolation[] = [];
  const value = decodeMessage(type, json, root, violations);
  if (violations.length > 0) throw new Error(JSON.stringify(violations));
  return value;
}

function violationsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof SkiffError) return error.violations.map((v) => `${v.field}: ${v.reason}`);
    throw error;
  }
  return [];
}

test("a v2 Service's honoured fields become the engine's spec; a new service is private unless invokerIamDisabled", (t) => {
  const wire = decoded(
    "Service",
    {
      labels: { team: "web" },
      ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
      invokerIamDisabled: true,
      template: {
        revision: "hello-blue",
        timeout: "60s",
        serviceAccount: "run@p.iam.gserviceaccount.com",
        maxInstanceRequestConcurrency: 5,
        scaling: { minInstanceCount: 1, maxInstanceCount: 3 },
        vpcAccess: { connector: "ignored" },
        containers: [
          {
            image: "img:2",
            command: ["/srv"],
            args: ["--x"],
            env: [{ name: "A", value: "1" }],
            ports: [{ containerPort: 9000, name: "http1" }],
            resources: { limits: { cpu: "2", memory: "1Gi" } },
            startupProbe: { timeoutSeconds: 3, periodSeconds: 3, failureThreshold: 2, tcpSocket: { port: 9000 } },
          },
        ],
      },
      traffic: [{ type: 1, percent: 100 }],
    },
    "service",
  );
  const { spec, revisionSuffix } = serviceSpecFromV2(wire, { name: "hello", root: "service" });
  t.is(revisionSuffix, "blue");
  t.deepEqual(spec.invokers, ["allUsers"]);
  t.is(spec.ingress, "internal-and-cloud-load-balancing");
  t.deepEqual(spec.traffic, [{ type: "LATEST", percent: 100 }]);
  t.like(spec.template, {
    image: "img:2",
    command: ["/srv"],
    args: ["--x"],
    env: { A: "1" },
    port: 9000,
    timeout: 60,
    maxInstanceRequestConcurrency: 5,
    serviceAccount: "run@p.iam.gserviceaccount.com",
    scaling: { minInstanceCount: 1, maxInstanceCount: 3 },
    resources: { cpu: "2", memory: "1Gi" },
  });
  t.deepEqual(
    spec.template.startupProbe,
    { initialDelaySeconds: 0, timeoutSeconds: 3, periodSeconds: 3, failureThreshold: 2 },
    "the container's own port is not pinned",
  );
  const privateOne = serviceSpecFromV2(decoded("Service", { template: { containers: [{ image: "i" }] } }, "service"), {
    name: "p",
    root: "service",
  });
  t.deepEqual(privateOne.spec.invokers, [], "private, as Cloud Run makes a new service");
  const update = serviceSpecFromV2(decoded("Service", { template: { containers: [{ image: "i" }] } }, "service"), {
    name: "p",
    root: "service",
    currentInvokers: ["user:a@b.c"],
  });
  t.is(update.spec.invokers, undefined, "an update leaves the policy to the IAM calls");
});

test("what the engine answers reads back as the same template and traffic (a GET sent back as an update changes nothing)", (t) => {
  const s = service({ traffic: [{ type: "REVISION", revision: "hello-00001-abc", percent: 100, tag: "blue" }] });
  const wire = serviceToV2(s, SCOPE, { etag: serviceEtag(s) });
  const sentBack = decoded("Service", JSON.parse(JSON.stringify(encodeMessage("Service", wire, { intEnums: true }))), "service");
  const { spec } = serviceSpecFromV2(sentBack, { name: "hello", root: "service", currentInvokers: s.invokers });
  t.deepEqual(spec.template, s.template);
  t.deepEqual(spec.traffic, s.traffic);
  t.is(spec.ingress, s.ingress);
  t.deepEqual(spec.labels, s.labels);
  t.like(wire, {
    name: "projects/default/locations/us-central1/services/hello",
    ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    latestReadyRevision: "projects/default/locations/us-central1/services/hello/revisions/hello-00001-abc",
    uri: "http://hello.localhost:8080",
    reconciling: false,
    terminalCondition: { type: "Ready", state: "CONDITION_SUCCEEDED" },
  });
});

test("HTTP/2 end to end: a port named h2c is the template's http2, written back as h2c; http1 or none is HTTP/1.1; another name is refused at its path", (t) => {
  const spec = (ports: unknown) =>
    serviceSpecFromV2(decoded("Service", { template: { containers: [{ image: "i", ports }] } }, "service"), { name: "s", root: "service" })
      .spec;
  t.is(spec([{ containerPort: 50051, name: "h2c" }]).template?.http2, true);
  t.false("http2" in spec([{ containerPort: 8080, name: "http1" }]).template!);
  t.false("http2" in spec([{ containerPort: 8080 }]).template!);
  t.deepEqual(
    violationsOf(() => spec([{ containerPort: 8080, name: "grpc" }])),
    ['service.template.containers[0].ports[0].name: must be http1 or h2c (HTTP/2 end to end), got "grpc"'],
  );
  const s = service({ template: parseServiceTemplate({ image: "img:1", http2: true }) });
  const wire = serviceToV2(s, SCOPE, { etag: serviceEtag(s) }) as { template: { containers: { ports: unknown }[] } };
  t.deepEqual(wire.template.containers[0].ports, [{ containerPort: 8080, name: "h2c" }]);
  const sentBack = decoded("Service", JSON.parse(JSON.stringify(encodeMessage("Service", wire, { intEnums: true }))), "service");
  t.deepEqual(serviceSpecFromV2(sentBack, { name: "hello", root: "service" }).spec.template, s.template);
});

test("errors name the paths the client sent: a missing image, a reserved variable, a bad quantity, a fraction of a second, traffic that sums to 110", (t) => {
  const spec = (json: unknown) => serviceSpecFromV2(decoded("Service", json, "service"), { name: "s", root: "service" });
  t.deepEqual(
    violationsOf(() => spec({ template: { containers: [{ ports: [{ containerPort: 8080 }] }] } })),
    ["service.template.containers[0].image: is required: the container image to run"],
  );
  t.deepEqual(
    violationsOf(() =>
      spec({
        template: {
          timeout: "1.5s",
          containers: [{ image: "i", env: [{ name: "K_SERVICE", value: "x" }], resources: { limits: { memory: "lots" } } }],
        },
      }),
    ),
    ['service.template.timeout: must be a whole number of seconds (the engine counts whole seconds), got "1.5s"'],
  );
  const reserved = violationsOf(() =>
    spec({
      template: { containers: [{ image: "i", env: [{ name: "K_SERVICE", value: "x" }], resources: { limits: { memory: "lots" } } }] },
    }),
  );
  t.deepEqual(
    reserved.map((v) => v.split(":")[0]),
    ["service.template.containers[0].env", "service.template.containers[0].resources.limits.memory"],
  );
  const traffic = [
    { type: "LATEST" as const, percent: 60 },
    { type: "REVISION" as const, revision: "s-1", percent: 50 },
  ];
  t.deepEqual(
    violationsOf(() => withWirePaths(() => validateTraffic(traffic, [{ name: "s-1", status: "READY" }]), "service")),
    ["service.traffic: percents must sum to 100, got 110"],
  );
});

test("what skiff cannot honour is refused by name: two containers with ports, a mount's subPath, a value source that is not a secret, a second port, no ingress at all", (t) => {
  const spec = (json: unknown) => serviceSpecFromV2(decoded("Service", json, "service"), { name: "s", root: "service" });
  t.deepEqual(
    violationsOf(() =>
      spec({
        ingress: "INGRESS_TRAFFIC_NONE",
        template: {
          volumes: [{ name: "v", emptyDir: {} }],
          containers: [
            {
              image: "a",
              env: [{ name: "S", valueSource: {} }],
              ports: [{ containerPort: 1 }, { containerPort: 2 }],
              volumeMounts: [{ name: "v", mountPath: "/v", subPath: "x" }],
            },
            { image: "b", ports: [{ containerPort: 3 }] },
          ],
        },
      }),
    ).map((v) => v.split(":")[0]),
    [
      "service.template.containers[0].volumeMounts[0].subPath",
      "service.template.containers[0].ports[1]",
      "service.template.containers",
      "service.template.containers[0].env[0].valueSource.secretKeyRef",
      "service.ingress",
    ],
  );
});

test("secrets and volumes: v2's secretKeyRef env and its five kinds of volume become the engine's secretEnv, volumes and volumeMounts, and read back as the same template", (t) => {
  const wire = decoded(
    "Service",
    {
      template: {
        volumes: [
          { name: "keys", secret: { secret: "projects/default/secrets/api-key", items: [{ path: "api-key", version: "2" }] } },
          { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
          { name: "data", gcs: { bucket: "my-bucket", readOnly: true, mountOptions: ["implicit-dirs"] } },
          { name: "share", nfs: { server: "nfs.test", path: "/exports" } },
          { name: "cloudsql", cloudSqlInstance: { instances: ["proj:europe-west1:db"] } },
        ],
        containers: [
          {
            image: "img:3",
            env: [
              { name: "PLAIN", value: "x" },
              { name: "DB_PASSWORD", valueSource: { secretKeyRef: { secret: "db-pass", version: "1" } } },
              { name: "TOKEN", valueSource: { secretKeyRef: { secret: "projects/default/secrets/token" } } },
            ],
            volumeMounts: [
              { name: "keys", mountPath: "/secrets" },
              { name: "scratch", mountPath: "/scratch" },
              { name: "data", mountPath: "/data" },
              { name: "share", mountPath: "/share" },
              { name: "cloudsql", mountPath: "/cloudsql" },
            ],
          },
        ],
      },
    },
    "service",
  );
  const { spec } = serviceSpecFromV2(wire, { name: "mounted", root: "service" });
  const template = parseServiceTemplate(spec.template);
  t.deepEqual(template.env, { PLAIN: "x" });
  t.deepEqual(template.secretEnv, { DB_PASSWORD: { secret: "db-pass", version: "1" }, TOKEN: { secret: "token", version: "latest" } });
  t.deepEqual(template.volumes, [
    { name: "keys", secret: { secret: "api-key", items: [{ path: "api-key", version: "2" }] } },
    { name: "scratch", emptyDir: { medium: "MEMORY", sizeLimit: "64Mi" } },
    { name: "data", gcs: { bucket: "my-bucket", readOnly: true } },
    { name: "share", nfs: { server: "nfs.test", path: "/exports", readOnly: false } },
    { name: "cloudsql", cloudSqlInstance: { instances: ["proj:europe-west1:db"] } },
  ]);
  t.deepEqual(
    template.volumeMounts?.map((m) => m.mountPath),
    ["/secrets", "/scratch", "/data", "/share", "/cloudsql"],
  );

  const s = service({ template });
  const answer = serviceToV2(s, SCOPE, { etag: serviceEtag(s) }) as { template: { containers: { env: unknown[] }[] } };
  t.deepEqual(answer.template.containers[0].env, [
    { name: "PLAIN", value: "x" },
    { name: "DB_PASSWORD", valueSource: { secretKeyRef: { secret: "db-pass", version: "1" } } },
    { name: "TOKEN", valueSource: { secretKeyRef: { secret: "token", version: "latest" } } },
  ]);
  const sentBack = decoded("Service", JSON.parse(JSON.stringify(encodeMessage("Service", answer, { intEnums: false }))), "service");
  t.deepEqual(
    parseServiceTemplate(serviceSpecFromV2(sentBack, { name: "hello", root: "service" }).spec.template),
    template,
    "a GET of a service with secrets and volumes, sent back as an update, keeps them all",
  );
  t.deepEqual(
    violationsOf(() =>
      withWirePaths(
        () =>
          parseServiceTemplate(
            serviceSpecFromV2(
              decoded(
                "Service",
                { template: { volumes: [{ name: "v", gcs: { bucket: "../etc" } }], containers: [{ image: "i" }] } },
                "service",
              ),
              { name: "x", root: "service" },
            ).spec.template,
          ),
        "service",
      ),
    ).map((v) => v.split(":")[0]),
    ["service.template.volumes[0].gcs.bucket"],
  );
});

test("an update mask takes the named fields from the request (clearing those it leaves out) and keeps every other", (t) => {
  const current = { labels: { a: "1" }, template: { timeout: "60s", containers: [{ image: "i" }] }, ingress: "INGRESS_TRAFFIC_ALL" };
  const request = { labels: { b: "2" }, template: { timeout: "5s" } };
  t.deepEqual(applyUpdateMask("Service", current, request, "labels,ingress"), {
    labels: { b: "2" },
    template: { timeout: "60s", containers: [{ image: "i" }] },
  });
  t.deepEqual(applyUpdateMask("Service", current, request, "template.timeout"), {
    ...current,
    template: { timeout: "5s", containers: [{ image: "i" }] },
  });
  t.is(applyUpdateMask("Service", current, request, null), request, "no mask: the request replaces the service");
  t.deepEqual(
    violationsOf(() => applyUpdateMask("Service", current, request, "template.colour")),
    ['updateMask: "template.colour" is not a field of Service'],
  );
});

test("jobs both ways: the template's fields, overrides with clearArgs, executions and tasks with Cloud Run's conditions and names", (t) => {
  const wire = decoded(
    "Job",
    {
      labels: { a: "b" },
      template: {
        taskCount: 3,
        parallelism: 2,
        template: { maxRetries: 0, timeout: "30s", containers: [{ image: "i", args: ["x"], env: [{ name: "E", value: "1" }] }] },
      },
    },
    "job",
  );
  const spec = jobSpecFromV2(wire, "job");
  t.like(spec.template, { image: "i", args: ["x"], env: { E: "1" }, taskCount: 3, parallelism: 2, maxRetries: 0, timeout: 30 });
  t.deepEqual(
    violationsOf(() => jobSpecFromV2(decoded("Job", { template: { taskCount: 0, template: { containers: [{}] } } }, "job"), "job")),
    ["job.template.template.containers[0].image: is required: the container image to run"],
  );
  t.deepEqual(
    overridesFromV2(
      { containerOverrides: [{ clearArgs: true, env: [{ name: "X", value: "y" }] }], taskCount: 2, timeout: "9s" },
      "overrides",
    ),
    {
      args: [],
      env: { X: "y" },
      taskCount: 2,
      timeout: 9,
    },
  );
  const job: Job = {
    name: "j",
    project: "default",
    ...parseJobSpec({ template: { image: "i" } }),
    generation: 1,
    executionCount: 1,
    createTime: "t0",
    updateTime: "t0",
  };
  t.like(jobToV2(job, SCOPE), {
    name: "projects/default/locations/us-central1/jobs/j",
    template: { taskCount: 1, template: { maxRetries: 3, timeout: "600s" } },
  });
  const execution: Execution = {
    name: "j-abcde",
    project: "default",
    job: "j",
    template: job.template,
    status: "CANCELLED",
    ...{ runningCount: 0, succeededCount: 0, failedCount: 0, cancelledCount: 1, retriedCount: 0 },
    createTime: "t1",
    startTime: "t1",
    completionTime: "t2",
    tasks: [{ index: 0, state: "CANCELLED", attempt: 0 }],
  };
  t.like(executionToV2(execution, SCOPE, "log"), {
    name: "projects/default/locations/us-central1/jobs/j/executions/j-abcde",
    reconciling: false,
    conditions: [{ type: "Completed", state: "CONDITION_FAILED", executionReason: "CANCELLED" }],
  });
  const task = taskToV2(execution, execution.tasks[0], SCOPE, "log");
  t.is(task.name, "projects/default/locations/us-central1/jobs/j/executions/j-abcde/tasks/j-abcde-task0");
  t.is(taskIndexOf("j-abcde", "j-abcde-task0"), 0);
  t.is(taskIndexOf("j-abcde", "j-other-task0"), undefined);
});

test("pages: the token is the last key handed out, so pages neither repeat nor skip when items change between them", (t) => {
  const items = ["a", "b", "c", "d", "e"];
  const first = paginate(items, (x) => x, "asc", 2, undefined);
  t.deepEqual(first.items, ["a", "b"]);
  const second = paginate(["a", "c", "d", "e"], (x) => x, "asc", 2, first.nextPageToken);
  t.deepEqual(second.items, ["c", "d"], "b was deleted meanwhile: nothing skipped");
  const last = paginate(items, (x) => x, "asc", 2, second.nextPageToken);
  t.deepEqual(last, { items: ["e"], nextPageToken: undefined });
  t.deepEqual(paginate([...items].reverse(), (x) => x, "desc", 2, Buffer.from("c").toString("base64url")).items, ["b", "a"]);
  const gathered = ["d", "a", "e", "c", "b"]; // e.g. the revisions of several services, listed service by service
  t.deepEqual(paginate(gathered, (x) => x, "asc", 2, first.nextPageToken).items, ["c", "d"], "sorted by the key the token resumes from");
  t.deepEqual(paginate(gathered, (x) => x, "desc", 3, undefined).items, ["e", "d", "c"]);
  t.deepEqual(
    violationsOf(() => paginate(items, (x) => x, "asc", 2, "not a token!")),
    ["pageToken: is not a page token this API handed out"],
  );
});

test("errors as google.rpc.Status: field violations in a BadRequest; a stale read is ABORTED (409), a revision still serving FAILED_PRECONDITION (400)", (t) => {
  const invalid = httpErrorBody(
    rpcFailureOf(new SkiffError("INVALID_ARGUMENT", "service.ingress: bad", [{ field: "service.ingress", reason: "bad" }])),
  );
  t.is(invalid.status, 400);
  t.deepEqual(invalid.body, {
    error: {
      code: 400,
      message: "service.ingress: bad",
      status: "INVALID_ARGUMENT",
      details: [
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "service.ingress", description: "bad" }] },
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "INVALID_ARGUMENT", domain: "run.googleapis.com" },
      ],
    },
  });
  const stale = rpcFailureOf(new SkiffError("CONFLICT", "changed", [{ field: "expectedGeneration", reason: "changed" }]));
  t.is(stale.code, "ABORTED");
  t.is(httpErrorBody(stale).status, 409);
  t.is(rpcFailureOf(new SkiffError("CONFLICT", "revision r still serves traffic[0]")).code, "FAILED_PRECONDITION");
  t.deepEqual(
    statusMessage(rpcFailureOf(new Error("boom"))),
    { code: 13, message: "boom" },
    "an Operation's error: no details the Node client cannot read",
  );
});
