import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogStore, type LogRecord } from "../../provider/logs/log-store";

// After an engine restart a running instance is attached again from the time of its last line in
// the kept log: the lines before it were kept already. Request entries (written at once by the
// ingress) and the engine's own lines name the instance too, but its container's lines are still in
// Docker's log; found with a real engine: after a restart `logs read` showed only the container's
// lines written after its last request.

test("lastTimeOf is the time of the instance's own last line, not of a request entry or an engine line naming it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "skiff-log-store-"));
  const store = new LogStore(dir);
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const line = (time: string, stream: LogRecord["stream"], instance = "i1"): LogRecord => ({
    time,
    stream,
    text: stream === "request" ? "" : "x",
    revision: "r1",
    instance,
  });
  t.is(await store.lastTimeOf("p", "s", "i1"), undefined);
  store.append("p", "s", line("2026-12-07T05:00:00.000000001Z", "stdout"));
  store.append("p", "s", line("2026-12-07T05:00:00.5Z", "stderr"));
  store.append("p", "s", line("2026-12-07T05:00:02Z", "stdout", "i2"));
  store.appendKept("p", "s", JSON.stringify(line("2026-12-07T05:00:03.000Z", "request")));
  store.append("p", "s", line("2026-12-07T05:00:04Z", "engine"));
  await store.flush("p", "s");
  t.is(await store.lastTimeOf("p", "s", "i1"), "2026-12-07T05:00:00.500000000Z");
  // An instance with only request entries kept has no line of its own kept: read it all from Docker.
  store.appendKept("p", "s", JSON.stringify(line("2026-12-07T05:00:05.000Z", "request", "i3")));
  await store.flush("p", "s");
  t.is(await store.lastTimeOf("p", "s", "i3"), undefined);
});
