import test from "ava";
import { NoCapacityError, RequestTimeoutError, Throttler, type Endpoint, type Lease } from "../../provider/scaling/throttler";
import { FakeClock } from "../helpers/fake-clock";

/** A promise's outcome, readable synchronously after flush(). */
class Tracked<T> {
  state: "pending" | "resolved" | "rejected" = "pending";
  value: T | undefined;
  error: unknown;

  constructor(promise: Promise<T>) {
    promise.then(
      (value) => ((this.state = "resolved"), (this.value = value)),
      (error: unknown) => ((this.state = "rejected"), (this.error = error)),
    );
  }

  get lease(): T {
    if (this.state !== "resolved") throw new Error(`expected a resolved promise, it is ${this.state}`);
    return this.value as T;
  }
}

/** Lets every settled promise run its callbacks (the logic itself never uses real time). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

let nextPort = 8000;
const endpoint = (instanceId: string): Endpoint => ({ instanceId, host: "127.0.0.1", port: nextPort++ });

function setup(concurrency: number, timeoutMs = 10_000) {
  const clock = new FakeClock(1_000_000);
  const settings = { timeoutMs, atMaxScale: false };
  const demands: number[] = [];
  const throttler = new Throttler({
    revision: "hello-00001",
    concurrency,
    clock,
    queueTimeoutMs: () => settings.timeoutMs,
    atMaxScale: () => settings.atMaxScale,
    onDemand: (demand) => demands.push(demand),
  });
  const acquire = () => new Tracked(throttler.acquire());
  return { clock, settings, demands, throttler, acquire };
}

test("a free slot goes at once to the least-loaded instance, the earliest added on ties", async (t) => {
  const { throttler, acquire, demands } = setup(2);
  throttler.addInstance(endpoint("a"));
  throttler.addInstance(endpoint("b"));
  const picks = [acquire(), acquire(), acquire()];
  await flush();
  t.deepEqual(
    picks.map((p) => p.lease.endpoint.instanceId),
    ["a", "b", "a"],
  );
  picks[0].lease.release(); // a: 1, b: 1 again, so the tie goes to a
  const next = acquire();
  await flush();
  t.is(next.lease.endpoint.instanceId, "a");
  t.deepEqual(demands, [], "nothing queued, so no demand signal");
});

test("no instance ever holds more than concurrency requests, whatever the order of acquires and releases", async (t) => {
  const { throttler, acquire } = setup(3);
  throttler.addInstance(endpoint("a"));
  throttler.addInstance(endpoint("b"));
  const open: Tracked<Lease>[] = [];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let peak = 0;
  for (let step = 0; step < 400; step++) {
    if (random() < 0.6) open.push(acquire());
    else {
      const held = open.filter((p) => p.state === "resolved");
      const victim = held[Math.floor(random() * held.length)];
      if (victim) open.splice(open.indexOf(victim), 1)[0].lease.release();
    }
    await flush();
    for (const id of ["a", "b"]) t.true(throttler.inFlightOf(id) <= 3, `instance ${id} at step ${step}`);
    peak = Math.max(peak, throttler.inFlight);
  }
  t.is(peak, 6, "the loop did fill every slot");
  t.is(throttler.inFlight + throttler.queued, open.length, "every request is either in flight or queued");
});

test("queued requests are served strictly first come first served", async (t) => {
  const { throttler, acquire } = setup(1);
  throttler.addInstance(endpoint("a"));
  const holder = acquire();
  const waiters = [acquire(), acquire(), acquire()];
  await flush();
  const states = () => waiters.map((w) => w.state);
  t.deepEqual(states(), ["pending", "pending", "pending"]);
  holder.lease.release();
  await flush();
  t.deepEqual(states(), ["resolved", "pending", "pending"]);
  waiters[0].lease.release();
  await flush();
  t.deepEqual(states(), ["resolved", "resolved", "pending"]);
  waiters[1].lease.release();
  await flush();
  t.deepEqual(states(), ["resolved", "resolved", "resolved"]);
});

test("a newly arriving request never overtakes a queued one, even right as a slot frees", async (t) => {
  const { throttler, acquire } = setup(1);
  throttler.addInstance(endpoint("a"));
  const holder = acquire();
  await flush();
  const queuedFirst = acquire();
  holder.lease.release();
  const newcomer = acquire(); // same tick as the release
  await flush();
  t.is(queuedFirst.state, "resolved");
  t.is(newcomer.state, "pending");
  t.is(throttler.queued, 1);
  t.is(throttler.inFlightOf("a"), 1);
});

test("a waiter wakes when a slot frees on any instance, not only when one is added", async (t) => {
  const { throttler, acquire } = setup(1);
  throttler.addInstance(endpoint("a"));
  throttler.addInstance(endpoint("b"));
  const [onA, onB] = [acquire(), acquire()];
  const waiter = acquire();
  await flush();
  t.is(waiter.state, "pending");
  onB.lease.release();
  await flush();
  t.is(waiter.lease.endpoint.instanceId, "b");
  t.is(throttler.inFlightOf("b"), 1);
  t.is(onA.lease.endpoint.instanceId, "a");
});

test("an added instance serves queued requests at once, up to its concurrency, in arrival order", async (t) => {
  const { throttler, acquire } = setup(2);
  const waiters = [acquire(), acquire(), acquire()];
  await flush();
  t.is(throttler.queued, 3);
  throttler.addInstance(endpoint("a"));
  await flush();
  t.deepEqual(
    waiters.map((w) => w.state),
    ["resolved", "resolved", "pending"],
  );
  t.is(throttler.inFlightOf("a"), 2);
  throttler.addInstance(endpoint("b"));
  await flush();
  t.is(waiters[2].lease.endpoint.instanceId, "b");
  t.is(throttler.queued, 0);
});

test("a queued request fails at exactly queueTimeoutMs with NoCapacityError, atMaxScale false (500)", async (t) => {
  const { throttler, acquire, clock } = setup(1, 10_000);
  const waiter = acquire();
  clock.advance(9_999);
  await flush();
  t.is(waiter.state, "pending");
  clock.advance(1);
  await flush();
  t.is(waiter.state, "rejected");
  t.true(waiter.error instanceof NoCapacityError);
  t.false((waiter.error as NoCapacityError).atMaxScale);
  t.regex((waiter.error as Error).message, /no available instance/);
  t.is(throttler.queued, 0, "the timed-out waiter left the queue");
  t.is(throttler.demand, 0);
});

test("a request whose own timeout is shorter than the queue's fails at it with RequestTimeoutError (504); a longer one leaves the queue's", async (t) => {
  const { throttler, clock } = setup(1, 10_000);
  const short = new Tracked(throttler.acquire(2_000));
  const long = new Tracked(throttler.acquire(60_000));
  clock.advance(1_999);
  await flush();
  t.is(short.state, "pending");
  clock.advance(1);
  await flush();
  t.true(short.error instanceof RequestTimeoutError, String(short.error));
  t.is(throttler.queued, 1, "the timed-out waiter left the queue");
  clock.advance(8_000);
  await flush();
  t.true(long.error instanceof NoCapacityError, "past the queue's 10 s: 500 or 429, as before");
  // Granted before its timeout: a lease, as any other.
  const granted = new Tracked(throttler.acquire(2_000));
  clock.advance(1_000);
  throttler.addInstance(endpoint("a"));
  await flush();
  t.is(granted.lease.endpoint.instanceId, "a");
  clock.advance(5_000);
  await flush();
  t.is(granted.state, "resolved", "no timer fires on a granted waiter");
});

test("a timed-out request reports atMaxScale true (429) when the callback says so at timeout time", async (t) => {
  const { acquire, clock, settings } = setup(1, 10_000);
  const waiter = acquire();
  settings.atMaxScale = true; // the owner's answer when the timeout fires counts, not at queueing
  clock.advance(10_000);
  await flush();
  t.true(waiter.error instanceof NoCapacityError);
  t.true((waiter.error as NoCapacityError).atMaxScale);
});

test("queueTimeoutMs is asked for each queued request", async (t) => {
  const { acquire, clock, settings } = setup(1, 10_000);
  const short = acquire();
  settings.timeoutMs = 25_000; // say the average startup time grew
  const long = acquire();
  clock.advance(10_000);
  await flush();
  t.is(short.state, "rejected");
  t.is(long.state, "pending");
  clock.advance(15_000);
  await flush();
  t.is(long.state, "rejected");
});

test("a timed-out waiter leaves the queue and the next waiter gets the freed slot", async (t) => {
  const { throttler, acquire, clock } = setup(1, 1_000);
  throttler.addInstance(endpoint("a"));
  const holder = acquire();
  const first = acquire();
  clock.advance(500);
  const second = acquire();
  clock.advance(500);
  await flush();
  t.is(first.state, "rejected");
  t.is(throttler.queued, 1);
  holder.lease.release();
  await flush();
  t.is(second.lease.endpoint.instanceId, "a");
  t.is(first.state, "rejected", "a timed-out waiter is never served later");
  t.is(throttler.inFlight, 1);
});

test("a served waiter's timeout is cancelled", async (t) => {
  const { throttler, acquire, clock } = setup(1, 1_000);
  const waiter = acquire();
  t.is(clock.pendingTimers, 1);
  throttler.addInstance(endpoint("a"));
  t.is(clock.pendingTimers, 0);
  clock.advance(5_000);
  await flush();
  t.is(waiter.state, "resolved");
  t.is(throttler.inFlightOf("a"), 1);
});

test("onDemand is called synchronously for each queued request with in-flight + queued", (t) => {
  const { throttler, acquire, demands } = setup(2);
  throttler.addInstance(endpoint("a"));
  acquire();
  acquire();
  t.deepEqual(demands, [], "requests served at once signal nothing");
  acquire();
  t.deepEqual(demands, [3]);
  acquire();
  t.deepEqual(demands, [3, 4]);
  t.is(throttler.demand, 4);
});

test("an instance added from inside onDemand serves the request that asked for it", async (t) => {
  const clock = new FakeClock();
  const throttler: Throttler = new Throttler({
    revision: "r",
    concurrency: 1,
    clock,
    queueTimeoutMs: () => 1_000,
    atMaxScale: () => false,
    onDemand: () => throttler.addInstance(endpoint(`i${throttler.readyInstances}`)),
  });
  const lease = new Tracked(throttler.acquire());
  await flush();
  t.is(lease.lease.endpoint.instanceId, "i0");
  t.is(throttler.queued, 0);
  t.is(clock.pendingTimers, 0);
});

test("a lease frees exactly one slot however often it is released", async (t) => {
  const { throttler, acquire } = setup(3);
  throttler.addInstance(endpoint("a"));
  const leases = [acquire(), acquire(), acquire()];
  await flush();
  leases[0].lease.release();
  leases[0].lease.release();
  leases[0].lease.release();
  t.is(throttler.inFlightOf("a"), 2);
  t.is(throttler.inFlight, 2);
});

test("a removed instance takes no new requests and its freed slots do not go to waiters; waiters are kept", async (t) => {
  const { throttler, acquire } = setup(1);
  throttler.addInstance(endpoint("a"));
  const onA = acquire();
  const waiter = acquire();
  await flush();
  throttler.removeInstance("a");
  t.is(throttler.readyInstances, 0);
  t.is(throttler.inFlightOf("a"), 1, "the request in flight keeps counting");
  onA.lease.release();
  await flush();
  t.is(waiter.state, "pending");
  t.is(throttler.queued, 1);
  throttler.addInstance(endpoint("b"));
  await flush();
  t.is(waiter.lease.endpoint.instanceId, "b");
});

test("drained resolves when a removed instance's last request ends, and not before", async (t) => {
  const { throttler, acquire, clock } = setup(2);
  throttler.addInstance(endpoint("a"));
  const [first, second] = [acquire(), acquire()];
  await flush();
  throttler.removeInstance("a");
  const drained = new Tracked(throttler.drained("a"));
  first.lease.release();
  await flush();
  t.is(drained.state, "pending");
  second.lease.release();
  await flush();
  t.is(drained.state, "resolved");
  t.is(clock.pendingTimers, 0, "event-driven: no polling timer");
});

test("drained resolves at once for an instance with nothing in flight or unknown", async (t) => {
  const { throttler } = setup(1);
  throttler.addInstance(endpoint("a"));
  throttler.removeInstance("a");
  const idle = new Tracked(throttler.drained("a"));
  const unknown = new Tracked(throttler.drained("never-added"));
  await flush();
  t.is(idle.state, "resolved");
  t.is(unknown.state, "resolved");
});

test("forget drops the instance's count, and a late release recreates no entry or count", async (t) => {
  const { throttler, acquire } = setup(2);
  throttler.addInstance(endpoint("a"));
  throttler.addInstance(endpoint("b"));
  const [onA, onB] = [acquire(), acquire()];
  await flush();
  t.is(onA.lease.endpoint.instanceId, "a");
  throttler.removeInstance("a");
  const drained = new Tracked(throttler.drained("a"));
  throttler.forget("a");
  t.is(throttler.inFlight, 1);
  t.is(throttler.inFlightOf("a"), 0);
  throttler.addInstance(endpoint("a")); // the id is free again: a fresh record
  const onNewA = acquire();
  await flush();
  t.is(drained.state, "resolved", "whoever awaited the drain is let go");
  t.is(onNewA.lease.endpoint.instanceId, "a");
  onA.lease.release(); // the old lease must not touch the new record
  t.is(throttler.inFlightOf("a"), 1);
  t.is(throttler.inFlight, 2);
  onB.lease.release();
  onNewA.lease.release();
  t.is(throttler.inFlight, 0);
});

test("registering an instance id twice is refused", (t) => {
  const { throttler } = setup(1);
  throttler.addInstance(endpoint("a"));
  t.throws(() => throttler.addInstance(endpoint("a")), { message: /already registered/ });
  t.is(throttler.readyInstances, 1);
});

test("close rejects every waiter with NoCapacityError (atMaxScale false), and later acquires too", async (t) => {
  const { throttler, acquire, clock, settings } = setup(1);
  settings.atMaxScale = true; // close never reports 429, whatever the scale
  const waiters = [acquire(), acquire()];
  throttler.close("the revision was deleted");
  const late = acquire();
  await flush();
  for (const w of [...waiters, late]) {
    t.true(w.error instanceof NoCapacityError);
    t.false((w.error as NoCapacityError).atMaxScale);
    t.regex((w.error as Error).message, /the revision was deleted/);
  }
  t.is(throttler.queued, 0);
  t.is(clock.pendingTimers, 0, "their timeouts are cancelled");
});

test("the concurrency sample is exact: 2 in flight for 1 s then 0 for 1 s averages 1.0", async (t) => {
  const { throttler, acquire, clock } = setup(2);
  throttler.addInstance(endpoint("a"));
  const leases = [acquire(), acquire()];
  await flush();
  clock.advance(1_000);
  leases.forEach((l) => l.lease.release());
  clock.advance(1_000);
  t.is(throttler.takeConcurrencySample(), 1.0);
});

test("the concurrency sample counts queued requests and covers only the time since the previous sample", async (t) => {
  const { throttler, acquire, clock } = setup(1, 60_000);
  throttler.addInstance(endpoint("a"));
  clock.advance(1_000); // idle before the first sample
  t.is(throttler.takeConcurrencySample(), 0);
  const holder = acquire();
  acquire(); // queued: demand 2
  clock.advance(500);
  await flush();
  holder.lease.release(); // the waiter takes the slot: demand 1
  clock.advance(1_500);
  t.is(throttler.takeConcurrencySample(), (2 * 500 + 1 * 1_500) / 2_000);
  clock.advance(3_000);
  t.is(throttler.takeConcurrencySample(), 1, "the waiter, now in flight, for the whole window");
  t.is(throttler.takeConcurrencySample(), 1, "no time elapsed: the current demand");
});

test("concurrency must be a positive integer", (t) => {
  for (const concurrency of [0, -2, 2.5]) {
    t.throws(() => setup(concurrency), { instanceOf: RangeError }, `concurrency ${concurrency}`);
  }
});

test("a suspended instance takes no new request until resumed; its freed slot does not go to waiters meanwhile", async (t) => {
  const clock = new FakeClock();
  const throttler = new Throttler({
    revision: "r",
    concurrency: 1,
    clock,
    queueTimeoutMs: () => 10_000,
    atMaxScale: () => false,
    onDemand: () => undefined,
  });
  throttler.addInstance({ instanceId: "a", host: "h", port: 1 });
  const first = await throttler.acquire();
  t.true(throttler.suspend("a"));
  t.false(throttler.suspend("a"), "suspending twice is a no-op");
  const waiting = throttler.acquire();
  let settled = false;
  void waiting.then(() => (settled = true));
  first.release();
  await Promise.resolve();
  t.false(settled, "the freed slot of a suspended instance is not handed out");
  t.is(throttler.queued, 1);
  throttler.resume("a");
  const second = await waiting;
  t.is(second.endpoint.instanceId, "a");
  t.is(throttler.readyInstances, 1);
});

test("a suspended instance can be removed or forgotten like any other", async (t) => {
  const clock = new FakeClock();
  const throttler = new Throttler({
    revision: "r",
    concurrency: 2,
    clock,
    queueTimeoutMs: () => 10_000,
    atMaxScale: () => false,
    onDemand: () => undefined,
  });
  throttler.addInstance({ instanceId: "a", host: "h", port: 1 });
  const lease = await throttler.acquire();
  throttler.suspend("a");
  throttler.removeInstance("a");
  let drained = false;
  void throttler.drained("a").then(() => (drained = true));
  lease.release();
  await Promise.resolve();
  t.true(drained);
  t.is(throttler.inFlight, 0);
  throttler.resume("a");
  t.is(throttler.readyInstances, 0, "a removed instance is not resumed");
});

test("tryAcquire gives a slot at once exactly where acquire would, and nothing where acquire would wait or fail", async (t) => {
  const { throttler, acquire } = setup(1);
  t.is(throttler.tryAcquire(), undefined, "no instance yet");
  throttler.addInstance(endpoint("a"));
  const first = throttler.tryAcquire();
  t.is(first?.endpoint.instanceId, "a");
  t.is(throttler.tryAcquire(), undefined, "a is full");
  const waiting = acquire();
  await flush();
  t.is(waiting.state, "pending");
  throttler.addInstance(endpoint("b"));
  await flush();
  t.is(waiting.lease.endpoint.instanceId, "b", "the waiter took the new slot");
  first!.release();
  t.is(throttler.tryAcquire()?.endpoint.instanceId, "a");
  throttler.close("gone");
  t.is(throttler.tryAcquire(), undefined, "closed");
  t.is(throttler.inFlight, 2);
});
