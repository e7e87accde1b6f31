import test from "ava";
import { WeightedPicker, type WeightedEntry } from "../../provider/router/weighted-pick";

function countPicks(picker: WeightedPicker, n: number): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (let i = 0; i < n; i++) {
    const pick = picker.pick();
    counts.set(pick, (counts.get(pick) ?? 0) + 1);
  }
  return counts;
}

function sequence(entries: WeightedEntry[], n: number): (string | undefined)[] {
  const picker = new WeightedPicker(entries);
  return Array.from({ length: n }, () => picker.pick());
}

test("no entries, or only 0 % entries, pick nothing", (t) => {
  t.is(new WeightedPicker([]).pick(), undefined);
  t.is(new WeightedPicker([{ revision: "a", percent: 0 }]).pick(), undefined);
});

test("a single entry always wins", (t) => {
  t.deepEqual([...countPicks(new WeightedPicker([{ revision: "a", percent: 100 }]), 1000)], [["a", 1000]]);
});

test("100/0 never picks the 0 % revision", (t) => {
  const picker = new WeightedPicker([
    { revision: "old", percent: 100 },
    { revision: "new", percent: 0 },
  ]);
  t.deepEqual([...countPicks(picker, 1000)], [["old", 1000]]);
  t.deepEqual(picker.targets, ["old"]);
});

test("90/10 over 10,000 picks is exact", (t) => {
  const counts = countPicks(
    new WeightedPicker([
      { revision: "stable", percent: 90 },
      { revision: "canary", percent: 10 },
    ]),
    10_000,
  );
  t.is(counts.get("stable"), 9000);
  t.is(counts.get("canary"), 1000);
});

test("90/10 is exact in every aligned window of 100 and spreads the canary out", (t) => {
  const picks = sequence(
    [
      { revision: "stable", percent: 90 },
      { revision: "canary", percent: 10 },
    ],
    10_000,
  );
  for (let start = 0; start < picks.length; start += 100) {
    t.is(picks.slice(start, start + 100).filter((p) => p === "canary").length, 10, `window at ${start}`);
  }
  // One canary in every 10 consecutive picks: never two canaries closer than 10 apart.
  const canaryAt = picks.flatMap((p, i) => (p === "canary" ? [i] : []));
  for (let i = 1; i < canaryAt.length; i++) t.is(canaryAt[i] - canaryAt[i - 1], 10);
});

test("34/33/33 is exact over 10,000 picks and within one pick of exact at any point", (t) => {
  const entries = [
    { revision: "a", percent: 34 },
    { revision: "b", percent: 33 },
    { revision: "c", percent: 33 },
  ];
  const picks = sequence(entries, 10_000);
  const seen = { a: 0, b: 0, c: 0 } as Record<string, number>;
  picks.forEach((p, i) => {
    seen[p as string] += 1;
    for (const { revision, percent } of entries) {
      const ideal = ((i + 1) * percent) / 100;
      if (Math.abs(seen[revision] - ideal) >= 1) t.fail(`${revision} drifted to ${seen[revision]} vs ${ideal} after ${i + 1}`);
    }
  });
  t.deepEqual(seen, { a: 3400, b: 3300, c: 3300 });
});

test("50/50 alternates, with no runs", (t) => {
  const picks = sequence(
    [
      { revision: "blue", percent: 50 },
      { revision: "green", percent: 50 },
    ],
    1000,
  );
  for (let i = 1; i < picks.length; i++) t.not(picks[i], picks[i - 1], `run at ${i}`);
  t.is(picks[0], "blue");
});

test("the same revision listed twice adds up", (t) => {
  const counts = countPicks(
    new WeightedPicker([
      { revision: "a", percent: 25 },
      { revision: "b", percent: 50 },
      { revision: "a", percent: 25 },
    ]),
    1000,
  );
  t.deepEqual([...counts].sort(), [
    ["a", 500],
    ["b", 500],
  ]);
});

test("odd weights such as 1/99 and 7/13/80 stay exact over each period", (t) => {
  for (const weights of [
    [1, 99],
    [7, 13, 80],
    [3, 3, 3, 91],
  ]) {
    const entries = weights.map((percent, i) => ({ revision: `r${i}`, percent }));
    const counts = countPicks(new WeightedPicker(entries), 500);
    t.deepEqual(
      entries.map((e) => counts.get(e.revision) ?? 0),
      weights.map((w) => w * 5),
      weights.join("/"),
    );
  }
});
