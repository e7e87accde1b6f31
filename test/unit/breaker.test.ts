import test from "ava";
import { Breaker } from "../../provider/scaling/breaker";

test("tryReserve grants exactly capacity slots and refuses the next", (t) => {
  const breaker = new Breaker(3);
  t.deepEqual([breaker.tryReserve(), breaker.tryReserve(), breaker.tryReserve()], [true, true, true]);
  t.false(breaker.tryReserve());
  t.false(breaker.tryReserve());
  t.is(breaker.inFlight, 3);
  t.is(breaker.free, 0);
});

test("release frees exactly one slot, which the next tryReserve takes", (t) => {
  const breaker = new Breaker(2);
  breaker.tryReserve();
  breaker.tryReserve();
  breaker.release();
  t.is(breaker.inFlight, 1);
  t.is(breaker.free, 1);
  t.true(breaker.tryReserve());
  t.false(breaker.tryReserve());
});

test("release never goes below zero, so extra releases cannot mint capacity", (t) => {
  const breaker = new Breaker(1);
  breaker.release();
  breaker.release();
  t.is(breaker.inFlight, 0);
  t.is(breaker.free, 1);
  t.true(breaker.tryReserve());
  t.false(breaker.tryReserve(), "still one slot after the stray releases");
});

test("capacity must be a positive integer", (t) => {
  for (const capacity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => new Breaker(capacity), { instanceOf: RangeError }, `capacity ${capacity}`);
  }
  t.is(new Breaker(1).capacity, 1);
});
