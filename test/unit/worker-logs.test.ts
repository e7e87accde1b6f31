import test from "ava";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkerLogs } from "../../provider/runtime/worker-logs";

// The log thread runs only while there is work: an idle engine does not keep its memory. No Docker
// is needed here: nothing is attached, so nothing asks Docker.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const record = (text: string) => ({ time: new Date().toISOString(), stream: "engine" as const, text, revision: "r1", instance: "i1" });

test("the thread starts on the first line or read, is closed after its idle time with its lines on disk, and starts again when needed", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "skiff-worker-logs-"));
  const errors: string[] = [];
  const logs = new WorkerLogs({ dir, capBytes: 1024 * 1024 }, (message) => errors.push(message), 300);
  t.teardown(async () => {
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.false(logs.running, "not started by the engine's start");
  const detach = logs.attach("c1", { project: "p", service: "s", revision: "r1", instance: "i1" });
  t.false(logs.running, "nor by an attached container");
  detach();

  logs.append("p", "s", record("first"));
  t.true(logs.running, "an engine line starts it");
  await sleep(1_000);
  t.false(logs.running, "closed after 300 ms with nothing to do");
  t.regex(readFileSync(join(dir, "p", "s.log"), "utf8"), /"text":"first"/, "what it buffered was written before it closed");

  const read = await logs.read("p", "s");
  t.deepEqual(read.map((r) => r.text), ["first"]);
  const stop = logs.subscribe("p", "s", () => undefined);
  await sleep(600);
  t.true(logs.running, "kept while someone follows");
  stop();
  await sleep(1_000);
  t.false(logs.running);
  t.deepEqual(errors, []);
});
