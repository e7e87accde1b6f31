import test from "ava";
import { ReadinessError, type ContainerEvent, type InstanceSpec } from "../../provider/runtime/container-runtime";
import type { LogLine } from "../../provider/logs/log-store";
import { FakeRuntime } from "../helpers/fake-runtime";
import { SteppingClock } from "../helpers/stepping-clock";

/** The fake runtime behaves as the ContainerRuntime contract says, so controller tests can trust it. */

const spec = (name: string, labels: Record<string, string> = { "skiff.engine": "e1" }): InstanceSpec => ({
  name,
  image: "sha256:abc",
  env: {},
  port: 8080,
  memoryBytes: 1,
  nanoCpus: 1,
  labels,
});

function outcome(promise: Promise<unknown>) {
  const o: { state: string; error?: Error } = { state: "pending" };
  promise.then(
    () => (o.state = "resolved"),
    (e: Error) => ((o.state = "rejected"), (o.error = e)),
  );
  return o;
}

test("waitListening resolves when the test says the container listens, and at the auto-listen time", async (t) => {
  const clock = new SteppingClock(0);
  const rt = new FakeRuntime(clock);
  const a = await rt.start(spec("a"));
  const manual = outcome(rt.waitListening(a.containerId, 8080, 5000));
  await clock.run(100);
  t.is(manual.state, "pending");
  rt.listen(a.containerId);
  await clock.run(0);
  t.is(manual.state, "resolved");

  rt.behaviour = { listenAfterMs: 250 };
  const b = await rt.start(spec("b"));
  const auto = outcome(rt.waitListening(b.containerId, 8080, 5000));
  await clock.run(249);
  t.is(auto.state, "pending");
  await clock.run(1);
  t.is(auto.state, "resolved");
  t.is(rt.container(b.containerId).listenedAt, 350);
});

test("waitListening rejects with a ReadinessError on exit, at the deadline, and on abort", async (t) => {
  const clock = new SteppingClock(0);
  const rt = new FakeRuntime(clock);
  const [a, b, c] = [await rt.start(spec("a")), await rt.start(spec("b")), await rt.start(spec("c"))];
  const exited = outcome(rt.waitListening(a.containerId, 8080, 5000));
  const late = outcome(rt.waitListening(b.containerId, 8080, 5000));
  const abort = new AbortController();
  const cancelled = outcome(rt.waitListening(c.containerId, 8080, 5000, abort.signal));
  rt.kill(a.containerId, { exitCode: 3 });
  abort.abort();
  await clock.run(4999);
  t.is(exited.error?.message, "the container exited with code 3 before listening on port 8080");
  t.is(cancelled.error?.message, "the start was cancelled");
  t.is(late.state, "pending");
  await clock.run(1);
  t.is(late.error?.message, "the container did not listen on port 8080 within the startup deadline of 5 s");
  t.true([exited, late, cancelled].every((o) => o.error instanceof ReadinessError));
  await t.throwsAsync(rt.waitListening(c.containerId, 8080, 5000, abort.signal), {
    instanceOf: ReadinessError,
    message: "the start was cancelled",
  });
});

test("stopAndRemove records SIGTERM and the grace; a container trapping SIGTERM is killed when the grace ends; both report die", async (t) => {
  const clock = new SteppingClock(0);
  const rt = new FakeRuntime(clock);
  const events: ContainerEvent[] = [];
  rt.watchEvents(
    { "skiff.engine": "e1" },
    (e) => events.push(e),
    () => undefined,
  );
  const polite = await rt.start(spec("polite"));
  rt.behaviour = { trapSigterm: true };
  const stubborn = await rt.start(spec("stubborn"));
  const p1 = outcome(rt.stopAndRemove(polite.containerId, 10));
  const p2 = outcome(rt.stopAndRemove(stubborn.containerId, 10));
  await clock.run(0);
  t.is(p1.state, "resolved");
  t.like(rt.container(polite.containerId), { sigtermAt: 0, graceSeconds: 10, exitCode: 143, removedAt: 0 });
  await clock.run(9999);
  t.is(p2.state, "pending");
  t.true(rt.container(stubborn.containerId).running);
  await clock.run(1);
  t.is(p2.state, "resolved");
  t.like(rt.container(stubborn.containerId), { sigtermAt: 0, sigkillAt: 10_000, exitCode: 137, removedAt: 10_000 });
  t.deepEqual(events, [
    { containerId: polite.containerId, kind: "die", exitCode: 143 },
    { containerId: stubborn.containerId, kind: "die", exitCode: 137 },
  ]);
  t.deepEqual(await rt.list({}), []);
  t.is(await rt.inspect(polite.containerId), undefined);
  await rt.stopAndRemove(polite.containerId, 10); // a missing container: ignored, as Docker's 404
});

test("list filters by labels; inspect reports the host port only while running, and OOM kills", async (t) => {
  const clock = new SteppingClock(0);
  const rt = new FakeRuntime(clock);
  const a = await rt.start(spec("a", { "skiff.engine": "e1", "skiff.revision": "r1" }));
  const b = await rt.start(spec("b", { "skiff.engine": "e1", "skiff.revision": "r2" }));
  await rt.start(spec("c", { "skiff.engine": "e2" }));
  t.deepEqual(
    (await rt.list({ "skiff.engine": "e1" })).map((c) => c.containerId),
    [a.containerId, b.containerId],
  );
  t.deepEqual(
    (await rt.list({ "skiff.revision": "r2" })).map((c) => c.containerId),
    [b.containerId],
  );
  t.like(await rt.inspect(a.containerId), { running: true, hostPort: a.hostPort, oomKilled: false });
  const events: string[] = [];
  rt.watchEvents(
    { "skiff.revision": "r1" },
    (e) => events.push(e.kind),
    () => undefined,
  );
  rt.kill(a.containerId, { oom: true });
  rt.kill(b.containerId);
  t.deepEqual(await rt.inspect(a.containerId), { running: false, exitCode: 137, pid: undefined, hostPort: undefined, oomKilled: true });
  t.deepEqual(events, ["oom", "die"], "only events of containers carrying the watched labels");
  t.deepEqual(
    (await rt.list({ "skiff.engine": "e1" })).map((c) => c.running),
    [false, false],
    "exited containers are listed until removed",
  );
});

test("followLogs replays lines since the given second, then streams new ones until stopped; logTail has the last lines", async (t) => {
  const clock = new SteppingClock(0);
  const rt = new FakeRuntime(clock);
  const c = rt.addContainer({
    labels: {},
    logs: [
      { time: "2024-01-01T00:00:01.000000000Z", stream: "stdout", text: "one" },
      { time: "2024-01-01T00:00:02.500000000Z", stream: "stderr", text: "two" },
    ],
  });
  const seen: LogLine[] = [];
  const stop = rt.followLogs(c.id, Date.parse("2024-01-01T00:00:02Z") / 1000, (l) => seen.push(l));
  rt.emitLog(c.id, "three", { time: "2024-01-01T00:00:03.000000000Z" });
  stop();
  rt.emitLog(c.id, "four", { time: "2024-01-01T00:00:04.000000000Z" });
  t.deepEqual(
    seen.map((l) => `${l.stream}:${l.text}`),
    ["stderr:two", "stdout:three"],
  );
  t.is(await rt.logTail(c.id, 2), "three\nfour");
  t.is(rt.ops("unfollowLogs").length, 1);
});

test("a start rule can fail a start; resolveImage knows, invents or refuses images", async (t) => {
  const clock = new SteppingClock(0);
  const rt = new FakeRuntime(clock);
  rt.startRule = (_spec, index) => (index === 1 ? { failWith: "no space left on device" } : undefined);
  await rt.start(spec("a"));
  await t.throwsAsync(rt.start(spec("b")), { message: "no space left on device" });
  await rt.start(spec("c"));
  t.deepEqual(
    rt.started().map((c) => c.name),
    ["a", "c"],
  );
  rt.images.set("known:1", "sha256:known");
  rt.missingImages.add("missing:1");
  t.is(await rt.resolveImage("known:1"), "sha256:known");
  t.regex(await rt.resolveImage("other:1"), /^sha256:[0-9a-f]{64}$/);
  await t.throwsAsync(rt.resolveImage("missing:1"), { message: /image "missing:1" is not present locally and could not be pulled/ });
});
