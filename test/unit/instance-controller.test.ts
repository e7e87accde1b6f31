import test, { type ExecutionContext } from "ava";
import { defaultServiceAccount } from "../../provider/model/derived-names";
import { ReadinessError } from "../../provider/runtime/container-runtime";
import { NoCapacityError, type Lease } from "../../provider/scaling/throttler";
import type { FakeContainer } from "../helpers/fake-runtime";
import { ENGINE_ID, harness, PROJECT, SERVICE, T0, TEST_SCALING, type Harness, type Tracked } from "../helpers/instance-harness";

/**
 * The instance controller on a fake runtime and a fake clock: starts, scale-out from zero, draining
 * scale-down, scale to zero and min instances, step by step and to the millisecond.
 * (Deaths, removal and adoption: instance-controller-failures.test.ts.)
 */

const TICK = TEST_SCALING.tickMs;

function setup(t: { teardown(fn: () => Promise<void>): void }, options?: Parameters<typeof harness>[0]): Harness {
  const h = harness(options);
  t.teardown(() => h.dispose());
  return h;
}

/** The stops of one container. */
function stopsOf(h: Harness, containerId: string) {
  return h.runtime.stops().filter((s) => s.containerId === containerId);
}

test("startFirst starts one container from the revision's template and resolves once it listens, with the instance registered in the throttler", async (t) => {
  const h = setup(t, { hostCpus: 4 });
  h.runtime.behaviour = { listenAfterMs: 300 };
  const rev = h.revision("hello-00001-abc", { env: { GREETING: "hi" }, resources: { memory: "256Mi", cpu: "2" } });
  h.controller.start();

  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(0);
  t.is(h.runtime.started().length, 1, "exactly one container is started");
  const c = h.runtime.started()[0];
  const instance = c.labels["skiff.instance"];
  t.regex(instance, /^[0-9a-f]{8}$/);
  t.deepEqual(c.labels, {
    "skiff.managed": "true",
    "skiff.engine": ENGINE_ID,
    "skiff.project": PROJECT,
    "skiff.service": SERVICE,
    "skiff.revision": rev.name,
    "skiff.instance": instance,
    // The revision names no account: the project's default compute account, as on Cloud Run.
    "skiff.service-account": defaultServiceAccount(PROJECT),
  });
  t.is(c.spec!.name, `skiff-${PROJECT}-${rev.name}-${instance}`);
  t.is(c.spec!.image, rev.imageDigest, "the container runs the pinned image id, not the tag");
  t.deepEqual(c.spec!.env, { GREETING: "hi", PORT: "8080", K_SERVICE: SERVICE, K_REVISION: rev.name, K_CONFIGURATION: SERVICE });
  t.is(c.spec!.port, 8080);
  t.is(c.spec!.memoryBytes, 256 * 1024 ** 2);
  t.is(c.spec!.nanoCpus, 2e9);
  t.deepEqual(
    h.runtime.ops("waitListening").map((o) => o.detail),
    [{ port: 8080, deadlineMs: 240_000 }],
    "readiness waits for the template's port with the default startup deadline (240 s)",
  );
  t.deepEqual(
    h.store.listInstances().map((r) => ({ containerId: r.containerId, hostPort: r.hostPort, revision: r.revision })),
    [{ containerId: c.id, hostPort: c.hostPort, revision: rev.name }],
    "the instance row is written as soon as the container exists, so a crash cannot leak it",
  );
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 0, startingInstances: 1 });

  await h.clock.runTo(T0 + 299);
  t.is(first.state, "pending", "not ready before the container listens");
  t.is(h.throttler(rev.name).readyInstances, 0, "nothing routes to a container that does not listen yet");

  await h.clock.runTo(T0 + 300);
  t.is(first.state, "resolved", "startFirst resolves when the container listens");
  t.is(first.settledAt, T0 + 300);
  t.is(h.throttler(rev.name).readyInstances, 1);
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 1, startingInstances: 0, inFlight: 0, queued: 0 });
  const lease = h.acquire(rev.name);
  await h.clock.run(0);
  const { listening, ...endpoint } = lease.result.endpoint;
  t.deepEqual(
    endpoint,
    { instanceId: instance, host: "127.0.0.1", port: c.hostPort, maxConnections: 80, http2: false },
    "requests go to the container's published host port",
  );
  t.is(typeof listening, "function", "behind Docker's proxy the router can ask whether the app listens");
  t.deepEqual(
    h.log.entries.filter((e) => e.message === "instance ready").map((e) => ({ at: e.at, fields: e.fields })),
    [{ at: T0 + 300, fields: { revision: rev.name, instance, address: `127.0.0.1:${c.hostPort}` } }],
  );

  h.runtime.emitLog(c.id, "listening on 8080");
  const records = await h.logs.read(PROJECT, SERVICE);
  t.deepEqual(
    records.map((r) => ({ text: r.text, stream: r.stream, revision: r.revision, instance: r.instance })),
    [{ text: "listening on 8080", stream: "stdout", revision: rev.name, instance }],
    "the container's output is captured in the service's log with its revision and instance",
  );
  t.deepEqual(h.runtime.stops(), [], "nothing was stopped");
});

test("a container's CPU limit is capped at the host's CPUs", async (t) => {
  const h = setup(t, { hostCpus: 1 });
  h.runtime.behaviour = { listenAfterMs: 0 };
  const rev = h.revision("hello-00001-abc", { resources: { cpu: "4", memory: "2Gi" } });
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(0);
  t.is(first.state, "resolved");
  t.is(h.runtime.started()[0].spec!.nanoCpus, 1e9);
});

test("startFirst of a container that exits before listening rejects with its exit code and log tail, and removes it at once", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { exitAfterMs: 700, exitCode: 3, logLines: ["starting", "boom: missing config"] };
  const rev = h.revision("hello-00001-abc", {}, "PENDING");
  h.controller.start();
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(699);
  t.is(first.state, "pending");
  await h.clock.run(1);
  t.is(first.state, "rejected");
  t.true(first.error instanceof ReadinessError, `a ReadinessError, got ${first.error?.name}`);
  t.is(
    first.error!.message,
    "the container exited with code 3 before listening on port 8080. Last log lines:\nstarting\nboom: missing config",
  );
  const c = h.runtime.started()[0];
  t.deepEqual(
    h.runtime.stops(),
    [{ at: T0 + 700, containerId: c.id, graceSeconds: 0 }],
    "the dead container is removed at once, without a grace",
  );
  t.is(c.removedAt, T0 + 700);
  t.deepEqual(h.store.listInstances(), [], "no instance row is left");
  t.is(h.throttler(rev.name).readyInstances, 0);
  await h.clock.run(10_000);
  t.is(h.runtime.started().length, 1, "a revision that is not serving gets no replacement");
});

test("startFirst of a container that never listens rejects at the startup deadline, not before", async (t) => {
  const h = setup(t);
  const rev = h.revision("hello-00001-abc", { startupProbe: { periodSeconds: 5, failureThreshold: 1 } }, "PENDING");
  h.controller.start();
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.runTo(T0 + 4999);
  t.is(first.state, "pending");
  t.deepEqual(h.runtime.stops(), []);
  await h.clock.runTo(T0 + 5000);
  t.is(first.state, "rejected");
  t.is(first.error!.message, "the container did not listen on port 8080 within the startup deadline of 5 s. The container wrote no logs.");
  t.deepEqual(
    h.runtime.stops().map((s) => ({ at: s.at, graceSeconds: s.graceSeconds })),
    [{ at: T0 + 5000, graceSeconds: 0 }],
  );
  t.deepEqual(h.store.listInstances(), []);
});

test("startFirst of a container Docker cannot start rejects with Docker's message", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { failWith: "port is already allocated" };
  const rev = h.revision("hello-00001-abc", {}, "PENDING");
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(0);
  t.is(first.state, "rejected");
  t.is(first.error!.message, "the container could not be started: port is already allocated. The container wrote no logs.");
  t.deepEqual(h.store.listInstances(), []);
});

test("serving a revision with no instance starts nothing until requests arrive", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 500 };
  const rev = h.revision("hello-00001-abc");
  h.controller.start();
  h.controller.serve(PROJECT, SERVICE, [rev]);
  await h.clock.run(10_000);
  t.is(h.runtime.started().length, 0);
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 0, startingInstances: 0, desired: 0 });
});

test("from zero, 5 queued requests at concurrency 2 start exactly ceil(5/2) = 3 instances at once, and 11 with max 4 never more than 4", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 1000 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 2, scaling: { maxInstanceCount: 4 } });
  h.controller.start();
  h.controller.serve(PROJECT, SERVICE, [rev]);

  const leases: Tracked<Lease>[] = [];
  for (let i = 0; i < 5; i++) leases.push(h.acquire(rev.name));
  await h.clock.run(0);
  t.deepEqual(
    h.runtime.started().map((c) => c.createdAt),
    [T0, T0, T0],
    "3 starts, all at the moment the requests queued",
  );
  t.like(h.controller.status(PROJECT, rev.name), { startingInstances: 3, queued: 5, desired: 3, reason: "panic" });

  for (let i = 0; i < 6; i++) leases.push(h.acquire(rev.name));
  await h.clock.run(0);
  t.is(h.runtime.started().length, 4, "11 requests at concurrency 2 want 6 instances; max is 4");
  t.like(h.controller.status(PROJECT, rev.name), { startingInstances: 4, queued: 11, desired: 4, reason: "max" });

  await h.clock.runTo(T0 + 1000);
  t.is(h.throttler(rev.name).readyInstances, 4);
  t.deepEqual(
    leases.map((l) => l.state),
    [...Array(8).fill("resolved"), ...Array(3).fill("pending")],
    "the first 8 in arrival order get the 8 slots",
  );
  const perInstance = new Map<string, number>();
  for (const l of leases.slice(0, 8))
    perInstance.set(l.result.endpoint.instanceId, (perInstance.get(l.result.endpoint.instanceId) ?? 0) + 1);
  t.deepEqual([...perInstance.values()], [2, 2, 2, 2], "each instance holds exactly its concurrency");

  await h.clock.run(10_000);
  t.is(h.runtime.started().length, 4, "the autoscaler never goes above max either");
  t.is(h.runtime.peakRunning, 4);
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 4, desired: 4, reason: "max" });
  t.deepEqual(h.runtime.stops(), []);
});

test("with instances running, requests that queue start more instances at once: demand 3 at concurrency 1 makes 3", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 200 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 1 });
  h.controller.start();
  await h.clock.run(0);
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(200);
  t.is(first.state, "resolved");
  h.controller.serve(PROJECT, SERVICE, [rev]);
  const a = h.acquire(rev.name);
  await h.clock.run(0);
  t.is(a.state, "resolved", "a free slot is taken at once");
  t.is(h.runtime.started().length, 1, "no start while a slot was free");
  const b = h.acquire(rev.name);
  const c = h.acquire(rev.name);
  const startAt = h.clock.now();
  await h.clock.run(0);
  t.deepEqual(
    h.runtime.started().map((x) => x.createdAt),
    [T0, startAt, startAt],
  );
  await h.clock.run(200);
  t.deepEqual([b.state, c.state], ["resolved", "resolved"]);
  t.is(new Set([a, b, c].map((l) => l.result.endpoint.instanceId)).size, 3, "one request per instance");
});

test("scale-down drains: an instance with a request in flight takes no new request and is stopped (grace 10 s) only once that request ends", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 10, scaling: { maxInstanceCount: 5 } });
  await h.serveFirst(rev, 100);

  // 10 requests fill A; the 11th queues and starts B, which takes it when it listens.
  const leases: Tracked<Lease>[] = [];
  for (let i = 0; i < 11; i++) leases.push(h.acquire(rev.name));
  await h.clock.run(100);
  t.is(h.runtime.started().length, 2);
  const [a, b] = h.runtime.started() as [FakeContainer, FakeContainer];
  const idA = a.labels["skiff.instance"];
  const idB = b.labels["skiff.instance"];
  t.deepEqual(
    leases.map((l) => l.result.endpoint.instanceId),
    [...Array(10).fill(idA), idB],
  );

  // Demand falls to 3: A keeps 2 requests, B 1; one instance is enough, B is the least busy.
  for (const l of leases.slice(2, 10)) l.result.release();
  const drainStart = await h.clock.runUntil(() => h.throttler(rev.name).readyInstances === 1, 30_000, "the scale-down to 1 instance");
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 1, desired: 1, inFlight: 3 });
  t.deepEqual(stopsOf(h, b.id), [], "B still has a request in flight: not stopped");
  t.true(b.running);
  const later = h.acquire(rev.name);
  await h.clock.run(0);
  t.is(later.result.endpoint.instanceId, idA, "a draining instance takes no new request");
  later.result.release();

  await h.clock.run(20_000);
  t.deepEqual(stopsOf(h, b.id), [], `B is not stopped while its request runs (drain began at +${drainStart - T0} ms)`);
  t.true(b.running);
  t.is(h.store.listInstances().length, 2, "B's row stays while it drains");

  const releasedAt = h.clock.now() + 7;
  await h.clock.runTo(releasedAt);
  leases[10].result.release();
  await h.clock.run(0);
  t.deepEqual(
    stopsOf(h, b.id),
    [{ at: releasedAt, containerId: b.id, graceSeconds: 10 }],
    "stopped when its last request ended, with a 10 s grace",
  );
  t.is(b.sigtermAt, releasedAt);
  t.is(b.removedAt, releasedAt);
  t.deepEqual(
    h.store.listInstances().map((r) => r.containerId),
    [a.id],
  );
  t.deepEqual(stopsOf(h, a.id), []);
  t.true(a.running, "A keeps serving");
  t.true(h.log.entries.some((e) => e.message === "instance stopped" && e.fields?.instance === idB && e.at === releasedAt));
});

test("a draining instance whose request never ends is stopped after the request timeout (30 s)", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 0 };
  const rev = h.revision("hello-00001-abc", { timeout: 30 });
  await h.serveFirst(rev, 0);
  const lease = h.acquire(rev.name);
  await h.clock.run(1000);
  t.is(lease.state, "resolved");
  const c = h.runtime.started()[0];

  const drainAt = h.clock.now();
  h.controller.serve(PROJECT, SERVICE, []); // traffic moved away
  t.is(h.throttler(rev.name).readyInstances, 0, "out of routing at once");
  await h.clock.runTo(drainAt + 29_999);
  t.deepEqual(h.runtime.stops(), []);
  await h.clock.runTo(drainAt + 30_000);
  t.deepEqual(h.runtime.stops(), [{ at: drainAt + 30_000, containerId: c.id, graceSeconds: 10 }]);
  lease.result.release(); // ends after the forced stop: nothing to do, nothing thrown
  await h.clock.run(1000);
  t.is(h.runtime.stops().length, 1);
});

/** A serving revision with one ready instance whose app traps SIGTERM (it runs through its stop grace). */
async function servingOneTrappingSigterm(t: ExecutionContext) {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 0, trapSigterm: true };
  const rev = h.revision("hello-00001-abc");
  await h.serveFirst(rev, 0);
  return { h, rev, c: h.runtime.started()[0] };
}

test("stopping gives the container 10 s after SIGTERM before SIGKILL", async (t) => {
  const { h, c } = await servingOneTrappingSigterm(t);
  const stopAt = h.clock.now();
  h.controller.serve(PROJECT, SERVICE, []);
  await h.clock.run(9_999);
  t.is(c.sigtermAt, stopAt);
  t.true(c.running, "a container trapping SIGTERM runs through the grace");
  t.is(h.store.listInstances().length, 1, "its row stays until it is gone");
  await h.clock.run(1);
  t.is(c.sigkillAt, stopAt + 10_000);
  t.is(c.removedAt, stopAt + 10_000);
  t.deepEqual(h.store.listInstances(), []);
});

test("a stopped instance's lines, also those written in its stop grace, are read from the container before it is removed and kept in the service's log", async (t) => {
  const { h, rev, c } = await servingOneTrappingSigterm(t);
  h.runtime.emitLog(c.id, "serving");
  t.deepEqual(h.runtime.ops("readLogs"), [], "nothing is read while nobody asks");
  t.deepEqual(
    (await h.logs.read(PROJECT, SERVICE)).map((r) => r.text),
    ["serving"],
    "a read asks the running container",
  );
  h.controller.serve(PROJECT, SERVICE, []);
  await h.clock.run(5_000);
  h.runtime.emitLog(c.id, "got SIGTERM, finishing");
  await h.clock.run(5_000);
  t.is(c.removedAt, h.clock.now());
  const collect = h.runtime.ops("readLogs", c.id).at(-1)!;
  t.deepEqual(collect.detail, { sinceSeconds: 0 }, "the whole log, once, when it has stopped");
  t.true(collect.at >= c.sigkillAt! && collect.at <= c.removedAt!, "after it stopped, before it was removed");
  const records = await h.logs.read(PROJECT, SERVICE);
  t.deepEqual(
    records.map((r) => ({ text: r.text, revision: r.revision, instance: r.instance })),
    [
      { text: "serving", revision: rev.name, instance: records[0].instance },
      { text: "got SIGTERM, finishing", revision: rev.name, instance: records[0].instance },
    ],
  );
  t.is(h.runtime.ops("readLogs", c.id).length, 2, "the read after removal comes from the service's log, not the container");
});

test("an idle revision scales to zero once the scale-to-zero grace (2 s) has passed, not before", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 0 };
  const rev = h.revision("hello-00001-abc");
  await h.serveFirst(rev, 0);
  const c = h.runtime.started()[0];

  await h.clock.runTo(T0 + TEST_SCALING.scaleToZeroGraceMs - 1);
  t.deepEqual(h.runtime.stops(), [], "not within the grace");
  t.is(h.throttler(rev.name).readyInstances, 1);
  await h.clock.runUntil(() => h.runtime.stops().length > 0, 10_000, "scale to zero");
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 0, startingInstances: 0, desired: 0, reason: "scale-to-zero" });
  await h.clock.run(10_000);
  const stops = h.runtime.stops();
  t.is(stops.length, 1);
  // Idle since it started serving; the autoscaler sees that from its first tick and decides every tick.
  t.true(
    stops[0].at >= T0 + 2000 && stops[0].at <= T0 + 2000 + 2 * TICK,
    `stopped between +2000 and +${2000 + 2 * TICK} ms, at +${stops[0].at - T0}`,
  );
  t.deepEqual(stops[0], { at: stops[0].at, containerId: c.id, graceSeconds: 10 });
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 0, desired: 0 });
  t.is(h.runtime.started().length, 1, "no request, no new instance");
  t.deepEqual(h.store.listInstances(), []);
});

test("after requests end, the last instance stays for the whole grace (6 s) after the last request and goes right after", async (t) => {
  const h = setup(t, { scaling: { scaleToZeroGraceMs: 6000 } });
  h.runtime.behaviour = { listenAfterMs: 0 };
  const rev = h.revision("hello-00001-abc");
  await h.serveFirst(rev, 0);

  await h.clock.runTo(T0 + 1000);
  const lease = h.acquire(rev.name);
  await h.clock.run(0);
  await h.clock.runTo(T0 + 20_100);
  t.deepEqual(h.runtime.stops(), [], "an instance with a request in flight is never idle");
  lease.result.release();
  const releasedAt = h.clock.now();

  await h.clock.runTo(releasedAt + 6000 - 1);
  t.deepEqual(h.runtime.stops(), [], "not before 6 s without requests");
  await h.clock.run(3 * TICK);
  const stops = h.runtime.stops();
  t.is(stops.length, 1, "gone within two ticks after the grace");
  t.true(stops[0].at <= releasedAt + 6000 + 2 * TICK, `stopped at +${stops[0].at - releasedAt} ms after the last request`);
  t.is(stops[0].graceSeconds, 10);
});

test("a burst from zero brings the revision back after it scaled to zero", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 400 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 1, scaling: { maxInstanceCount: 8 } });
  await h.serveFirst(rev, 400);
  await h.clock.runUntil(() => h.runtime.running().length === 0, 10_000, "scale to zero");

  const burstAt = h.clock.now();
  const leases = Array.from({ length: 5 }, () => h.acquire(rev.name));
  await h.clock.run(0);
  t.deepEqual(
    h.runtime
      .started()
      .slice(1)
      .map((c) => c.createdAt),
    Array(5).fill(burstAt),
    "5 queued at concurrency 1: 5 starts at once",
  );
  await h.clock.run(400);
  t.deepEqual(
    leases.map((l) => l.state),
    Array(5).fill("resolved"),
  );
});

test("after a burst the count holds through the panic, then at most halves per decision: 8 → 4 → 2 → 1 → 0", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 500 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 1, scaling: { maxInstanceCount: 8 } });
  h.controller.start();
  h.controller.serve(PROJECT, SERVICE, [rev]);
  const leases = Array.from({ length: 8 }, () => h.acquire(rev.name));
  await h.clock.run(500);
  t.is(h.throttler(rev.name).readyInstances, 8);
  await h.clock.runTo(T0 + 600);
  for (const l of leases) l.result.release();
  await h.clock.run(20_000);

  const byTime = new Map<number, number>();
  for (const s of h.runtime.stops()) byTime.set(s.at, (byTime.get(s.at) ?? 0) + 1);
  const described = [...byTime].map(([at, n]) => `+${at - T0}: ${n}`).join(", ");
  t.deepEqual([...byTime.values()], [4, 2, 1, 1], `stops by clock time: ${described}`);
  const times = [...byTime.keys()];
  // The burst panicked the autoscaler (8 queued, no instance ready) at its first tick; panic holds the
  // count for a stable window (4 s) after that.
  t.true(times[0] >= T0 + TICK + TEST_SCALING.stableWindowMs, `nothing stops while panicking (first stop at +${times[0] - T0})`);
  for (let i = 1; i < times.length; i++) t.is(times[i] - times[i - 1], TICK, `one halving per decision: ${described}`);
  t.true(h.runtime.stops().every((s) => s.graceSeconds === 10));
});

test("min instances are kept: serving a revision with min 2 starts the second at once and idling never stops them", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc", { scaling: { minInstanceCount: 2, maxInstanceCount: 5 } });
  h.controller.start();
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(100);
  t.is(first.state, "resolved");
  const serveAt = h.clock.now();
  h.controller.serve(PROJECT, SERVICE, [rev]);
  await h.clock.run(0);
  t.deepEqual(
    h.runtime.started().map((c) => c.createdAt),
    [T0, serveAt],
  );

  // Some traffic, then a long idle stretch.
  const lease = h.acquire(rev.name);
  await h.clock.run(3000);
  lease.result.release();
  await h.clock.run(60_000);
  t.deepEqual(h.runtime.stops(), []);
  t.is(h.runtime.running().length, 2);
  t.like(h.controller.status(PROJECT, rev.name), { readyInstances: 2, desired: 2, reason: "min" });
});

test("a request queued at zero waits for the startup deadline + 10 s, then fails as 'no available instance' (500), not at max scale", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = {}; // never listens
  const rev = h.revision("hello-00001-abc", { startupProbe: { periodSeconds: 5, failureThreshold: 1 } });
  h.controller.start();
  h.controller.serve(PROJECT, SERVICE, [rev]);
  const waiting = h.acquire(rev.name);
  await h.clock.runTo(T0 + 14_999);
  t.is(waiting.state, "pending");
  await h.clock.runTo(T0 + 15_000);
  t.is(waiting.state, "rejected");
  t.true(waiting.error instanceof NoCapacityError);
  t.is(waiting.error!.message, `no available instance for revision ${rev.name} within 15000 ms`);
  t.false((waiting.error as NoCapacityError).atMaxScale);
});

test("at max scale a queued request fails after 10 s as at max (429); after a 12 s startup it waits 12 s", async (t) => {
  const h = setup(t);
  h.runtime.behaviour = { listenAfterMs: 12_000 };
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: 1, scaling: { maxInstanceCount: 1 } });
  await h.serveFirst(rev, 12_000);
  const held = h.acquire(rev.name);
  const queuedAt = h.clock.now();
  const waiting = h.acquire(rev.name);
  await h.clock.runTo(queuedAt + 11_999);
  t.is(held.state, "resolved");
  t.is(waiting.state, "pending", "the average startup (12 s) is longer than 10 s, so the request waits that long");
  await h.clock.runTo(queuedAt + 12_000);
  t.is(waiting.state, "rejected");
  t.is(
    waiting.error!.message,
    `no available instance for revision ${rev.name} within 12000 ms (the revision is at its maximum number of instances)`,
  );
  t.true((waiting.error as NoCapacityError).atMaxScale);
  t.is(h.runtime.started().length, 1, "max 1: no second instance");
});
