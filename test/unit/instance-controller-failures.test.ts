import test from "ava";
import { ReadinessError } from "../../provider/runtime/container-runtime";
import { instanceLabels } from "../../provider/runtime/labels";
import { NoCapacityError, type Lease } from "../../provider/scaling/throttler";
import { ENGINE_ID, harness, PROJECT, SERVICE, T0, type Harness, type Tracked } from "../helpers/instance-harness";

/**
 * The instance controller when things go wrong, on a fake runtime and a fake clock: instances that
 * die or run out of memory, events that are missed, revisions deleted mid-start or mid-request, and
 * an engine restart that adopts what it left running.
 */

function setup(t: { teardown(fn: () => Promise<void>): void }, options?: Parameters<typeof harness>[0]): Harness {
  const h = harness(options);
  t.teardown(() => h.dispose());
  return h;
}

/** A serving revision with one ready instance (listening 100 ms after its start), on a started controller. */
async function servingWithOne(h: Harness, template: Parameters<Harness["revision"]>[1] = {}) {
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc", template);
  await h.serveFirst(rev, 100);
  await h.clock.run(0);
  return { rev, container: h.runtime.started()[0], instance: h.runtime.started()[0].labels["skiff.instance"] };
}

const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;

test("a die event takes a ready instance out of routing at once, and replacements start 1 s, then 2 s after each death", async (t) => {
  const h = setup(t);
  const { rev, container: a, instance: idA } = await servingWithOne(h, { scaling: { minInstanceCount: 1 } });
  t.is(h.runtime.started().length, 1);

  await h.clock.runTo(T0 + 1000);
  h.runtime.kill(a.id, { exitCode: 1 });
  // No flush: the event handler itself takes the instance out of routing.
  t.is(h.throttler(rev.name).readyInstances, 0, "out of routing in the event handler itself");
  await h.clock.run(0);
  t.deepEqual(h.runtime.stops(), [{ at: T0 + 1000, containerId: a.id, graceSeconds: 0 }], "the dead container is removed at once");
  t.deepEqual(h.store.listInstances(), []);
  t.regex(
    h.store.getRevision(PROJECT, rev.name)!.instanceError ?? "",
    new RegExp(`^${ISO} instance ${idA} exited with code 1; a new instance starts in 1 s if requests need one$`),
  );
  t.like(
    h.log.entries.find((e) => e.message === "instance died")!,
    {
      at: T0 + 1000,
      level: "warn",
      fields: { revision: rev.name, instance: idA, exitCode: 1, oomKilled: false, restartInMs: 1000 },
    },
  );

  await h.clock.runTo(T0 + 1999);
  t.is(h.runtime.started().length, 1, "no replacement within the 1 s back-off");
  await h.clock.runTo(T0 + 2000);
  t.is(h.runtime.started().length, 2, "the replacement starts 1 s after the death");
  const b = h.runtime.started()[1];
  t.is(b.createdAt, T0 + 2000);
  await h.clock.runTo(T0 + 2100);
  t.is(h.throttler(rev.name).readyInstances, 1, "the replacement serves once it listens");

  await h.clock.runTo(T0 + 2500);
  h.runtime.kill(b.id, { exitCode: 2 });
  await h.clock.runTo(T0 + 4499);
  t.is(h.runtime.started().length, 2, "the second death in a row backs off 2 s");
  await h.clock.runTo(T0 + 4500);
  t.deepEqual(
    h.runtime.started().map((c) => c.createdAt),
    [T0, T0 + 2000, T0 + 4500],
  );
  t.regex(
    h.store.getRevision(PROJECT, rev.name)!.instanceError ?? "",
    /exited with code 2; a new instance starts in 2 s if requests need one$/,
  );
});

test("an oom event then die records 'memory limit exceeded' as the revision's instanceError and in the service's log (stream engine)", async (t) => {
  const h = setup(t);
  const { rev, container, instance } = await servingWithOne(h, { resources: { memory: "128Mi" }, scaling: { minInstanceCount: 1 } });
  const dieAt = h.clock.now();
  h.runtime.kill(container.id, { oom: true }); // emits oom, then die (exit 137)
  await h.clock.run(0);
  t.deepEqual(
    h.runtime.ops("event").map((e) => e.detail!.kind),
    ["oom", "die"],
  );
  const expected = `memory limit exceeded: instance ${instance} used more than its 128Mi and was killed; a new instance starts in 1 s if requests need one`;
  const stored = h.store.getRevision(PROJECT, rev.name)!.instanceError ?? "";
  t.regex(stored, new RegExp(`^${ISO} `));
  t.is(stored.slice(stored.indexOf(" ") + 1), expected);
  const records = await h.logs.read(PROJECT, SERVICE);
  t.deepEqual(
    records
      .filter((r) => r.stream === "engine")
      .map((r) => ({ stream: r.stream, text: r.text, revision: r.revision, instance: r.instance })),
    [{ stream: "engine", text: expected, revision: rev.name, instance }],
  );
  t.like(
    h.log.entries.find((e) => e.message === "instance died")!,
    { at: dieAt, fields: { exitCode: 137, oomKilled: true } },
  );
});

test("a die whose oom event was missed is still reported as 'memory limit exceeded' when Docker's state says it was OOM-killed", async (t) => {
  const h = setup(t);
  const { rev, container, instance } = await servingWithOne(h, { resources: { memory: "128Mi" }, scaling: { minInstanceCount: 1 } });
  h.runtime.kill(container.id, { oom: true, events: ["die"] });
  await h.clock.run(0);
  t.regex(
    h.store.getRevision(PROJECT, rev.name)!.instanceError ?? "",
    new RegExp(`^${ISO} memory limit exceeded: instance ${instance} used more than its 128Mi and was killed`),
  );
});

test("a die event for an instance being stopped by the engine is not a death: no instanceError, no replacement", async (t) => {
  const h = setup(t);
  const { rev } = await servingWithOne(h);
  h.controller.serve(PROJECT, SERVICE, []); // its traffic moves away: it drains and stops, and Docker reports a die
  await h.clock.run(5000);
  t.deepEqual(
    h.runtime.ops("event").map((e) => e.detail),
    [{ kind: "die", exitCode: 143 }],
  );
  t.is(h.store.getRevision(PROJECT, rev.name)!.instanceError, undefined);
  t.is(h.runtime.started().length, 1);
  t.false(h.log.messages().includes("instance died"));
});

test("a container that vanished without an event is found by the sweep (every 5 s) and replaced 1 s later", async (t) => {
  const h = setup(t);
  const { rev, container, instance } = await servingWithOne(h, { scaling: { minInstanceCount: 1 } });
  await h.clock.runTo(T0 + 1000);
  h.runtime.vanish(container.id);
  await h.clock.runTo(T0 + 4999);
  t.is(h.throttler(rev.name).readyInstances, 1, "nothing noticed it before the sweep");
  await h.clock.runTo(T0 + 5000);
  t.is(h.throttler(rev.name).readyInstances, 0, "the sweep takes it out of routing");
  t.regex(
    h.store.getRevision(PROJECT, rev.name)!.instanceError ?? "",
    new RegExp(`instance ${instance} exited with code unknown; a new instance starts in 1 s`),
  );
  await h.clock.runTo(T0 + 5999);
  t.is(h.runtime.started().length, 1);
  await h.clock.runTo(T0 + 6000);
  t.is(h.runtime.started().length, 2);
});

test("a gap in the event stream sweeps at once", async (t) => {
  const h = setup(t);
  const { rev, container } = await servingWithOne(h, { scaling: { minInstanceCount: 1 } });
  await h.clock.runTo(T0 + 1000);
  h.runtime.kill(container.id, { events: [] });
  await h.clock.run(0);
  t.is(h.throttler(rev.name).readyInstances, 1, "without an event nothing is noticed yet");
  h.runtime.gap();
  await h.clock.run(0);
  t.is(h.throttler(rev.name).readyInstances, 0);
  t.deepEqual(h.runtime.stops(), [{ at: T0 + 1000, containerId: container.id, graceSeconds: 0 }]);
});

test("one death long ago does not keep a later burst from zero from starting ceil(N/C) instances at once", async (t) => {
  const h = setup(t);
  const { rev, container } = await servingWithOne(h, { maxInstanceRequestConcurrency: 1, scaling: { maxInstanceCount: 8 } });
  // One crash, a replacement that serves for two minutes, then the revision idles to zero.
  h.runtime.kill(container.id, { exitCode: 1 });
  const lease = h.acquire(rev.name);
  await h.clock.run(2000);
  t.is(lease.state, "resolved", "the replacement serves");
  await h.clock.run(120_000);
  lease.result.release();
  await h.clock.runUntil(() => h.runtime.running().length === 0, 30_000, "scale to zero");

  const burstAt = h.clock.now();
  const before = h.runtime.started().length;
  const leases: Tracked<Lease>[] = Array.from({ length: 6 }, () => h.acquire(rev.name));
  await h.clock.run(0);
  t.deepEqual(
    h.runtime
      .started()
      .slice(before)
      .map((c) => c.createdAt),
    Array(6).fill(burstAt),
    "6 queued at concurrency 1 start 6 instances at once, as on a revision that never failed",
  );
  await h.clock.run(100);
  t.deepEqual(
    leases.map((l) => l.state),
    Array(6).fill("resolved"),
  );
});

test("removeRevision fails waiting requests at once, cancels starts in progress without retrying, and settles when their containers are gone", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = {}; // containers listen only when told: the starts stay in progress
  h.runtime.removeTakesMs = 50; // as Docker, removing a container takes a moment
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 1 });
  h.controller.start();
  h.controller.serve(PROJECT, SERVICE, [rev]);
  const throttler = h.throttler(rev.name);
  const waiting = [h.acquire(rev.name), h.acquire(rev.name)];
  await h.clock.run(1000);
  t.is(h.runtime.started().length, 2, "two starts in progress");
  t.like(h.controller.status(PROJECT, rev.name), { startingInstances: 2, queued: 2 });

  let liveWhenSettled: string[] | undefined;
  const removed = h.track(h.controller.removeRevision(PROJECT, rev.name).then(() => (liveWhenSettled = h.runtime.live().map((c) => c.id))));
  t.is(h.throttlers.get(PROJECT, rev.name), undefined, "the ingress finds no throttler for it any more");
  t.is(h.controller.status(PROJECT, rev.name), undefined);
  await h.clock.run(0);
  t.is(removed.state, "pending", "the cancelled starts' containers are still being removed");
  for (const w of waiting) {
    t.is(w.state, "rejected");
    t.true(w.error instanceof NoCapacityError);
    t.is(w.error!.message, `no available instance for revision ${rev.name}: revision ${rev.name} was deleted`);
    t.false((w.error as NoCapacityError).atMaxScale);
  }
  const late = h.track(throttler.acquire());
  await h.clock.run(0);
  t.is(late.state, "rejected", "a request that still holds the old throttler is refused too");

  t.deepEqual(
    h.runtime.stops().map((s) => ({ at: s.at, graceSeconds: s.graceSeconds })),
    [
      { at: T0 + 1000, graceSeconds: 0 },
      { at: T0 + 1000, graceSeconds: 0 },
    ],
    "both cancelled starts are stopped at once, without a grace",
  );
  await h.clock.run(50);
  t.deepEqual(h.runtime.live(), []);
  t.deepEqual(h.store.listInstances(), []);
  t.is(removed.state, "resolved");
  t.deepEqual(liveWhenSettled, [], "the promise settles only once the revision's containers are gone");
  t.is(removed.settledAt, T0 + 1050);

  await h.clock.run(30_000);
  t.is(h.runtime.started().length, 2, "a cancelled start is not retried");
});

test("removeRevision during startFirst cancels it: startFirst rejects with 'the start was cancelled' and the container is removed", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = {};
  const rev = h.revision("hello-00001-abc", {}, "PENDING");
  h.controller.start();
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(3000);
  t.is(first.state, "pending");
  const c = h.runtime.started()[0];
  void h.controller.removeRevision(PROJECT, rev.name);
  await h.clock.run(0);
  t.is(first.state, "rejected");
  t.true(first.error instanceof ReadinessError);
  t.is(first.error!.message, "the start was cancelled. The container wrote no logs.");
  t.deepEqual(h.runtime.stops(), [{ at: T0 + 3000, containerId: c.id, graceSeconds: 0 }]);
  t.deepEqual(h.store.listInstances(), []);
  t.is(h.runtime.activeFollowers(c.id), 0);
});

test("removeRevision drains: the throttler refuses new requests at once, the instance stops (grace 10 s) only when its request ends, then the promise settles", async (t) => {
  const h = setup(t);
  const { rev, container, instance } = await servingWithOne(h);
  const throttler = h.throttler(rev.name);
  const lease = h.acquire(rev.name);
  await h.clock.run(0);
  t.is(lease.result.endpoint.instanceId, instance);

  const removedAt = h.clock.now();
  const removed = h.track(h.controller.removeRevision(PROJECT, rev.name));
  const refused = h.track(throttler.acquire());
  await h.clock.run(0);
  t.is(refused.state, "rejected");
  t.is(refused.error!.message, `no available instance for revision ${rev.name}: revision ${rev.name} was deleted`);
  h.runtime.emitLog(container.id, "written while draining");

  await h.clock.run(60_000);
  t.deepEqual(h.runtime.stops(), [], "not stopped while its request runs");
  t.is(removed.state, "pending");
  lease.result.release();
  await h.clock.run(0);
  t.deepEqual(h.runtime.stops(), [{ at: removedAt + 60_000, containerId: container.id, graceSeconds: 10 }]);
  t.is(removed.state, "resolved");
  t.is(removed.settledAt, removedAt + 60_000);
  t.deepEqual(h.store.listInstances(), []);
  t.deepEqual(h.runtime.ops("readLogs", container.id), [], "nothing of it is collected: the service's log may be deleted next");
  t.deepEqual(await h.logs.read(PROJECT, SERVICE), []);
});

test("removeRevision of a revision whose instance is already draining settles only once that container is gone", async (t) => {
  const h = setup(t);
  const { rev, container } = await servingWithOne(h);
  const lease = h.acquire(rev.name);
  await h.clock.run(0);
  h.controller.serve(PROJECT, SERVICE, []); // traffic moved away: the instance drains while its request runs
  await h.clock.run(1000);
  t.true(container.running);

  let liveWhenSettled: string[] | undefined;
  const removed = h.track(h.controller.removeRevision(PROJECT, rev.name).then(() => (liveWhenSettled = h.runtime.live().map((c) => c.id))));
  await h.clock.run(5000);
  t.true(container.running, "its request still runs");
  t.is(removed.state, "pending", "the revision still has a container");
  lease.result.release();
  await h.clock.run(0);
  t.is(container.removedAt, h.clock.now());
  t.is(removed.state, "resolved");
  t.deepEqual(liveWhenSettled, []);
});

test("adopt takes back running containers of READY revisions with their rows and removes strays, containers of deleted or failed revisions, and dead ones", async (t) => {
  const h = setup(t);
  const ready = h.revision("hello-00001-abc");
  const failed = h.revision("hello-00002-def", {}, "FAILED");
  const labels = (revision: string, id: string) =>
    instanceLabels(ENGINE_ID, PROJECT, SERVICE, revision, id, "web@p.iam.gserviceaccount.com");
  const row = (id: string, revision: string, containerId: string) => ({
    id,
    project: PROJECT,
    service: SERVICE,
    revision,
    containerId,
    hostPort: 1,
    createTime: "2024-01-01T00:00:00.000Z",
  });

  const keep = h.runtime.addContainer({
    labels: labels(ready.name, "aaaa0001"),
    logs: [
      { time: "2024-01-01T00:00:01.000000000Z", stream: "stdout", text: "old line" },
      { time: "2024-01-01T00:00:01.500000000Z", stream: "stdout", text: "last captured line" },
      { time: "2024-01-01T00:00:02.250000000Z", stream: "stdout", text: "written while the engine was down" },
    ],
  });
  h.store.insertInstance(row("aaaa0001", ready.name, keep.id));
  h.logs.append(PROJECT, SERVICE, {
    time: "2024-01-01T00:00:01.5Z",
    stream: "stdout",
    text: "last captured line",
    revision: ready.name,
    instance: "aaaa0001",
  });
  // No row: the engine died between starting it and recording it. Its labels say whose it is.
  const stray = h.runtime.addContainer({
    labels: labels(ready.name, "aaaa0002"),
    logs: [{ time: "2024-01-01T00:00:00.500000000Z", stream: "stdout", text: "written before the engine recorded it" }],
  });
  const ofDeleted = h.runtime.addContainer({ labels: labels("hello-00000-gone", "aaaa0003") });
  h.store.insertInstance(row("aaaa0003", "hello-00000-gone", ofDeleted.id));
  const ofFailed = h.runtime.addContainer({ labels: labels(failed.name, "aaaa0004") });
  h.store.insertInstance(row("aaaa0004", failed.name, ofFailed.id));
  const exited = h.runtime.addContainer({ labels: labels(ready.name, "aaaa0005"), running: false, exitCode: 2 });
  h.store.insertInstance(row("aaaa0005", ready.name, exited.id));
  h.store.insertInstance(row("aaaa0006", ready.name, "no-such-container"));
  const otherEngine = h.runtime.addContainer({
    labels: instanceLabels("ffffffffffff", PROJECT, SERVICE, ready.name, "bbbb0001", "web@p.iam.gserviceaccount.com"),
  });

  await h.controller.adopt();

  t.deepEqual(
    h.runtime
      .stops()
      .map((s) => s.containerId)
      .sort(),
    [stray.id, ofDeleted.id, ofFailed.id, exited.id].sort(),
    "everything of this engine that is not a live instance of a READY revision is removed",
  );
  t.true(h.runtime.stops().every((s) => s.graceSeconds === 0));
  t.deepEqual(
    h.runtime
      .live()
      .map((c) => c.id)
      .sort(),
    [keep.id, otherEngine.id].sort(),
    "another engine's container is left alone",
  );
  t.deepEqual(
    h.store.listInstances().map((r) => r.id),
    ["aaaa0001"],
    "only the adopted instance keeps its row",
  );

  const lease = h.acquire(ready.name);
  await h.clock.run(0);
  const { listening: _listening, ...endpoint } = lease.result.endpoint;
  t.deepEqual(
    endpoint,
    { instanceId: "aaaa0001", host: "127.0.0.1", port: keep.hostPort, maxConnections: 80, http2: false },
    "routed to the port Docker reports now",
  );
  t.like(h.controller.status(PROJECT, ready.name), { readyInstances: 1, inFlight: 1 });

  t.deepEqual(h.runtime.ops("followLogs", keep.id), [], "nothing is followed: the log is read on demand");
  const records = await h.logs.read(PROJECT, SERVICE);
  t.deepEqual(
    records.map((r) => r.text),
    ["written before the engine recorded it", "last captured line", "written while the engine was down"],
    "the stray's lines were kept before it went; the adopted container's own log is read after the last line kept, without repeating it",
  );

  // As the daemon does: publish (serve), then start deciding. The adopted instance serves on, and its
  // death is noticed like any other.
  h.controller.serve(PROJECT, SERVICE, [ready]);
  h.controller.start();
  await h.clock.run(1000);
  t.is(h.runtime.started().length, 0, "no new instance: the adopted one serves");
  lease.result.release();
  h.runtime.kill(keep.id, { exitCode: 9 });
  t.is(h.throttler(ready.name).readyInstances, 0);
  await h.clock.run(0);
  t.regex(h.store.getRevision(PROJECT, ready.name)!.instanceError ?? "", /instance aaaa0001 exited with code 9/);
});

test("a crash loop backs off 1 s, 2 s, 4 s, 8 s between starts, one start at a time", async (t) => {
  const h = setup(t);
  const { rev, container } = await servingWithOne(h, { scaling: { minInstanceCount: 2, maxInstanceCount: 2 } });
  await h.clock.run(100);
  t.is(h.runtime.running().length, 2, "min 2: the second started when the revision began serving");
  // From now on every container exits 200 ms after it starts, before listening.
  h.runtime.behaviour = { exitAfterMs: 200, exitCode: 7 };
  const diedAt = h.clock.now();
  h.runtime.kill(container.id, { exitCode: 7 });
  await h.clock.run(30_000);
  const starts = h.runtime
    .started()
    .slice(2)
    .map((c) => c.createdAt - diedAt);
  // Death at 0 (1 s), start at 1000 fails at 1200 (2 s), start at 3200 fails at 3400 (4 s), 7400 → 7600 (8 s), 15600 → 15800 (16 s).
  t.deepEqual(starts, [1000, 3200, 7400, 15600]);
  t.is(h.throttler(rev.name).readyInstances, 1, "the healthy instance keeps serving throughout");
  t.true(h.log.entries.filter((e) => e.message === "could not start an instance").length >= 4);
});
