import test, { type ExecutionContext } from "ava";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ThreadedLogs } from "../../provider/logs/threaded-logs";
import { eventually } from "../helpers/http";

// The log thread runs only while there is work: an idle engine does not keep its memory. No Docker
// is needed here: nothing is attached, so nothing asks Docker.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const record = (text: string) => ({ time: new Date().toISOString(), stream: "engine" as const, text, revision: "r1", instance: "i1" });

/** Logs in a folder of the test's own, closed and removed when the test ends; errors the thread reports are collected. */
function openLogs(t: ExecutionContext, capBytes = 1024 * 1024) {
  const dir = mkdtempSync(join(tmpdir(), "skiff-worker-logs-"));
  const errors: string[] = [];
  const logs = new ThreadedLogs({ dir, capBytes }, (message) => errors.push(message), 300);
  t.teardown(async () => {
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, errors, logs };
}

test("the thread starts on the first line or read, is closed after its idle time with its lines on disk, and starts again when needed", async (t) => {
  const { dir, errors, logs } = openLogs(t);
  t.false(logs.running, "not started by the engine's start");
  const detach = logs.attach("c1", { project: "p", service: "s", revision: "r1", instance: "i1" });
  t.false(logs.running, "nor by an attached container");
  detach();

  logs.append("p", "s", record("first"));
  t.true(logs.running, "an engine line starts it");
  // Closed after 300 ms with nothing to do; its exit (flushing the file) takes longer on a loaded machine.
  await eventually("the idle thread is closed", async () => !logs.running, 10_000, 50);
  // What it buffered is written as it closes (the thread flushes, then exits).
  await eventually(
    "the closing thread's lines on disk",
    async () => fileText(join(dir, "p", "s.log")).includes('"text":"first"'),
    10_000,
    50,
  );

  const pieces: Uint8Array[] = [];
  await logs.readInto("p", "s", { encoding: "text" }, (piece) => void pieces.push(piece));
  t.regex(Buffer.concat(pieces).toString(), /^\S+ r1 engine: first\n$/);
  const stop = logs.subscribe("p", "s", () => undefined);
  await sleep(600);
  t.true(logs.running, "kept while someone follows");
  stop();
  await eventually("the thread is closed once nobody follows", async () => !logs.running, 10_000, 50);
  t.deepEqual(errors, []);
});

test("a read arrives in pieces, written one after the other as the reader takes them; a reader that goes away ends the read with its error and the thread serves the next", async (t) => {
  const { errors, logs } = openLogs(t, 64 * 1024 * 1024);
  const lines = 20_000;
  for (let i = 0; i < lines; i++) logs.append("p", "s", record(`line ${i}`));

  const pieces: Uint8Array[] = [];
  let writing = 0;
  let most = 0;
  await logs.readInto("p", "s", { limit: lines, encoding: "json" }, async (piece) => {
    most = Math.max(most, ++writing);
    await sleep(2);
    pieces.push(piece);
    writing -= 1;
  });
  const read = JSON.parse(`[${Buffer.concat(pieces).toString()}]`) as string[];
  t.is(read.length, lines);
  t.regex(read[lines - 1], / r1 engine: line 19999$/);
  t.true(pieces.length > 10, `${pieces.length} pieces`);
  t.is(most, 1, "one write at a time");

  let writes = 0;
  await t.throwsAsync(
    logs.readInto("p", "s", { limit: lines, encoding: "text" }, () => {
      writes += 1;
      if (writes === 3) throw new Error("the client went away");
    }),
    { message: "the client went away" },
  );
  const again: Uint8Array[] = [];
  await logs.readInto("p", "s", { limit: 1, encoding: "text" }, (piece) => void again.push(piece));
  t.regex(Buffer.concat(again).toString(), / r1 engine: line 19999\n$/);
  t.deepEqual(errors, []);
});

test("a kept block lent with appendKept is copied and stays the caller's; one handed over with handOverKept is transferred to the thread", async (t) => {
  const { errors, logs } = openLogs(t);
  const kept = (text: string) => JSON.stringify(record(text));
  // The start of a larger buffer, which the caller writes over once appendKept returns.
  const lentBuffer = Buffer.alloc(4096, " ");
  const lent = lentBuffer.subarray(0, lentBuffer.write(kept("lent")));
  logs.appendKept("p", "s", lent);
  t.is(lentBuffer.buffer.byteLength, 4096, "not detached");
  lentBuffer.fill("x");
  const given = new TextEncoder().encode(kept("given"));
  logs.handOverKept("p", "s", given);
  t.is(given.buffer.byteLength, 0, "transferred: detached here");
  const pieces: Uint8Array[] = [];
  await logs.readInto("p", "s", { encoding: "text" }, (piece) => void pieces.push(piece));
  t.regex(Buffer.concat(pieces).toString(), /^\S+ r1 engine: lent\n\S+ r1 engine: given\n$/);
  t.deepEqual(errors, []);
});

function fileText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
