import test from "ava";
import { ConcurrencyWindow } from "../../provider/scaling/concurrency-window";

test("an average weights each record by the time it covers", (t) => {
  const window = new ConcurrencyWindow(60_000);
  window.record(0, 0); // start of observation
  window.record(1_000, 2); // (0, 1 s] at 2
  window.record(4_000, 6); // (1 s, 4 s] at 6
  // (2 × 1000 + 6 × 3000) / 4000, not the mean of the samples (4)
  t.is(window.average(4_000, 10_000), 5);
});

test("a window counts a bucket it cuts only for the part inside it", (t) => {
  const window = new ConcurrencyWindow(60_000);
  window.record(0, 0);
  window.record(10_000, 4);
  window.record(20_000, 8);
  // (5 s, 20 s]: 4 for 5 s, 8 for 10 s
  t.is(window.average(20_000, 15_000), (4 * 5_000 + 8 * 10_000) / 15_000);
  // (15 s, 20 s]: only the second bucket
  t.is(window.average(20_000, 5_000), 8);
  // A window that ends before the last record stops at its own end: (5 s, 15 s].
  t.is(window.average(15_000, 10_000), (4 * 5_000 + 8 * 5_000) / 10_000);
});

test("time before the first record and after the last one is absent, not zero", (t) => {
  const window = new ConcurrencyWindow(60_000);
  window.record(50_000, 0);
  window.record(51_000, 3);
  // The 60 s window at 55 s covers only (50 s, 51 s]: a young history is not diluted.
  t.is(window.average(55_000, 60_000), 3);
  // A 3 s window at 55 s holds no covered time and no reading: 0.
  t.is(window.average(55_000, 3_000), 0);
});

test("an empty window averages to 0", (t) => {
  const window = new ConcurrencyWindow(60_000);
  t.is(window.average(1_000, 60_000), 0);
  t.is(window.latest(), undefined);
  t.is(window.lastNonZero(), undefined);
});

test("a first record covers no time yet and counts as the current reading", (t) => {
  const window = new ConcurrencyWindow(60_000);
  window.record(1_000, 40);
  t.is(window.average(1_000, 6_000), 40);
  t.is(window.latest(), 40);
  // A reading belongs to its instant: a window that has moved past it no longer holds it.
  t.is(window.average(10_000, 6_000), 0);
  t.is(window.average(500, 6_000), 0);
  // Once time is covered, the covered time alone decides.
  window.record(2_000, 10);
  t.is(window.average(2_000, 6_000), 10);
});

test("lastNonZero is the end of the last bucket with concurrency above zero", (t) => {
  const window = new ConcurrencyWindow(60_000);
  window.record(0, 0);
  t.is(window.lastNonZero(), undefined);
  window.record(1_000, 2);
  window.record(2_000, 0);
  window.record(3_000, 0.5);
  window.record(4_000, 0);
  t.is(window.lastNonZero(), 3_000);
  t.is(window.latest(), 0);
});

test("lastNonZero survives the pruning of its bucket", (t) => {
  const window = new ConcurrencyWindow(10_000);
  window.record(0, 0);
  window.record(1_000, 5);
  for (let now = 2_000; now <= 600_000; now += 1_000) window.record(now, 0);
  t.is(window.lastNonZero(), 1_000);
});

test("buckets older than the retention are dropped, so memory stays bounded", (t) => {
  const window = new ConcurrencyWindow(10_000);
  window.record(0, 0);
  for (let now = 1_000; now <= 1_000_000; now += 1_000) window.record(now, now % 3_000 === 0 ? 9 : 0);
  // Buckets ending in (990 s, 1000 s]: ten of them, each 1 s.
  t.is(window.size, 10);
  // Pruning keeps every bucket the retention still needs: 3 of the last 10 s were at 9.
  t.is(window.average(1_000_000, 10_000), (9 * 3) / 10);
});

test("records must not go back in time and concurrency must be a number >= 0", (t) => {
  const window = new ConcurrencyWindow(60_000);
  window.record(5_000, 1);
  t.throws(() => window.record(4_999, 1), { instanceOf: RangeError, message: /back in time/ });
  t.throws(() => window.record(6_000, -1), { instanceOf: RangeError, message: /concurrency/ });
  t.throws(() => window.record(6_000, Number.NaN), { instanceOf: RangeError, message: /concurrency/ });
  // A rejected record leaves the window as it was.
  t.is(window.latest(), 1);
});
