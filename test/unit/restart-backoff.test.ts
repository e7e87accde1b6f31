import test from "ava";
import { RestartBackoff, restartDelayMs } from "../../provider/controller/restart-backoff";

test("restarts back off 1 s, 2 s, 4 s … capped at 30 s", (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs), [0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test("each failure pushes the next start out by the next delay", (t) => {
  const backoff = new RestartBackoff();
  t.is(backoff.waitMs(0), 0);
  t.is(backoff.recordFailure(10_000), 1000);
  t.is(backoff.waitMs(10_000), 1000);
  t.is(backoff.waitMs(10_600), 400);
  t.is(backoff.waitMs(11_000), 0);
  t.is(backoff.recordFailure(11_000, 500), 2000);
  t.is(backoff.recordFailure(13_000, 500), 4000);
  t.is(backoff.consecutiveFailures, 3);
});

test("an instance that stayed up longer than a minute ends the streak", (t) => {
  const backoff = new RestartBackoff();
  backoff.recordFailure(0);
  backoff.recordFailure(1000);
  t.is(backoff.recordFailure(100_000, 61_000), 1000);
  t.is(backoff.consecutiveFailures, 1);
  backoff.reset();
  t.is(backoff.waitMs(100_000), 0);
});
