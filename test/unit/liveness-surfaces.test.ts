import test from "ava";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { templateToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { decodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import type { FieldViolation } from "../../provider/model/errors";
import { parseServiceTemplate, serviceTemplateSchema } from "../../provider/model/template";
import { checkServiceInputs } from "../../sdk/check/service";
import { diffService } from "../../sdk/diff/service";
import { translateService } from "../../sdk/gcp/service-spec";
import { deployedTemplate, thrownMessage } from "../helpers/deploy-flags";
import { serviceObject } from "../helpers/service-object";

// One livenessProbe, every surface: gcloud's flag, Knative YAML out and back, the v2 API in and
// out, skiff.Service's check and diff, pulumi-gcp's containers[]. Each gives the same template.

const PROBE = { httpGet: { path: "/healthz" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 4, initialDelaySeconds: 0 };

test("CLI: --liveness-probe takes gcloud's keys; tcpSocket is refused by name; an empty value removes the probe", (t) => {
  const made = deployedTemplate([
    "--image",
    "img:1",
    "--liveness-probe",
    "httpGet.path=/healthz,periodSeconds=5,timeoutSeconds=2,failureThreshold=4",
  ]);
  t.deepEqual(parseServiceTemplate(made).livenessProbe, PROBE);
  t.regex(
    thrownMessage(() => deployedTemplate(["--image", "img:1", "--liveness-probe", "tcpSocket.port=8080"])),
    /--liveness-probe: tcpSocket\.port is not a liveness check Cloud Run runs/,
  );
  t.regex(
    thrownMessage(() => deployedTemplate(["--image", "img:1", "--liveness-probe", "successThreshold=1"])),
    /--liveness-probe: expected KEY=NUMBER/,
  );
  const removed = deployedTemplate(["--liveness-probe", ""], { image: "img:1", livenessProbe: PROBE });
  t.is(parseServiceTemplate(removed).livenessProbe, undefined);
  const sidecar = deployedTemplate([
    "--container",
    "app",
    "--image",
    "img:1",
    "--port",
    "8080",
    "--container",
    "proxy",
    "--image",
    "proxy:1",
    "--liveness-probe",
    "httpGet.path=/up,httpGet.port=9000",
  ]);
  t.deepEqual(parseServiceTemplate(sidecar).sidecars?.[0].livenessProbe?.httpGet, { path: "/up", port: 9000 });
});

test("Knative YAML: export prints livenessProbe with its port; replace reads back the same template", (t) => {
  const template = parseServiceTemplate({ image: "img:1", livenessProbe: PROBE });
  const k = serviceToKnative(serviceObject(template)) as any;
  t.deepEqual(k.spec.template.spec.containers[0].livenessProbe, {
    timeoutSeconds: 2,
    periodSeconds: 5,
    failureThreshold: 4,
    httpGet: { path: "/healthz", port: 8080 },
  });
  const plan = planReplace(k, "default");
  t.deepEqual(plan.ignored, []);
  t.deepEqual(parseServiceTemplate(plan.spec.template), template);
  // No probe: none printed.
  t.false(
    "livenessProbe" in (serviceToKnative(serviceObject(parseServiceTemplate({ image: "img:1" }))) as any).spec.template.spec.containers[0],
  );
});

test("Knative YAML: a TCP liveness probe is refused at its own path", (t) => {
  const k = serviceToKnative(serviceObject(parseServiceTemplate({ image: "img:1" }))) as any;
  k.spec.template.spec.containers[0].livenessProbe = { tcpSocket: { port: 8080 } };
  t.regex(
    thrownMessage(() => parseServiceTemplate(planReplace(k, "default").spec.template)),
    /livenessProbe\.tcpSocket: is not a liveness check Cloud Run runs/,
  );
});

function specOfV2(container: Record<string, unknown>) {
  const violations: FieldViolation[] = [];
  const wire = decodeMessage(
    "Service",
    { template: { containers: [{ image: "app:1", ports: [{ containerPort: 8080 }], ...container }] } },
    "service",
    violations,
  );
  if (violations.length > 0) throw new Error(JSON.stringify(violations));
  return serviceSpecFromV2(wire, { name: "web", root: "service" }).spec;
}

test("v2 API: livenessProbe is read (not dropped) and written back with its port", (t) => {
  const spec = specOfV2({
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 4 },
  });
  t.deepEqual(spec.template.livenessProbe, PROBE);
  const wire = templateToV2(spec.template) as any;
  t.deepEqual(wire.containers[0].livenessProbe, {
    initialDelaySeconds: 0,
    timeoutSeconds: 2,
    periodSeconds: 5,
    failureThreshold: 4,
    httpGet: { path: "/healthz", port: 8080 },
  });
  t.regex(
    thrownMessage(() => specOfV2({ livenessProbe: { tcpSocket: { port: 8080 } } })),
    /service\.template\.containers\[0\]\.livenessProbe\.tcpSocket: is not a liveness check/,
  );
  t.regex(
    thrownMessage(() => specOfV2({ livenessProbe: { httpGet: {}, periodSeconds: 3, timeoutSeconds: 4 } })),
    /service\.template\.containers\[0\]\.livenessProbe\.timeoutSeconds: must not exceed periodSeconds \(3\)/,
  );
});

test("skiff.Service: check applies the defaults; a changed probe is a change (a new revision); a bad one is named", (t) => {
  const { inputs, failures } = checkServiceInputs({
    name: "web",
    project: "dev",
    template: { image: "img:1", livenessProbe: { httpGet: {} } },
  });
  t.deepEqual(failures, []);
  const template = inputs.template as { livenessProbe: unknown };
  t.deepEqual(template.livenessProbe, {
    httpGet: { path: "/" },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 10,
    failureThreshold: 3,
  });
  const state: Record<string, unknown> = { ...inputs, url: "http://web.dev.localhost:8080", __provider: "p" };
  const changed = {
    ...inputs,
    template: { ...inputs.template, livenessProbe: { ...(template.livenessProbe as object), periodSeconds: 20 } },
  };
  const d = diffService(state, changed);
  t.true(d.changes);
  t.deepEqual(d.replaces, []);
  t.false(diffService(state, inputs as unknown as Record<string, unknown>).changes);
  const bad = checkServiceInputs({
    name: "web",
    project: "dev",
    template: { image: "img:1", livenessProbe: { httpGet: {}, periodSeconds: 0 } },
  });
  t.deepEqual(
    bad.failures.map((f) => `${f.property}: ${f.reason}`),
    ["template.livenessProbe.periodSeconds: must be at least 1"],
  );
});

test("pulumi-gcp: containers[].livenessProbe is honoured, the same template as the engine's; tcpSocket refused at its path", (t) => {
  const gcp = (livenessProbe: unknown) => ({
    name: "web",
    skiffProject: "dev",
    location: "us-central1",
    template: { containers: [{ image: "app:1", ports: { containerPort: 8080 }, livenessProbe }] },
  });
  const ok = translateService(gcp({ httpGet: { path: "/healthz" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 4 }));
  t.deepEqual(ok.failures, []);
  t.deepEqual(serviceTemplateSchema.parse(ok.spec.template).livenessProbe, PROBE);
  const tcp = translateService(gcp({ tcpSocket: { port: 8080 } }));
  t.regex(
    tcp.failures.map((f) => `${f.property}: ${f.reason}`).join("\n"),
    /template\.containers\[0\]\.livenessProbe\.tcpSocket: is not a liveness check/,
  );
});

test("gRPC probes: gcloud's grpc.port and grpc.service keys, Knative YAML and the v2 API both ways, for startup and liveness", (t) => {
  const made = deployedTemplate([
    "--image",
    "img:1",
    "--startup-probe",
    "grpc.service=echo,periodSeconds=1,failureThreshold=5",
    "--liveness-probe",
    "grpc.port=8080,periodSeconds=2",
  ]);
  const template = parseServiceTemplate(made);
  t.deepEqual(template.startupProbe, {
    grpc: { service: "echo" },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 1,
    failureThreshold: 5,
  });
  t.deepEqual(template.livenessProbe, {
    grpc: { port: 8080 },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 2,
    failureThreshold: 3,
  });
  t.regex(
    thrownMessage(() => deployedTemplate(["--image", "img:1", "--startup-probe", "grpc.port=1,httpGet.path=/"])),
    /give one of httpGet\.\* or grpc\.\*/,
  );
  // Knative YAML: the port printed, and dropped on the way back when it is the container's.
  const k = serviceToKnative(serviceObject(template)) as any;
  t.deepEqual(k.spec.template.spec.containers[0].startupProbe.grpc, { port: 8080, service: "echo" });
  t.deepEqual(k.spec.template.spec.containers[0].livenessProbe.grpc, { port: 8080 });
  const plan = planReplace(k, "default");
  t.deepEqual(plan.ignored, []);
  const back = parseServiceTemplate(plan.spec.template);
  t.deepEqual(back.startupProbe.grpc, { service: "echo" });
  t.deepEqual(back.livenessProbe?.grpc, {});
  // v2: the same both ways.
  const wire = templateToV2(back) as any;
  t.deepEqual(wire.containers[0].startupProbe.grpc, { port: 8080, service: "echo" });
  t.deepEqual(wire.containers[0].livenessProbe.grpc, { port: 8080 });
  const spec = specOfV2({ startupProbe: wire.containers[0].startupProbe, livenessProbe: wire.containers[0].livenessProbe });
  const read = parseServiceTemplate(spec.template);
  t.deepEqual([read.startupProbe, read.livenessProbe], [back.startupProbe, back.livenessProbe]);
});
