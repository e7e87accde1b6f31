import test from "ava";
import {
  Autoscaler,
  DEFAULT_AUTOSCALER_SETTINGS,
  type AutoscalerSettings,
  type RevisionScaleBounds,
  type ScaleDecision,
} from "../../provider/scaling/autoscaler";
import { ConcurrencyWindow } from "../../provider/scaling/concurrency-window";
import { FakeClock } from "../helpers/fake-clock";

const GRACE = DEFAULT_AUTOSCALER_SETTINGS.scaleToZeroGraceMs; // 15 min

/** Concurrency 10 at 0.6 utilization: a target of 6 concurrent requests per instance. */
function autoscaler(bounds: Partial<RevisionScaleBounds> = {}, settings: Partial<AutoscalerSettings> = {}): Autoscaler {
  return new Autoscaler(
    { ...DEFAULT_AUTOSCALER_SETTINGS, ...settings },
    { concurrency: 10, minInstances: 0, maxInstances: 100, ...bounds },
  );
}

/** Records concurrency c every 2 s after `from` up to `to`, deciding with `ready` instances at each tick. */
function steady(a: Autoscaler, from: number, to: number, c: number, ready: number): Map<number, ScaleDecision> {
  const decisions = new Map<number, ScaleDecision>();
  for (let now = from + 2_000; now <= to; now += 2_000) {
    a.record(now, c);
    decisions.set(now, a.decide(now, ready));
  }
  return decisions;
}

test("stable mode asks for ceil(stable average / (concurrency × utilization)) instances", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(60_000, 30);
  t.deepEqual(a.decide(60_000, 3), {
    desired: 5,
    reason: "stable",
    panicking: false,
    stableConcurrency: 30,
    panicConcurrency: 30,
  });
  // 30.03 / 6 is just over 5: one more instance, rounding up.
  a.record(62_000, 31);
  t.is(a.decide(62_000, 5).desired, 6);
});

test("below the panic threshold the count follows the 60 s window, not the 6 s one", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(54_000, 6);
  a.record(60_000, 18);
  const decision = a.decide(60_000, 2);
  t.is(decision.stableConcurrency, 7.2); // (6 × 54 s + 18 × 6 s) / 60 s
  t.is(decision.panicConcurrency, 18);
  // The panic window asks for 3 (1.5× the ready 2, under the 2× threshold): the stable 2 wins.
  t.is(decision.desired, 2);
  t.false(decision.panicking);
});

test("scale-down halves at most per decision", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(60_000, 6); // needs one instance
  t.is(a.decide(60_000, 10).desired, 5);
  t.is(a.decide(60_000, 5).desired, 2); // floor(5 / 2)
  t.is(a.decide(60_000, 2).desired, 1);
  t.like(a.decide(60_000, 1), { desired: 1, reason: "stable" });
});

test("scale-up asks for at most ceil(maxScaleUpRate × ready) instances, counting at least one ready", (t) => {
  const limited = autoscaler({}, { maxScaleUpRate: 1.5, panicThreshold: 1000 });
  limited.record(0, 0);
  limited.record(60_000, 60); // needs 10
  t.like(limited.decide(60_000, 3), { desired: 5, reason: "stable" }); // ceil(4.5)
  t.is(limited.decide(60_000, 0).desired, 2); // ceil(1.5 × 1)
  const unlimited = autoscaler({}, { panicThreshold: 1000 });
  unlimited.record(0, 0);
  unlimited.record(60_000, 60);
  t.is(unlimited.decide(60_000, 3).desired, 10);
});

test("panic begins when the panic window asks for twice the ready instances", (t) => {
  const below = autoscaler();
  below.record(0, 0);
  below.record(54_000, 6);
  below.record(60_000, 42); // panic window asks for 7 = 1.75 × 4
  t.like(below.decide(60_000, 4), { desired: 2, reason: "stable", panicking: false });

  const at = autoscaler();
  at.record(0, 0);
  at.record(54_000, 6);
  at.record(60_000, 48); // panic window asks for 8 = 2 × 4
  t.like(at.decide(60_000, 4), { desired: 8, reason: "panic", panicking: true });
});

test("while panicking the count only goes up, never down", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(54_000, 6);
  a.record(60_000, 48);
  t.like(a.decide(60_000, 4), { desired: 8, panicking: true });
  // The burst fades: the panic window asks for 6 and stable mode would halve to 4, but panic holds 8.
  a.record(62_000, 12);
  t.like(a.decide(62_000, 8), { desired: 8, reason: "panic", panicking: true });
  // Demand rises again under the threshold (10 of 8 ready): panic follows it up.
  a.record(64_000, 120);
  t.like(a.decide(64_000, 8), { desired: 10, reason: "panic" });
  // And holds the new high when the panic window asks for 8 again.
  a.record(66_000, 6);
  t.like(a.decide(66_000, 10), { desired: 10, reason: "panic" });
});

test("panic ends a full stable window after the panic window was last at the threshold", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(54_000, 6);
  a.record(60_000, 48);
  t.true(a.decide(60_000, 4).panicking);
  // From 62 s on the panic window stays under 2× the 8 ready instances.
  const decisions = steady(a, 60_000, 120_000, 6, 8);
  t.like(decisions.get(118_000), { desired: 8, reason: "panic", panicking: true });
  // 60 s + 60 s: the stable window now holds only the calm, and asks for 1; halving allows 4.
  t.like(decisions.get(120_000), { desired: 4, reason: "stable", panicking: false, stableConcurrency: 6 });
});

test("a burst at the threshold during panic restarts the stable window before panic can end", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(54_000, 6);
  a.record(60_000, 48);
  t.true(a.decide(60_000, 4).panicking);
  steady(a, 60_000, 74_000, 6, 8);
  a.record(80_000, 96); // panic window asks for 16 = 2 × 8
  t.like(a.decide(80_000, 8), { desired: 16, panicking: true });
  const decisions = steady(a, 80_000, 140_000, 6, 8);
  t.like(decisions.get(120_000), { desired: 16, reason: "panic", panicking: true });
  t.like(decisions.get(138_000), { panicking: true });
  t.like(decisions.get(140_000), { desired: 4, reason: "stable", panicking: false });
});

test("the last instance stays until the revision has been idle for the whole grace period, then scales to zero", (t) => {
  // A 2 s tick loop on a fake clock, as the engine would run it: 6 in flight until 60 s, then idle.
  const clock = new FakeClock();
  const a = autoscaler();
  const decisions = new Map<number, ScaleDecision>();
  let ready = 1;
  const tick = () => {
    const now = clock.now();
    a.record(now, now <= 60_000 ? 6 : 0);
    const decision = a.decide(now, ready);
    decisions.set(now, decision);
    ready = decision.desired;
    clock.setTimeout(tick, 2_000);
  };
  clock.setTimeout(tick, 2_000);
  clock.advance(60_000 + GRACE + 10_000);

  const beforeGrace = [...decisions].filter(([now]) => now < 60_000 + GRACE).map(([, d]) => d);
  t.true(beforeGrace.every((d) => d.desired === 1 && d.reason === "stable"));
  t.like(decisions.get(60_000 + GRACE - 2_000), { desired: 1, reason: "stable", stableConcurrency: 0 });
  t.like(decisions.get(60_000 + GRACE), { desired: 0, reason: "scale-to-zero" });
  // Already at zero with no demand: it stays there.
  t.like(decisions.get(60_000 + GRACE + 2_000), { desired: 0, reason: "stable" });
});

test("an idle revision with several instances halves first, then scales to zero", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(1_000, 6);
  a.record(1_000 + GRACE, 0);
  t.like(a.decide(1_000 + GRACE, 4), { desired: 2, reason: "stable" });
  t.like(a.decide(1_000 + GRACE, 2), { desired: 1, reason: "stable" });
  t.like(a.decide(1_000 + GRACE, 1), { desired: 0, reason: "scale-to-zero" });
});

test("an idle young revision with no samples keeps one instance until the grace has passed", (t) => {
  const a = autoscaler();
  t.like(a.decide(1_000, 1), { desired: 1, reason: "stable", stableConcurrency: 0, panicConcurrency: 0 });
  t.like(a.decide(1_000 + GRACE - 1, 1), { desired: 1, reason: "stable" });
  t.like(a.decide(1_000 + GRACE, 1), { desired: 0, reason: "scale-to-zero" });
});

test("a revision at zero with no demand stays at zero", (t) => {
  const a = autoscaler();
  t.like(a.decide(1_000, 0), { desired: 0, reason: "stable" });
  a.record(2_000, 0);
  t.like(a.decide(2_000, 0), { desired: 0, reason: "stable" });
});

test("a revision with no ready instance and any demand asks for at least one", (t) => {
  const trickle = autoscaler();
  trickle.record(0, 0);
  trickle.record(60_000, 0.01);
  // One instance for a need of 1 is no burst: rates and the threshold count a revision at zero as one.
  t.like(trickle.decide(60_000, 0), { desired: 1, reason: "stable", panicking: false });
  // A need far below float noise is still a need, when the latest record is already back at zero.
  const past = autoscaler();
  past.record(0, 0);
  past.record(1_000, 1e-9);
  past.record(2_000, 0);
  t.is(past.decide(2_000, 0).desired, 1);
  // Requests reported at the very instant of the previous record cover no time, yet are demand.
  const instant = autoscaler();
  instant.record(0, 0);
  instant.record(1_000, 0);
  instant.record(1_000, 3);
  t.like(instant.decide(1_000, 0), { desired: 1, stableConcurrency: 0 });
});

test("in panic, a stable window that asks for more than the panic window wins", (t) => {
  const a = autoscaler();
  a.record(0, 0);
  a.record(54_000, 60); // long, heavy load while only one instance was ready
  a.record(60_000, 12); // the panic window asks for 2 = 2 × 1 ready: panic
  const decision = a.decide(60_000, 1);
  t.is(decision.stableConcurrency, 55.2); // asks for 10
  t.like(decision, { desired: 10, reason: "panic", panicking: true });
});

test("a burst at a revision with no ready instance scales straight up, capped by maxInstances", (t) => {
  const a = autoscaler({ concurrency: 1, maxInstances: 8 });
  a.record(1_000, 40); // needs ceil(40 / 0.6) = 67
  t.deepEqual(a.decide(1_000, 0), {
    desired: 8,
    reason: "max",
    panicking: true,
    stableConcurrency: 40,
    panicConcurrency: 40,
  });
});

test("a panic begun from zero holds the burst's count and counts an instance at its hard limit, so the burst is not provisioned again at 60 %", (t) => {
  const a = autoscaler(); // concurrency 10
  steady(a, 0, 60_000, 0, 0); // at zero for a stable window
  // 80 requests queue at zero; the burst rule asks for ceil(80 / 10) = 8, before any record holds them.
  a.activateFromZero(60_500, 8);
  t.like(a.decide(60_500, 0), { desired: 8, reason: "panic", panicking: true });
  // The same 80 requests, queued and then in flight, while the 8 become ready: at 60 % they would ask for 14.
  const decisions = steady(a, 60_000, 66_000, 80, 1);
  t.like(decisions.get(66_000), { desired: 8, reason: "panic", panicking: true, panicConcurrency: 80 });
  t.like(a.decide(66_000, 8), { desired: 8, reason: "panic" });
  // More arrive: the panic window's (4 × 80 + 2 × 128) / 6 = 96 asks for 16 at 60 %, 2 × the 8 ready.
  // That renews the panic, which still counts at the hard limit: 10.
  a.record(68_000, 128);
  t.like(a.decide(68_000, 8), { desired: 10, reason: "panic", panicking: true });
});

test("once the panic from zero has ended, load that lasted gets the 60 % target again", (t) => {
  const a = autoscaler();
  steady(a, 0, 60_000, 0, 0);
  a.activateFromZero(60_000, 8);
  // 80 requests in flight on 8 instances: 14 at 60 %, under 2 × 8, so the panic is never renewed.
  const decisions = steady(a, 60_000, 122_000, 80, 8);
  t.like(decisions.get(118_000), { desired: 8, reason: "panic", panicking: true });
  t.like(decisions.get(120_000), { desired: 14, reason: "stable", panicking: false, stableConcurrency: 80 });
  // A later burst at a revision with ready instances is an ordinary panic, at the 60 % target:
  // the panic window's (4 × 80 + 2 × 400) / 6 = 186.7 asks for 32 (19 at the hard limit).
  a.record(124_000, 400);
  t.like(a.decide(124_000, 14), { desired: 32, reason: "panic", panicking: true });
});

test("activateFromZero asks for at least the burst's count, within maxInstances", (t) => {
  const a = autoscaler({ maxInstances: 5 });
  a.activateFromZero(1_000, 8);
  t.like(a.decide(1_000, 0), { desired: 5, reason: "max", panicking: true });
  a.activateFromZero(1_100, 3); // a smaller count later in the same panic lowers nothing
  t.like(a.decide(1_100, 0), { desired: 5, reason: "max" });
});

test("minInstances is a floor, with reason min when it raised the count", (t) => {
  const a = autoscaler({ minInstances: 2 });
  a.record(0, 0);
  a.record(60_000, 6); // needs 1
  t.like(a.decide(60_000, 2), { desired: 2, reason: "min" });
  a.record(120_000, 30); // needs 5: the floor does not apply
  t.like(a.decide(120_000, 3), { desired: 5, reason: "stable" });

  const one = autoscaler({ minInstances: 1 });
  t.like(one.decide(1_000 + GRACE, 1), { desired: 1, reason: "stable" });
  t.like(one.decide(1_000 + GRACE + GRACE, 1), { desired: 1, reason: "min" }); // would scale to zero
});

test("maxInstances is a ceiling, with reason max when it lowered the count", (t) => {
  const stable = autoscaler({ maxInstances: 5 });
  stable.record(0, 0);
  stable.record(60_000, 36); // needs 6, 1.2× the ready 5
  t.like(stable.decide(60_000, 5), { desired: 5, reason: "max", panicking: false });

  const panicking = autoscaler({ maxInstances: 5 });
  panicking.record(0, 0);
  panicking.record(60_000, 120); // needs 20, 4× the ready 5
  t.like(panicking.decide(60_000, 5), { desired: 5, reason: "max", panicking: true });
});

test("a need within float noise of a whole number is that number, not one more", (t) => {
  const a = autoscaler({ concurrency: 1 }); // target 0.6
  a.record(0, 0);
  a.record(60_000, 4.2); // 4.2 / 0.6 is 7.000000000000001 in floating point
  t.is(a.decide(60_000, 7).desired, 7);
  const above = autoscaler({ concurrency: 1 });
  above.record(0, 0);
  above.record(60_000, 4.21);
  t.is(above.decide(60_000, 7).desired, 8);
});

test("decisions read an injected window", (t) => {
  const window = new ConcurrencyWindow(60_000);
  const a = new Autoscaler(DEFAULT_AUTOSCALER_SETTINGS, { concurrency: 10, minInstances: 0, maxInstances: 100 }, window);
  window.record(0, 0);
  window.record(60_000, 30);
  t.is(a.decide(60_000, 5).desired, 5);
  a.record(62_000, 60); // and record() writes to it
  t.is(window.latest(), 60);
});

test("settings and bounds that cannot work are rejected with the field named", (t) => {
  const bounds = { concurrency: 10, minInstances: 0, maxInstances: 10 };
  const make =
    (s: Partial<AutoscalerSettings>, b: Partial<RevisionScaleBounds> = {}) =>
    () =>
      new Autoscaler({ ...DEFAULT_AUTOSCALER_SETTINGS, ...s }, { ...bounds, ...b });
  t.notThrows(make({}));
  t.throws(make({ targetUtilization: 0 }), { instanceOf: RangeError, message: /targetUtilization/ });
  t.throws(make({ panicWindowMs: 120_000 }), { instanceOf: RangeError, message: /stableWindowMs/ });
  t.throws(make({ maxScaleDownRate: 1 }), { instanceOf: RangeError, message: /maxScaleDownRate/ });
  t.throws(make({ panicThreshold: 1 }), { instanceOf: RangeError, message: /panicThreshold/ });
  t.throws(make({}, { concurrency: 0 }), { instanceOf: RangeError, message: /concurrency/ });
  t.throws(make({}, { minInstances: 3, maxInstances: 2 }), { instanceOf: RangeError, message: /maxInstances/ });
  t.throws(() => new Autoscaler(DEFAULT_AUTOSCALER_SETTINGS, bounds, new ConcurrencyWindow(6_000)), {
    instanceOf: RangeError,
    message: /stable window/,
  });
});
