import test from "ava";
import { divideByTraffic, divideLimitByTraffic, revisionBounds, type ServingRevision } from "../../provider/scaling/service-allocation";
import { serviceScalingSchema } from "../../provider/model/service-scaling";

const split = (...percents: number[]) => percents.map((percent, i) => ({ revision: `r${i + 1}`, percent }));
const asObject = (m: Map<string, unknown>) => Object.fromEntries(m);
const serving = (percent: number, min = 0, max = 100, revision = `p${percent}`): ServingRevision => ({
  revision,
  percent,
  minInstances: min,
  maxInstances: max,
});
const scaling = (s: unknown) => serviceScalingSchema.parse(s);

test("a service minimum is divided by the split's percentages, adding up to the total", (t) => {
  t.deepEqual(asObject(divideByTraffic(2, split(50, 50))), { r1: 1, r2: 1 });
  t.deepEqual(asObject(divideByTraffic(10, split(90, 10))), { r1: 9, r2: 1 });
  t.deepEqual(asObject(divideByTraffic(5, split(70, 30))), { r1: 4, r2: 1 }); // 3.5 / 1.5: tie on .5 goes to the larger percent
  t.deepEqual(asObject(divideByTraffic(10, split(34, 33, 33))), { r1: 4, r2: 3, r3: 3 });
  t.deepEqual(asObject(divideByTraffic(1, split(50, 50))), { r1: 1, r2: 0 }); // a tie: the earlier revision
  t.deepEqual(asObject(divideByTraffic(3, split(100))), { r1: 3 });
});

test("revisions reached only by a tag take no share", (t) => {
  t.deepEqual(asObject(divideByTraffic(4, split(100, 0))), { r1: 4 });
  t.deepEqual(asObject(divideByTraffic(4, split(0))), {});
});

test("a service maximum gives each revision with traffic at least one while it allows", (t) => {
  t.deepEqual(asObject(divideLimitByTraffic(2, split(90, 10))), { r1: 1, r2: 1 });
  t.deepEqual(asObject(divideLimitByTraffic(10, split(90, 10))), { r1: 9, r2: 1 });
  t.deepEqual(asObject(divideLimitByTraffic(2, split(98, 1, 1))), { r1: 1, r2: 1, r3: 0 }); // not enough for all three
  t.deepEqual(asObject(divideLimitByTraffic(5, split(50, 50))), { r1: 3, r2: 2 });
});

test("automatic: a revision keeps the larger of its share of the service minimum and its own minimum", (t) => {
  const bounds = revisionBounds(scaling({ minInstanceCount: 4 }), [serving(75, 0), serving(25, 2)]);
  t.deepEqual(asObject(bounds), { p75: { min: 3, max: 100 }, p25: { min: 2, max: 100 } });
});

test("automatic: the service maximum bounds the revisions in the split together, each within its own maximum", (t) => {
  const bounds = revisionBounds(scaling({ maxInstanceCount: 6 }), [
    serving(50, 0, 2, "a"),
    serving(50, 0, 100, "b"),
    serving(0, 1, 10, "tagged"),
  ]);
  // a: its own maximum (2) is below its share (3); the tagged revision is outside the split.
  t.deepEqual(asObject(bounds), { a: { min: 0, max: 2 }, b: { min: 0, max: 3 }, tagged: { min: 1, max: 10 } });
  const sum = [...revisionBounds(scaling({ maxInstanceCount: 2 }), [serving(50, 0, 100, "a"), serving(50, 0, 100, "b")]).values()];
  t.is(
    sum.reduce((a, b) => a + b.max, 0),
    2,
  );
});

test("automatic: a minimum share never exceeds the revision's maximum", (t) => {
  const bounds = revisionBounds(scaling({ minInstanceCount: 4, maxInstanceCount: 4 }), [
    serving(50, 3, 100, "a"),
    serving(50, 0, 100, "b"),
  ]);
  t.deepEqual(asObject(bounds), { a: { min: 2, max: 2 }, b: { min: 2, max: 2 } });
});

test("without service scaling each revision keeps its own bounds", (t) => {
  const bounds = revisionBounds(scaling({}), [serving(100, 1, 5, "a"), serving(0, 0, 3, "t")]);
  t.deepEqual(asObject(bounds), { a: { min: 1, max: 5 }, t: { min: 0, max: 3 } });
});

test("manual: the count is fixed and divided by the split; revision-level bounds are ignored", (t) => {
  const bounds = revisionBounds(scaling({ scalingMode: "MANUAL", manualInstanceCount: 3 }), [
    serving(50, 5, 5, "a"),
    serving(50, 0, 1, "b"),
  ]);
  t.deepEqual(asObject(bounds), { a: { min: 2, max: 2, fixed: 2 }, b: { min: 1, max: 1, fixed: 1 } });
});

test("manual: more revisions than instances leaves some with none", (t) => {
  const bounds = revisionBounds(scaling({ scalingMode: "MANUAL", manualInstanceCount: 1 }), [
    serving(60, 0, 100, "a"),
    serving(40, 0, 100, "b"),
  ]);
  t.deepEqual(asObject(bounds), { a: { min: 1, max: 1, fixed: 1 }, b: { min: 0, max: 0, fixed: 0 } });
});

test("manual: a revision reached only by a tag runs its own minimum, fixed, or scales as usual without one", (t) => {
  const bounds = revisionBounds(scaling({ scalingMode: "MANUAL", manualInstanceCount: 2 }), [
    serving(100, 0, 100, "a"),
    serving(0, 1, 100, "tagged-min"),
    serving(0, 0, 7, "tagged"),
  ]);
  t.deepEqual(asObject(bounds), {
    a: { min: 2, max: 2, fixed: 2 },
    "tagged-min": { min: 1, max: 1, fixed: 1 },
    tagged: { min: 0, max: 7 },
  });
});
