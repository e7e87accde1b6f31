import test from "ava";
import { DEFAULT_AUTOSCALER_SETTINGS, tickFor } from "../../provider/scaling/autoscaler";
import type { Lease } from "../../provider/scaling/throttler";
import { harness, PROJECT, SERVICE, TEST_SCALING, type Harness } from "../helpers/instance-harness";

/**
 * A burst from zero on the instance controller, with a fake runtime and a stepping clock: 80
 * closed-loop clients at concurrency 10 start ceil(80/10) = 8 instances, and the autoscaler, once
 * the first of them is ready, does not provision the same requests again at its 60 % target
 * (ceil(80/6) = 14: issue 27, item 8). Load that outlasts the panic still gets the 60 % target.
 */

const CONCURRENCY = 10;
const CLIENTS = 80;
/** Docker starts a burst's containers one after another: the n-th listens after 600 + 100·n ms. */
const listensStaggered = (_spec: unknown, index: number) => ({ listenAfterMs: 600 + 100 * index });

interface ClosedLoop {
  served: number;
  failed: number;
}

/**
 * `CLIENTS` clients, each sending its next request when the previous one is answered, until `total`
 * were sent; a request holds its slot for `serviceMs` of clock time.
 */
function closedLoop(h: Harness, revision: string, total: number, serviceMs: number): ClosedLoop {
  const loop: ClosedLoop = { served: 0, failed: 0 };
  let sent = 0;
  const client = async () => {
    while (sent < total) {
      sent++;
      let lease: Lease;
      try {
        lease = await h.throttler(revision).acquire();
      } catch {
        loop.failed++;
        continue;
      }
      await new Promise<void>((resolve) => h.clock.setTimeout(resolve, serviceMs));
      lease.release();
      loop.served++;
    }
  };
  for (let i = 0; i < CLIENTS; i++) void client();
  return loop;
}

/** A serving revision at concurrency 10 that has been at zero for a stable window (its windows hold zeros, as after scaling to zero). */
async function idleAtZero(h: Harness, stableWindowMs: number) {
  h.runtime.startRule = listensStaggered;
  const rev = h.revision("hello-00001-abc", { maxInstanceRequestConcurrency: CONCURRENCY });
  h.controller.start();
  h.controller.serve(PROJECT, SERVICE, [rev]);
  await h.clock.run(stableWindowMs);
  return rev;
}

// Each request lasts long enough for the load to span decisions, and is over well within a stable window.
for (const [windows, scaling, serviceMs] of [
  // 200 requests of 100 ms: the load ends about 1.6 s after the burst, within the 4 s stable window.
  ["the test engine's windows (a decision every 333 ms)", TEST_SCALING, 100],
  // The first decision comes after all 8 are ready, so the burst must be known before any tick;
  // 200 requests of 1.5 s: about 5.8 s of load, far within the 60 s stable window.
  [
    "the default windows (a decision every 2 s)",
    { ...DEFAULT_AUTOSCALER_SETTINGS, tickMs: tickFor(DEFAULT_AUTOSCALER_SETTINGS.panicWindowMs) },
    1_500,
  ],
] as const) {
  test(`200 requests from 80 clients at concurrency 10 from zero start exactly ceil(80/10) = 8 instances, not ceil(80/6) = 14, with ${windows}`, async (t) => {
    const h = harness({ scaling });
    t.teardown(() => h.dispose());
    const rev = await idleAtZero(h, scaling.stableWindowMs);
    const burstAt = h.clock.now();

    const loop = closedLoop(h, rev.name, 200, serviceMs);
    const desiredSeen = new Set<number>();
    const lastAnswerAt = await h.clock.runUntil(
      () => (desiredSeen.add(h.controller.status(PROJECT, rev.name)!.desired), loop.served + loop.failed === 200),
      60_000,
      "200 answers",
    );
    // The decisions after the load (the panic holds, then halves) start nothing either.
    await h.clock.run(scaling.stableWindowMs + 10_000);

    t.deepEqual(loop, { served: 200, failed: 0 });
    t.deepEqual(
      h.runtime.started().map((c) => c.createdAt - burstAt),
      Array(8).fill(0),
      "8 starts, all when the requests queued",
    );
    t.deepEqual(
      [...desiredSeen].sort((a, b) => a - b),
      [8],
      "the desired count never went above 8 while the load ran",
    );
    t.is(h.runtime.peakRunning, 8);
    t.deepEqual(
      h.runtime.stops().filter((s) => s.at <= lastAnswerAt),
      [],
      "no instance was drained while the load ran",
    );
  });
}

test("80 clients that keep sending get the 60 % target, ceil(80/6) = 14, once the panic from zero has ended", async (t) => {
  const h = harness();
  t.teardown(() => h.dispose());
  const rev = await idleAtZero(h, TEST_SCALING.stableWindowMs);
  const burstAt = h.clock.now();

  // 50 ms per request for about 12 s: 80 requests in flight all the time, three stable windows long.
  const loop = closedLoop(h, rev.name, 80 * 240, 50);
  await h.clock.runUntil(() => loop.served + loop.failed === 80 * 240, 60_000, "the sustained load's answers");

  t.is(loop.failed, 0);
  const startedAt = h.runtime.started().map((c) => c.createdAt - burstAt);
  t.deepEqual(startedAt.slice(0, 8), Array(8).fill(0), "the burst starts 8 at once");
  t.is(startedAt.length, 14, `then the stable window's 60 % target: ${startedAt.join(", ")}`);
  // The panic was last renewed while 7 were ready (14 ≥ 2 × 7, at +1200 ms); it holds 8 for a stable window after that.
  t.true(startedAt[8] >= 1_200 + TEST_SCALING.stableWindowMs, `no ninth instance while the panic from zero lasts: +${startedAt[8]} ms`);
  t.deepEqual(h.runtime.stops(), [], "nothing is drained under the load");
});
