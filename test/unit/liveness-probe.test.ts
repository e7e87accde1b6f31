import test from "ava";
import { containersOf } from "../../provider/model/containers";
import { parseJobSpec } from "../../provider/model/job";
import { templateFingerprint } from "../../provider/model/revision";
import { parseServiceTemplate } from "../../provider/model/template";
import type { ProbeOutcome } from "../../provider/runtime/http-probe";
import { FailureCount, firstCheckAt, nextCheckAt, watchLiveness } from "../../provider/runtime/liveness-probe";
import { FakeClock } from "../helpers/fake-clock";

// Liveness probes' pure parts: the model's rules (Cloud Run's limits, named by field), the
// schedule, the count of failures in a row, and the watch on a fake clock with a scripted check.
// The GETs against a real container are in test/integration/liveness-probe.test.ts.

const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return (error as Error).message;
  }
  return "(nothing thrown)";
};
const withLiveness = (livenessProbe: unknown) => ({ image: "app:1", livenessProbe });

test("an HTTP liveness probe takes Cloud Run's defaults: delay 0, period 10 s, timeout 1 s, 3 failures", (t) => {
  const parsed = parseServiceTemplate(withLiveness({ httpGet: { path: "/healthz" } }));
  t.deepEqual(parsed.livenessProbe, {
    httpGet: { path: "/healthz" },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 10,
    failureThreshold: 3,
  });
  t.deepEqual(containersOf(parsed)[0].liveness, {
    path: "/healthz",
    headers: [],
    port: 8080,
    initialDelayMs: 0,
    periodMs: 10_000,
    timeoutMs: 1000,
    failureThreshold: 3,
  });
});

test("a template without a liveness probe keeps its fingerprint and has no check", (t) => {
  const plain = parseServiceTemplate({ image: "app:1" });
  t.false("livenessProbe" in plain);
  t.is(containersOf(plain)[0].liveness, undefined);
  const probed = parseServiceTemplate(withLiveness({ httpGet: { path: "/healthz" } }));
  t.not(templateFingerprint(probed), templateFingerprint(plain));
});

test("Cloud Run's limits are refused by field: delay 0-3600, period 1-3600, timeout 1-3600 and at most the period", (t) => {
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ httpGet: {}, initialDelaySeconds: 3601 }))),
    /template\.livenessProbe\.initialDelaySeconds: must be at most 3600/,
  );
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ httpGet: {}, periodSeconds: 0 }))),
    /template\.livenessProbe\.periodSeconds: must be at least 1/,
  );
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ httpGet: {}, periodSeconds: 3601 }))),
    /template\.livenessProbe\.periodSeconds: must be at most 3600/,
  );
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ httpGet: {}, failureThreshold: 0 }))),
    /template\.livenessProbe\.failureThreshold: must be at least 1/,
  );
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ httpGet: {}, periodSeconds: 5, timeoutSeconds: 6 }))),
    /template\.livenessProbe\.timeoutSeconds: must not exceed periodSeconds \(5\).*got 6/,
  );
  // The default period (10 s) bounds a timeout given alone.
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ httpGet: {}, timeoutSeconds: 11 }))),
    /livenessProbe\.timeoutSeconds: must not exceed periodSeconds \(10\)/,
  );
  // The liveness maxima are above the startup probe's 240.
  const long = parseServiceTemplate(withLiveness({ httpGet: {}, initialDelaySeconds: 3600, periodSeconds: 3600, timeoutSeconds: 3600 }));
  t.is(long.livenessProbe?.periodSeconds, 3600);
  t.is(parseServiceTemplate(withLiveness({ httpGet: {}, periodSeconds: 5, timeoutSeconds: 5 })).livenessProbe?.timeoutSeconds, 5);
});

test("a TCP liveness probe, or one with no check, is refused naming the field", (t) => {
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ tcpSocket: { port: 8080 } }))),
    /template\.livenessProbe\.tcpSocket: is not a liveness check Cloud Run runs \(TCP is for startup probes\)/,
  );
  t.regex(
    thrown(() => parseServiceTemplate(withLiveness({ periodSeconds: 5 }))),
    /template\.livenessProbe\.httpGet: is required: a liveness probe needs a check/,
  );
});

test("a sidecar's liveness probe names its port; a job's containers have none", (t) => {
  const sidecar = (livenessProbe: unknown) => ({
    image: "app:1",
    containerName: "app",
    sidecars: [{ name: "proxy", image: "proxy:1", livenessProbe }],
  });
  t.regex(
    thrown(() => parseServiceTemplate(sidecar({ httpGet: { path: "/up" } }))),
    /template\.sidecars\[0\]\.livenessProbe\.httpGet\.port: is required/,
  );
  const ok = parseServiceTemplate(sidecar({ httpGet: { path: "/up", port: 9000 } }));
  t.is(containersOf(ok)[1].liveness?.port, 9000);
  t.regex(
    thrown(() =>
      parseJobSpec({
        template: {
          image: "job:1",
          containerName: "main",
          sidecars: [{ name: "db", image: "db:1", livenessProbe: { httpGet: { port: 5432 } } }],
        },
      }),
    ),
    /sidecars\[0\]\.livenessProbe: is not run in a job/,
  );
});

test("an HTTP startup probe's timeout may not exceed its period (Cloud Run's rule); a TCP probe's, unused, is not compared", (t) => {
  t.regex(
    thrown(() => parseServiceTemplate({ image: "app:1", startupProbe: { httpGet: { path: "/" }, periodSeconds: 2, timeoutSeconds: 3 } })),
    /template\.startupProbe\.timeoutSeconds: must not exceed periodSeconds \(2\)/,
  );
  t.regex(
    thrown(() => parseServiceTemplate({ image: "app:1", startupProbe: { httpGet: {}, timeoutSeconds: 11 } })),
    /template\.startupProbe\.timeoutSeconds: must not exceed periodSeconds \(10\)/,
  );
  // gcloud's own example, and a TCP probe as stored (its timeout, unused, is the default probe's 240 s), stay accepted.
  const tcp = parseServiceTemplate({ image: "app:1", startupProbe: { periodSeconds: 5, failureThreshold: 1 } }).startupProbe;
  t.deepEqual([tcp.periodSeconds, tcp.timeoutSeconds], [5, 240]);
  t.is(parseServiceTemplate({ image: "app:1", startupProbe: tcp }).startupProbe.timeoutSeconds, 240);
  t.is(parseServiceTemplate({ image: "app:1" }).startupProbe.timeoutSeconds, 240);
});

test("the first check is a period after the startup probe passed, and never before the initial delay", (t) => {
  const check = { initialDelayMs: 0, periodMs: 10_000 };
  t.is(firstCheckAt(check, 0, 3000), 13_000);
  t.is(firstCheckAt({ initialDelayMs: 60_000, periodMs: 10_000 }, 0, 3000), 60_000);
  t.is(nextCheckAt(check, 13_000, 13_004), 23_000);
  // A check that ended after the next was due: the next goes at once.
  t.is(nextCheckAt({ periodMs: 1000 }, 5000, 6500), 6500);
});

test("failures count in a row: a pass resets them, the threshold's worth is dead", (t) => {
  const count = new FailureCount(3);
  t.deepEqual(count.record(false), { alive: false, dead: false, failures: 1 });
  t.deepEqual(count.record(false), { alive: false, dead: false, failures: 2 });
  t.deepEqual(count.record(true), { alive: true });
  t.deepEqual(count.record(false), { alive: false, dead: false, failures: 1 });
  t.deepEqual(count.record(false), { alive: false, dead: false, failures: 2 });
  t.deepEqual(count.record(false), { alive: false, dead: true, failures: 3 });
});

const check = { path: "/healthz", headers: [], port: 8080, initialDelayMs: 0, periodMs: 1000, timeoutMs: 500, failureThreshold: 3 };
/** Lets the watch's awaited checks settle between clock steps. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A watch on a fake clock whose checks answer `answers` in turn (the last one ever after). */
function scripted(answers: ProbeOutcome[]) {
  const clock = new FakeClock(0);
  const checkedAt: number[] = [];
  const deaths: string[] = [];
  let n = 0;
  const watch = watchLiveness({
    clock,
    check,
    startedAt: 0,
    readyAt: 2000,
    probe: async () => (checkedAt.push(clock.now()), answers[Math.min(n++, answers.length - 1)]),
    onDead: (reason) => deaths.push(`${clock.now()} ${reason}`),
  });
  const step = async (ms: number) => {
    for (let i = 0; i < ms / 100; i++) {
      clock.advance(100);
      await settle();
    }
  };
  return { clock, checkedAt, deaths, watch, step };
}

test("the watch checks every period once started and calls a container dead at the third failure in a row", async (t) => {
  const ok = { status: 200 };
  const w = scripted([ok, { status: 500 }, { status: 500 }, ok, { status: 500 }, { error: "ECONNREFUSED" }, { status: 503 }]);
  await w.step(10_000);
  t.deepEqual(w.checkedAt, [3000, 4000, 5000, 6000, 7000, 8000, 9000]);
  t.deepEqual(w.deaths, ["9000 its liveness probe GET /healthz on port 8080 failed 3 times in a row (the last answer was status 503)"]);
  // Dead: no further check, no timer left.
  t.is(w.clock.pendingTimers, 0);
});

test("a healthy container is checked every period and never called dead", async (t) => {
  const w = scripted([{ status: 204 }]);
  await w.step(30_000);
  t.is(w.checkedAt.length, 28);
  t.deepEqual(w.deaths, []);
  t.is(w.clock.pendingTimers, 1);
  w.watch.stop();
  t.is(w.clock.pendingTimers, 0);
});

test("once stopped, the watch neither checks again nor calls back, even with a check in flight", async (t) => {
  const clock = new FakeClock(0);
  let release: (o: ProbeOutcome) => void = () => undefined;
  let checks = 0;
  const deaths: string[] = [];
  const watch = watchLiveness({
    clock,
    check: { ...check, failureThreshold: 1 },
    startedAt: 0,
    readyAt: 0,
    probe: () => (checks++, new Promise<ProbeOutcome>((resolve) => (release = resolve))),
    onDead: (reason) => deaths.push(reason),
  });
  clock.advance(1000);
  t.is(checks, 1);
  watch.stop();
  release({ status: 500 });
  await settle();
  clock.advance(10_000);
  await settle();
  t.is(checks, 1);
  t.deepEqual(deaths, []);
  t.is(clock.pendingTimers, 0);
  watch.stop();
});
