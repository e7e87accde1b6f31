import test from "ava";
import { jobSpecFromV2, overridesFromV2 } from "../../provider/cloudrun-v2/job-from-v2";
import { jobToV2 } from "../../provider/cloudrun-v2/job-to-v2";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { decodeMessage, encodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import type { Job } from "../../provider/model/job";
import type { Service } from "../../provider/model/service";

// Cloud Run v2's containers[] of several containers ↔ skiff's template (containerName, dependsOn,
// sidecars): the container with ports is the ingress container wherever it stands, each container
// keeps its own fields, a GET sent back changes nothing, and errors name the container as sent.

const SCOPE = { project: "default", location: "us-central1" };

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

/** As a client sends it: the sidecar first, the ingress container (with the port) second. */
const TWO_CONTAINERS = {
  volumes: [{ name: "shared", emptyDir: { medium: "MEMORY", sizeLimit: "64Mi" } }],
  containers: [
    {
      name: "backend",
      image: "backend:1",
      args: ["--listen", "9000"],
      env: [
        { name: "MODE", value: "sidecar" },
        { name: "TOKEN", valueSource: { secretKeyRef: { secret: "projects/default/secrets/tok", version: "2" } } },
      ],
      resources: { limits: { cpu: "0.5", memory: "256Mi" } },
      startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 10 },
      volumeMounts: [{ name: "shared", mountPath: "/out" }],
    },
    {
      name: "app",
      image: "proxy:1",
      ports: [{ containerPort: 8080 }],
      env: [{ name: "UPSTREAM", value: "http://localhost:9000" }],
      dependsOn: ["backend"],
      volumeMounts: [{ name: "shared", mountPath: "/in" }],
    },
  ],
};

function serviceOf(spec: ReturnType<typeof serviceSpecFromV2>["spec"]): Service {
  return {
    name: "pair",
    project: "default",
    ...spec,
    traffic: [],
    invokers: [],
    trafficStatuses: [],
    url: "http://pair.localhost:8080",
    generation: 1,
    scaling: [],
    createTime: "2026-01-01T00:00:00.000Z",
    updateTime: "2026-01-01T00:00:00.000Z",
  } as Service;
}

test("a v2 Service of two containers: the one with ports is the ingress container, the other a sidecar with its own env, secret env, mounts, limits and probe", (t) => {
  const { spec } = serviceSpecFromV2(decoded("Service", { template: TWO_CONTAINERS }, "service"), { name: "pair", root: "service" });
  t.like(spec.template, {
    image: "proxy:1",
    port: 8080,
    containerName: "app",
    dependsOn: ["backend"],
    env: { UPSTREAM: "http://localhost:9000" },
    volumeMounts: [{ name: "shared", mountPath: "/in" }],
  });
  t.is(spec.template.sidecars?.length, 1);
  t.like(spec.template.sidecars?.[0], {
    name: "backend",
    image: "backend:1",
    args: ["--listen", "9000"],
    env: { MODE: "sidecar" },
    secretEnv: { TOKEN: { secret: "tok", version: "2" } },
    resources: { cpu: "0.5", memory: "256Mi" },
    startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 10 },
    volumeMounts: [{ name: "shared", mountPath: "/out" }],
  });
});

test("a two-container service's GET sent back as an update changes nothing; the answer shows every container, ports only on the ingress container", (t) => {
  const { spec } = serviceSpecFromV2(decoded("Service", { template: TWO_CONTAINERS }, "service"), { name: "pair", root: "service" });
  const s = serviceOf(spec);
  const wire = serviceToV2(s, SCOPE, { etag: serviceEtag(s) });
  const containers = (wire.template as { containers: Record<string, unknown>[] }).containers;
  t.deepEqual(
    containers.map((c) => [c.name, c.image, c.ports !== undefined]),
    [
      ["app", "proxy:1", true],
      ["backend", "backend:1", false],
    ],
  );
  t.deepEqual(containers[0].dependsOn, ["backend"]);
  const sentBack = decoded("Service", JSON.parse(JSON.stringify(encodeMessage("Service", wire, { intEnums: true }))), "service");
  const again = serviceSpecFromV2(sentBack, { name: "pair", root: "service", currentInvokers: [] }).spec;
  t.deepEqual(again.template, s.template);
  // And once more: what the second answer shows is the first answer.
  const second = serviceToV2(serviceOf(again), SCOPE, { etag: "e" });
  t.deepEqual(second.template, wire.template);
});

test("errors name the container as the client sent it: a bad dependsOn, a sidecar without a name, two containers with ports, a sidecar's probe without a port", (t) => {
  const spec = (containers: unknown[]) =>
    violationsOf(() => serviceSpecFromV2(decoded("Service", { template: { containers } }, "service"), { name: "s", root: "service" }));
  const sidecar = { name: "backend", image: "b:1" };
  const ingress = { name: "app", image: "a:1", ports: [{ containerPort: 8080 }] };
  t.deepEqual(
    spec([sidecar, { ...ingress, dependsOn: ["nope"] }]).map((v) => v.split(":")[0]),
    ["service.template.containers[1].dependsOn[0]"],
  );
  t.deepEqual(
    spec([{ ...sidecar, dependsOn: ["backend"] }, ingress]).map((v) => v.split(":")[0]),
    ["service.template.containers[0].dependsOn[0]"],
  );
  t.deepEqual(
    spec([ingress, { image: "b:1" }]).map((v) => v.split(":")[0]),
    ["service.template.containers[1].name"],
  );
  t.deepEqual(spec([ingress, { ...sidecar, ports: [{ containerPort: 9000 }] }]), [
    "service.template.containers: exactly one container has ports (the ingress container; the others are sidecars), got 2",
  ]);
  t.deepEqual(
    spec([ingress, { ...sidecar, startupProbe: { periodSeconds: 1 } }]).map((v) => v.split(":")[0]),
    ["service.template.containers[1].startupProbe.tcpSocket.port"],
  );
});

test("a v2 Job of two containers: the first is the task's main one, the other its sidecar; the job reads back the same; overrides go by container name", (t) => {
  const wire = decoded(
    "Job",
    {
      template: {
        template: {
          containers: [
            { name: "main", image: "task:1", args: ["run"], dependsOn: ["db"] },
            { name: "db", image: "db:1", env: [{ name: "X", value: "1" }], startupProbe: { tcpSocket: { port: 5432 } } },
          ],
        },
      },
    },
    "job",
  );
  const spec = jobSpecFromV2(wire, "job");
  t.like(spec.template, { image: "task:1", containerName: "main", dependsOn: ["db"] });
  t.like(spec.template.sidecars?.[0], { name: "db", image: "db:1", env: { X: "1" }, startupProbe: { tcpSocket: { port: 5432 } } });
  const job = {
    name: "j",
    project: "default",
    ...spec,
    generation: 1,
    executionCount: 0,
    createTime: "2026-01-01T00:00:00.000Z",
    updateTime: "2026-01-01T00:00:00.000Z",
  } as Job;
  const answer = jobToV2(job, SCOPE);
  const sentBack = decoded("Job", JSON.parse(JSON.stringify(encodeMessage("Job", answer, { intEnums: true }))), "job");
  t.deepEqual(jobSpecFromV2(sentBack, "job").template, spec.template);
  t.deepEqual(
    violationsOf(() =>
      jobSpecFromV2(
        decoded(
          "Job",
          {
            template: {
              template: {
                containers: [
                  { name: "main", image: "t:1" },
                  { name: "db", image: "d:1", dependsOn: ["x"] },
                ],
              },
            },
          },
          "job",
        ),
        "job",
      ),
    ).map((v) => v.split(":")[0]),
    ["job.template.template.containers[1].dependsOn[0]"],
  );

  const names = { main: "main", sidecars: ["db"] };
  t.deepEqual(overridesFromV2({ containerOverrides: [{ name: "main", args: ["again"] }] }, "overrides", names), { args: ["again"] });
  t.deepEqual(overridesFromV2({ containerOverrides: [{ args: ["unnamed"] }] }, "overrides", names), { args: ["unnamed"] });
  t.deepEqual(
    violationsOf(() => overridesFromV2({ containerOverrides: [{ name: "db", args: ["x"] }] }, "overrides", names)).map(
      (v) => v.split(":")[0],
    ),
    ["overrides.containerOverrides[0].name"],
  );
  // A job of one container takes its override whatever it is named, as before sidecars.
  t.deepEqual(overridesFromV2({ containerOverrides: [{ name: "any", args: ["a"] }] }, "overrides"), { args: ["a"] });
});

test("HTTP/2 is the ingress container's: its port named h2c (second in containers[]) makes the template http2, the answer names it on the ingress container only", (t) => {
  const [backend, app] = TWO_CONTAINERS.containers;
  const template = { ...TWO_CONTAINERS, containers: [backend, { ...app, ports: [{ containerPort: 8080, name: "h2c" }] }] };
  const { spec } = serviceSpecFromV2(decoded("Service", { template }, "service"), { name: "pair", root: "service" });
  t.like(spec.template, { containerName: "app", http2: true });
  const s = serviceOf(spec);
  const wire = serviceToV2(s, SCOPE, { etag: serviceEtag(s) });
  const containers = (wire.template as { containers: Record<string, unknown>[] }).containers;
  t.deepEqual(
    containers.map((c) => [c.name, c.ports]),
    [
      ["app", [{ containerPort: 8080, name: "h2c" }]],
      ["backend", undefined],
    ],
  );
  const sentBack = decoded("Service", JSON.parse(JSON.stringify(encodeMessage("Service", wire, { intEnums: true }))), "service");
  t.deepEqual(serviceSpecFromV2(sentBack, { name: "pair", root: "service", currentInvokers: [] }).spec.template, s.template);
  t.deepEqual(
    violationsOf(() =>
      serviceSpecFromV2(
        decoded("Service", { template: { containers: [backend, { ...app, ports: [{ containerPort: 8080, name: "grpc" }] }] } }, "service"),
        { name: "pair", root: "service" },
      ),
    ),
    ['service.template.containers[1].ports[0].name: must be http1 or h2c (HTTP/2 end to end), got "grpc"'],
  );
});
