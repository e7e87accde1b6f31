import test from "ava";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InProcessLogs, type LogSource } from "../../provider/logs/container-logs";
import { LogStore, type LogRecord } from "../../provider/logs/log-store";
import { FakeRuntime } from "../helpers/fake-runtime";
import { SteppingClock } from "../helpers/stepping-clock";

/** Containers' lines are read from the runtime on demand and kept only when a container is collected. */

const record = (time: string, text: string, instance = "i1"): LogRecord => ({ time, stream: "stdout", text, revision: "r1", instance });

function setup(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "skiff-container-logs-"));
  const clock = new SteppingClock(Date.parse("2024-01-01T00:00:00Z"));
  const runtime = new FakeRuntime(clock);
  const logs = new InProcessLogs(
    runtime,
    new LogStore(dir),
    () => undefined,
    () => clock.now(),
  );
  t.teardown(() => {
    void logs.close().finally(() => rmSync(dir, { recursive: true, force: true }));
  });
  return { clock, runtime, logs, dir };
}

const source: LogSource = { project: "p", service: "s", revision: "r1", instance: "i1" };

test("an attached container is read only when asked; collect keeps its lines once, after those already kept, and lets it go", async (t) => {
  const { clock, runtime, logs } = setup(t);
  const c = runtime.addContainer({ labels: {} });
  runtime.emitLog(c.id, "kept before a restart", { time: "2024-01-01T00:00:01Z" });
  logs.append("p", "s", { ...record("2024-01-01T00:00:01Z", "kept before a restart") });
  runtime.emitLog(c.id, "new", { time: "2024-01-01T00:00:02Z" });
  logs.attach(c.id, source, "2024-01-01T00:00:01.000000000Z");
  t.deepEqual(runtime.ops("readLogs"), []);

  t.deepEqual(
    (await logs.read("p", "s")).map((r) => r.text),
    ["kept before a restart", "new"],
  );
  await logs.collect(c.id);
  await clock.run(0);
  await runtime.remove(c.id);
  t.deepEqual(
    (await logs.read("p", "s")).map((r) => r.text),
    ["kept before a restart", "new"],
    "kept once, from the service's log",
  );
  t.is(runtime.ops("readLogs", c.id).length, 2, "one read for the first `logs read`, one to collect; none after");
  await logs.collect(c.id);
  t.is(runtime.ops("readLogs", c.id).length, 2, "a second collect is a no-op");
});

test("a collect resolves once the container's lines are on disk, so the container may go and the engine die right after", async (t) => {
  const { runtime, logs, dir } = setup(t);
  const c = runtime.addContainer({ labels: {} });
  runtime.emitLog(c.id, "last words", { time: "2024-01-01T00:00:01Z" });
  logs.attach(c.id, source);
  await logs.collect(c.id);
  t.regex(readFileSync(join(dir, "p", "s.log"), "utf8"), /"text":"last words"/);
});

test("a read while the container is being collected shows each of its lines once, though some are kept already and all are still in its own log", async (t) => {
  const { runtime, logs } = setup(t);
  const c = runtime.addContainer({ labels: {} });
  for (const text of ["one", "two", "three"]) runtime.emitLog(c.id, text);
  logs.attach(c.id, source);
  const collecting = logs.collect(c.id);
  t.deepEqual(
    (await logs.read("p", "s")).map((r) => r.text),
    ["one", "two", "three"],
  );
  await collecting;
  t.deepEqual(
    (await logs.read("p", "s")).map((r) => r.text),
    ["one", "two", "three"],
  );
});

test("a detached container is never collected; a revision filter reads only that revision's containers", async (t) => {
  const { runtime, logs } = setup(t);
  const a = runtime.addContainer({ labels: {} });
  const b = runtime.addContainer({ labels: {} });
  runtime.emitLog(a.id, "from r1", { time: "2024-01-01T00:00:01Z" });
  runtime.emitLog(b.id, "from r2", { time: "2024-01-01T00:00:02Z" });
  const detachA = logs.attach(a.id, source);
  logs.attach(b.id, { ...source, revision: "r2", instance: "i2" });
  t.deepEqual(
    (await logs.read("p", "s", { revision: "r2" })).map((r) => r.text),
    ["from r2"],
  );
  t.deepEqual(runtime.ops("readLogs", a.id), []);
  detachA();
  await logs.collect(a.id);
  t.deepEqual(
    (await logs.read("p", "s")).map((r) => r.text),
    ["from r2"],
  );
});

test("following a service live follows its attached containers from now, and a container attached later from its first line", async (t) => {
  const { clock, runtime, logs } = setup(t);
  const a = runtime.addContainer({ labels: {} });
  runtime.emitLog(a.id, "before the follow", { time: "2023-12-31T23:59:59Z" });
  logs.attach(a.id, source);
  const seen: string[] = [];
  const stop = logs.subscribe("p", "s", (r) => seen.push(r.text));
  await clock.run(1);
  runtime.emitLog(a.id, "live from a");
  const b = runtime.addContainer({ labels: {} });
  runtime.emitLog(b.id, "b's first line");
  logs.attach(b.id, { ...source, instance: "i2" });
  runtime.emitLog(b.id, "live from b");
  logs.append("p", "s", record(new Date(clock.now()).toISOString(), "an engine line"));
  t.deepEqual(seen, ["live from a", "b's first line", "live from b", "an engine line"]);
  stop();
  t.is(runtime.activeFollowers(a.id) + runtime.activeFollowers(b.id), 0, "the last follower gone, nothing is followed");
});

test("a kept block lent with appendKept is copied (the caller writes over it at once); one handed over is kept as it is", async (t) => {
  const { logs } = setup(t);
  const lentBuffer = Buffer.alloc(4096, " ");
  const lent = lentBuffer.subarray(0, lentBuffer.write(JSON.stringify(record("2024-01-01T00:00:01Z", "lent"))));
  logs.appendKept("p", "s", lent);
  lentBuffer.fill("x");
  logs.handOverKept("p", "s", new TextEncoder().encode(JSON.stringify(record("2024-01-01T00:00:02Z", "given"))));
  t.deepEqual(
    (await logs.read("p", "s")).map((r) => r.text),
    ["lent", "given"],
  );
});
