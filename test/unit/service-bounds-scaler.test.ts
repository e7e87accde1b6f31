import test from "ava";
import { harness, PROJECT, SERVICE, type Harness } from "../helpers/instance-harness";

// A revision's scaler under the bounds the service's own scaling gives it (service-allocation.ts),
// on the fake runtime and clock: a manual count holds under load and idleness, and a share of a
// service maximum caps the instances a burst starts.

function setup(t: { teardown(fn: () => Promise<void>): void }): Harness {
  const h = harness();
  t.teardown(() => h.dispose());
  return h;
}

test("manual: a fixed count of 2 starts 2, starts no more for a burst, and never scales to zero", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 1, scaling: { minInstanceCount: 0, maxInstanceCount: 10 } });
  await h.serveFirst(rev, 100);
  h.controller.serve(PROJECT, SERVICE, [rev], new Map([[rev.name, { min: 2, max: 2, fixed: 2 }]]));
  await h.clock.run(200);
  t.is(h.runtime.running().length, 2, "the fixed count runs");
  const burst = Array.from({ length: 6 }, () => h.acquire(rev.name));
  await h.clock.run(5_000);
  t.is(h.runtime.started().length, 2, "load starts no instance beyond the fixed count");
  t.is(burst.filter((b) => b.state === "resolved").length, 2, "two requests hold the two instances; the rest queue");
  for (const b of burst) if (b.state === "resolved") b.result.release();
  await h.clock.run(120_000);
  t.deepEqual(h.runtime.stops(), [], "idle for two minutes: nothing stops");
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 2, desired: 2, reason: "manual" });
});

test("a service maximum's share of 1 caps a burst at one instance, though the revision's own maximum is 10", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 1, scaling: { minInstanceCount: 0, maxInstanceCount: 10 } });
  await h.serveFirst(rev, 100);
  h.controller.serve(PROJECT, SERVICE, [rev], new Map([[rev.name, { min: 0, max: 1 }]]));
  const burst = Array.from({ length: 5 }, () => h.acquire(rev.name));
  await h.clock.run(3_000);
  t.is(h.runtime.started().length, 1, "no instance beyond the share");
  t.is(burst.filter((b) => b.state === "resolved").length, 1);
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 1, queued: 4 });
});

test("a service minimum's share above the revision's own keeps that many through idleness", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc", { scaling: { minInstanceCount: 0, maxInstanceCount: 10 } });
  await h.serveFirst(rev, 100);
  h.controller.serve(PROJECT, SERVICE, [rev], new Map([[rev.name, { min: 3, max: 10 }]]));
  await h.clock.run(120_000);
  t.is(h.runtime.running().length, 3);
  t.deepEqual(h.runtime.stops(), []);
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 3, desired: 3, reason: "min" });
});
