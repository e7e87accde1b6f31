import test from "ava";
import { serviceSchema, type Service } from "../../provider/model/service";
import { holdsSpec } from "../../sdk/providers/put-service";

// An update refused as stale goes on only when the engine's service already holds what it sends:
// the change "made outside the stack" was this update itself, taken by an interrupted `pulumi up`.

/** The engine's answer for a service it runs with this template, labels and ingress (defaults applied as it stores them). */
function engineService(template: Record<string, unknown>, labels: Record<string, string> = {}, ingress = "all"): Service {
  return serviceSchema.parse({
    name: "api",
    project: "dev",
    template,
    labels,
    ingress,
    traffic: [],
    trafficStatuses: [],
    url: "http://api.dev.localhost:8080",
    latestCreatedRevision: "api-00002-abc",
    latestReadyRevision: "api-00001-xyz",
    generation: 2,
    createTime: "2026-01-01T00:00:00Z",
    updateTime: "2026-01-01T00:00:00Z",
  });
}

const template = { image: "skiff-test/fixture:a", env: { VERSION: "2" } };

test("a spec the engine already holds, defaults left out or written, is held", (t) => {
  const running = engineService(template, { team: "core" });
  t.true(holdsSpec(running, { template, labels: { team: "core" } }));
  t.true(holdsSpec(running, { template: running.template, labels: { team: "core" }, ingress: "all" }));
});

test("traffic and invokers, which the generation does not count, do not matter", (t) => {
  const running = engineService(template);
  t.true(holdsSpec(running, { template, traffic: [{ type: "LATEST", percent: 100 }], invokers: ["allUsers"] }));
});

test("a spec that differs in template, labels or ingress is not held: that was someone else's change", (t) => {
  const running = engineService(template, { team: "core" });
  t.false(holdsSpec(running, { template: { ...template, env: { VERSION: "3" } }, labels: { team: "core" } }));
  t.false(holdsSpec(running, { template: { ...template, image: "skiff-test/fixture:b" }, labels: { team: "core" } }));
  t.false(holdsSpec(running, { template, labels: { team: "ops" } }));
  t.false(holdsSpec(running, { template, labels: { team: "core" }, ingress: "internal" }));
});

test("a spec the engine would refuse is never held", (t) => {
  t.false(holdsSpec(engineService(template), { template: { ...template, port: -1 } }));
});
