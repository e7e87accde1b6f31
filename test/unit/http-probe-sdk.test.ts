import test from "ava";
import { checkServiceInputs } from "../../sdk/check/service";

// skiff.Service's template takes startupProbe.httpGet as the engine does: defaults applied at
// check (path "/"), bad input named by property, and a template without httpGet unchanged.

const reasonsOf = (failures: { property: string; reason: string }[]) => failures.map((f) => `${f.property}: ${f.reason}`);

test("skiff.Service: an httpGet probe is checked with the engine's schema and gets its default path", (t) => {
  const { inputs, failures } = checkServiceInputs({
    name: "hello",
    project: "dev",
    template: { image: "img:1", startupProbe: { httpGet: { httpHeaders: [{ name: "X-Probe", value: "1" }] }, periodSeconds: 1 } },
  });
  t.deepEqual(failures, []);
  t.deepEqual((inputs.template as { startupProbe: unknown }).startupProbe, {
    httpGet: { path: "/", httpHeaders: [{ name: "X-Probe", value: "1" }] },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 1,
    failureThreshold: 3,
  });
  const twice = checkServiceInputs(inputs as unknown as Record<string, unknown>);
  t.deepEqual(twice.inputs, inputs, "checking again changes nothing");
});

test("skiff.Service: tcpSocket with httpGet, and a relative path, fail naming the property", (t) => {
  const both = checkServiceInputs({
    name: "hello",
    project: "dev",
    template: { image: "img:1", startupProbe: { tcpSocket: {}, httpGet: {} } },
  });
  t.deepEqual(reasonsOf(both.failures), [
    "template.startupProbe.httpGet: give tcpSocket or httpGet, not both: a startup probe is one check",
  ]);
  const relative = checkServiceInputs({
    name: "hello",
    project: "dev",
    template: { image: "img:1", startupProbe: { httpGet: { path: "x" } } },
  });
  t.deepEqual(reasonsOf(relative.failures), [
    "template.startupProbe.httpGet.path: must be an absolute path such as /healthz (starting with /, no spaces)",
  ]);
});
