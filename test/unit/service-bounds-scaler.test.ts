import test from "ava";
import { NoCapacityError } from "../../provider/scaling/throttler";
import { harness, PROJECT, SERVICE, T0, type Harness } from "../helpers/instance-harness";

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

test("a revision with no share of a manual count starts nothing and answers at max scale (429) after the 10 s queue wait", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc");
  await h.serveFirst(rev, 100);
  const servedAt = h.clock.now();
  h.controller.serve(PROJECT, SERVICE, [rev], new Map([[rev.name, { min: 0, max: 0, fixed: 0 }]]));
  await h.clock.run(5_000);
  t.is(h.runtime.running().length, 0, "its one instance drains and stops");
  const waiting = h.acquire(rev.name);
  const askedAt = h.clock.now();
  await h.clock.runTo(askedAt + 9_999);
  t.is(waiting.state, "pending");
  await h.clock.runTo(askedAt + 10_000);
  t.is(waiting.state, "rejected");
  t.true(waiting.error instanceof NoCapacityError && waiting.error.atMaxScale, String(waiting.error));
  t.is(h.runtime.started().length, 1, "nothing started after the first");
  t.true(servedAt >= T0);
});
