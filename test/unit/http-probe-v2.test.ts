import test from "ava";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { decodeMessage, encodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import type { FieldViolation } from "../../provider/model/errors";
import type { Service } from "../../provider/model/service";

// Cloud Run v2's startupProbe.httpGet both ways: read into the template's httpGet (not a TCP
// connect any more), written back as Cloud Run shows it (the port filled in), and a GET sent back
// as an update is the same template. A gRPC probe is read as a gRPC health check of its port.

const SCOPE = { project: "default", location: "us-central1" };

function specOf(container: Record<string, unknown>) {
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

function serviceOf(spec: ReturnType<typeof specOf>): Service {
  return {
    name: "web",
    project: "default",
    ...spec,
    traffic: [],
    invokers: [],
    trafficStatuses: [],
    url: "http://web.localhost:8080",
    generation: 1,
    scaling: [],
    createTime: "2026-01-01T00:00:00.000Z",
    updateTime: "2026-01-01T00:00:00.000Z",
  } as Service;
}

const HEADERS = [{ name: "X-Probe", value: "startup" }];

test("v2 in: httpGet's path, port and headers become the template's httpGet; the container's own port is not pinned", (t) => {
  const spec = specOf({
    startupProbe: { httpGet: { path: "/healthz", port: 8080, httpHeaders: HEADERS }, periodSeconds: 1, failureThreshold: 5 },
  });
  t.like(spec.template.startupProbe, { httpGet: { path: "/healthz", httpHeaders: HEADERS }, periodSeconds: 1, failureThreshold: 5 });
  t.is(spec.template.startupProbe?.httpGet?.port, undefined);
  t.is(spec.template.startupProbe?.tcpSocket, undefined, "not a TCP connect");
  t.like(specOf({ startupProbe: { httpGet: { path: "/ready", port: 9000 } } }).template.startupProbe, {
    httpGet: { path: "/ready", port: 9000 },
  });
  t.like(
    specOf({ startupProbe: { httpGet: {} } }).template.startupProbe,
    { httpGet: { path: "/" } },
    "an empty httpGet: / on the container's port",
  );
  t.like(
    specOf({ startupProbe: { grpc: { port: 9000 } } }).template.startupProbe,
    { grpc: { port: 9000 } },
    "gRPC is a health check of its own (no longer a TCP connect)",
  );
});

test("v2 out: an HTTP probe is shown as httpGet with its port, never as tcpSocket; a GET sent back changes nothing", (t) => {
  const spec = specOf({ startupProbe: { httpGet: { path: "/healthz", httpHeaders: HEADERS }, periodSeconds: 2 } });
  const s = serviceOf(spec);
  const wire = serviceToV2(s, SCOPE, { etag: serviceEtag(s) });
  const probe = (wire.template as { containers: { startupProbe: Record<string, unknown> }[] }).containers[0].startupProbe;
  t.deepEqual(probe.httpGet, { path: "/healthz", port: 8080, httpHeaders: HEADERS });
  t.is(probe.tcpSocket, undefined);
  t.is(probe.periodSeconds, 2);
  const violations: FieldViolation[] = [];
  const sentBack = decodeMessage(
    "Service",
    JSON.parse(JSON.stringify(encodeMessage("Service", wire, { intEnums: true }))),
    "service",
    violations,
  );
  t.deepEqual(violations, []);
  t.deepEqual(serviceSpecFromV2(sentBack, { name: "web", root: "service", currentInvokers: [] }).spec.template, s.template);
});

test("v2 out: a template without httpGet is shown with tcpSocket on the container's port, as before", (t) => {
  const s = serviceOf(specOf({}));
  const probe = (serviceToV2(s, SCOPE, { etag: "e" }).template as { containers: { startupProbe: Record<string, unknown> }[] }).containers[0]
    .startupProbe;
  t.deepEqual(probe.tcpSocket, { port: 8080 });
  t.is(probe.httpGet, undefined);
});

test("v2 in: tcpSocket and httpGet together are refused, naming the field", (t) => {
  const error = t.throws(() => specOf({ startupProbe: { tcpSocket: { port: 9000 }, httpGet: { path: "/" } } }));
  t.regex(error.message + JSON.stringify((error as { violations?: unknown }).violations ?? ""), /startupProbe\.httpGet.*not both/);
});
