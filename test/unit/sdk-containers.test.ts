import test from "ava";
import { jobTemplateSchema } from "../../provider/model/job";
import { serviceTemplateSchema } from "../../provider/model/template";
import { checkServiceInputs } from "../../sdk/check/service";
import { translateJob } from "../../sdk/gcp/job-spec";
import { gcpJobTemplate, gcpServiceTemplate } from "../../sdk/gcp/render";
import { translateService } from "../../sdk/gcp/service-spec";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// Several containers in the SDK: pulumi-gcp's `containers[]` with `dependsOns`, and skiff.Service's
// `template.containers`, map to the engine's template (ingress container + sidecars); failures
// name the path as the program wrote it; a refresh writes the containers back in the program's order.

const reasons = (failures: { property: string; reason: string }[]) => failures.map((f) => `${f.property}: ${f.reason}`);

const pair = [
  { name: "backend", image: "backend:1", envs: [{ name: "B", value: "2" }], startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1 } },
  { name: "app", image: "proxy:1", ports: { containerPort: 8080 }, dependsOns: ["backend"], resources: { limits: { memory: "256Mi" } } },
];
const gcpService = (containers: unknown[]) => ({ name: "web", skiffProject: "dev", location: "us-central1", template: { containers } });

test("pulumi-gcp: the container with ports is the ingress container, the other a sidecar with its dependsOns", (t) => {
  const result = translateService(gcpService(pair));
  t.deepEqual(reasons(result.failures), []);
  const template = serviceTemplateSchema.parse(result.spec.template);
  t.like(template, { image: "proxy:1", port: 8080, containerName: "app", dependsOn: ["backend"], resources: { memory: "256Mi" } });
  t.like(template.sidecars![0], { name: "backend", image: "backend:1", env: { B: "2" }, startupProbe: { tcpSocket: { port: 9000 } } });
});

test("pulumi-gcp: failures name the container as written", (t) => {
  const badDeps = structuredClone(pair);
  (badDeps[1] as { dependsOns: string[] }).dependsOns = ["nope"];
  t.deepEqual(reasons(translateService(gcpService(badDeps)).failures), [
    'template.containers[1].dependsOns[0]: names no container: "nope" is not among the template\'s containers',
  ]);
  const badSidecar = structuredClone(pair);
  badSidecar[0].image = "Bad Image";
  t.regex(
    reasons(translateService(gcpService(badSidecar)).failures)[0],
    /^template\.containers\[0\]\.image: must be a container image reference/,
  );
  const twoPorts = structuredClone(pair) as Record<string, unknown>[];
  twoPorts[0].ports = { containerPort: 9000 };
  t.deepEqual(reasons(translateService(gcpService(twoPorts)).failures), [
    "template.containers: exactly one container sets ports (the ingress container; the others are sidecars), got 2",
  ]);
  // Unknown at preview: let through.
  t.deepEqual(reasons(translateService(gcpService([pair[0], { ...pair[1], image: UNKNOWN }])).failures), []);
});

test("pulumi-gcp: a refresh writes the containers back as the program lists them, and a sidecar's drift shows in its own entry", (t) => {
  const template = serviceTemplateSchema.parse(translateService(gcpService(pair)).spec.template);
  const user = gcpService(pair).template;
  const back = gcpServiceTemplate(template, user);
  const containers = back.containers as Record<string, unknown>[];
  t.deepEqual(
    containers.map((c) => [c.name, c.image, c.dependsOns]),
    [
      ["backend", "backend:1", undefined],
      ["app", "proxy:1", ["backend"]],
    ],
  );
  const drifted = { ...template, sidecars: [{ ...template.sidecars![0], image: "backend:2" }] };
  t.is((gcpServiceTemplate(drifted, user).containers as Record<string, unknown>[])[0].image, "backend:2");
  // And the way there again is the same template.
  t.deepEqual(serviceTemplateSchema.parse(translateService({ ...gcpService([]), template: back }).spec.template), template);
});

test("skiff.Service: template.containers is the same template as the engine's own shape; failures name the list", (t) => {
  const listed = checkServiceInputs({
    name: "api",
    project: "dev",
    template: {
      containers: [
        { name: "app", image: "proxy:1", port: 8080, dependsOn: ["backend"] },
        { name: "backend", image: "backend:1", startupProbe: { tcpSocket: { port: 9000 } } },
      ],
    },
  });
  const flat = checkServiceInputs({
    name: "api",
    project: "dev",
    template: {
      image: "proxy:1",
      containerName: "app",
      dependsOn: ["backend"],
      sidecars: [{ name: "backend", image: "backend:1", startupProbe: { tcpSocket: { port: 9000 } } }],
    },
  });
  t.deepEqual(listed.failures, []);
  t.deepEqual(listed.inputs.template, flat.inputs.template);
  const bad = checkServiceInputs({
    name: "api",
    project: "dev",
    template: {
      containers: [
        { name: "app", image: "proxy:1", port: 8080 },
        { name: "backend", image: "backend:1", port: 9000 },
      ],
    },
  });
  t.deepEqual(reasons(bad.failures), [
    "template.containers: exactly one container has a port (the ingress container; the others are sidecars), got 2",
  ]);
  const badField = checkServiceInputs({
    name: "api",
    project: "dev",
    template: {
      containers: [
        { name: "app", image: "proxy:1", port: 8080 },
        { name: "backend", image: "backend:1", resources: { cpu: "99" } },
      ],
    },
  });
  t.regex(reasons(badField.failures)[0], /^template\.containers\[1\]\.resources\.cpu: must be between 0\.08 and 8 CPUs/);
});

test("pulumi-gcp Job: the first container is the task's main one, the others sidecars; a refresh writes them back", (t) => {
  const inner = {
    containers: [
      { name: "main", image: "task:1", dependsOns: ["db"] },
      { name: "db", image: "db:1", startupProbe: { tcpSocket: { port: 5432 } } },
    ],
  };
  const result = translateJob({ name: "migrate", skiffProject: "dev", location: "us-central1", template: { template: inner } });
  t.deepEqual(reasons(result.failures), []);
  const template = jobTemplateSchema.parse(result.spec.template);
  t.like(template, { image: "task:1", containerName: "main", dependsOn: ["db"] });
  t.like(template.sidecars![0], { name: "db", image: "db:1", startupProbe: { tcpSocket: { port: 5432 } } });
  const back = gcpJobTemplate(template, { template: inner }) as { template: { containers: Record<string, unknown>[] } };
  t.deepEqual(
    back.template.containers.map((c) => [c.name, c.image, c.dependsOns]),
    [
      ["main", "task:1", ["db"]],
      ["db", "db:1", undefined],
    ],
  );
});
