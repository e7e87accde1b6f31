import test from "ava";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogFile } from "../../provider/logs/log-file";

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "skiff-log-file-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function record(n: number): string {
  return JSON.stringify({ n, text: `line ${String(n).padStart(6, "0")} ${"-".repeat(n % 40)}` });
}

function sizeOnDisk(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function linesOnDisk(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

test("rotation keeps both files within the cap while 5x the cap is appended", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const capBytes = 16 * 1024;
  const log = new LogFile({ path, capBytes, onError: (e) => t.fail(e.message) });
  let appended = 0;
  let n = 0;
  while (appended < 5 * capBytes) {
    const line = record(n++);
    log.append(line);
    appended += line.length + 1;
    if (n % 20 === 0) {
      await log.flush();
      const current = sizeOnDisk(path);
      const rotated = sizeOnDisk(`${path}.1`);
      t.true(current <= capBytes / 2 && rotated <= capBytes / 2, `current ${current}, rotated ${rotated}`);
      t.is(log.sizeBytes, current + rotated);
    }
  }
  await log.close();
  t.true(existsSync(`${path}.1`), "it rotated");
  t.true(sizeOnDisk(path) + sizeOnDisk(`${path}.1`) <= capBytes);
  // What is kept is the newest lines, whole and in order, with nothing missing between the two files.
  const kept = [...linesOnDisk(`${path}.1`), ...linesOnDisk(path)].map((l) => (JSON.parse(l) as { n: number }).n);
  t.is(kept[kept.length - 1], n - 1);
  t.deepEqual(
    kept,
    kept.map((_, i) => kept[0] + i),
  );
});

test("readTail returns exactly the last N lines across the rotation boundary, oldest first", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const log = new LogFile({ path, capBytes: 4096 });
  const all: string[] = [];
  for (let n = 0; n < 300; n++) all.push(record(n));
  for (const line of all) log.append(line);
  await log.flush();
  const inCurrent = linesOnDisk(path).length;
  const inBoth = inCurrent + linesOnDisk(`${path}.1`).length;
  const n = inCurrent + 3;
  t.true(n < inBoth, "the tail reaches into the rotated file");
  t.deepEqual(await log.readTail(n), all.slice(-n));
  t.deepEqual(await log.readTail(inBoth), all.slice(-inBoth));
  t.deepEqual(await log.readTail(1_000_000), all.slice(-inBoth), "asking for more returns everything kept");
  t.deepEqual(await log.readTail(1), all.slice(-1));
  t.deepEqual(await log.readTail(0), []);
  await log.close();
});

test("readTail with a filter returns the last N accepted lines", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const log = new LogFile({ path, capBytes: 1024 * 1024 });
  for (let n = 0; n < 1000; n++) log.append(JSON.stringify({ n, revision: n % 3 === 0 ? "web-00002-abc" : "web-00001-xyz" }));
  const tail = await log.readTail(4, (line) => line.includes("web-00002"));
  t.deepEqual(
    tail.map((l) => (JSON.parse(l) as { n: number }).n),
    [990, 993, 996, 999],
  );
  t.deepEqual(await log.readTail(10, () => false), []);
  await log.close();
});

test("readTail includes lines appended just before it, without an explicit flush", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const log = new LogFile({ path, capBytes: 1024 * 1024 });
  log.append("first");
  log.append("second");
  t.deepEqual(await log.readTail(10), ["first", "second"]);
  log.append("third");
  t.deepEqual(await log.readTail(2), ["second", "third"]);
  await log.close();
});

test("readTail reassembles lines longer than its read chunk", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const log = new LogFile({ path, capBytes: 4 * 1024 * 1024 });
  const long = "L".repeat(200_000);
  log.append("before");
  log.append(long);
  log.append("after");
  t.deepEqual(await log.readTail(3), ["before", long, "after"]);
  await log.close();
});

test("readTail of a 50 MB file reads only what it needs, never more than the cap", async (t) => {
  const path = join(tempDir(t), "big.log");
  const block = Array.from({ length: 10_000 }, (_, i) => record(i)).join("\n") + "\n";
  const blockBytes = Buffer.byteLength(block);
  for (let written = 0; written < 50 * 1024 * 1024; written += blockBytes) appendFileSync(path, block);
  const capBytes = 1024 * 1024;
  const log = new LogFile({ path, capBytes });

  const started = process.hrtime.bigint();
  const tail = await log.readTail(5);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  t.deepEqual(tail, [9995, 9996, 9997, 9998, 9999].map(record));
  t.true(log.tailBytesRead <= 64 * 1024, `read ${log.tailBytesRead} bytes`);
  t.true(elapsedMs < 1000, `took ${elapsedMs} ms`);

  const before = log.tailBytesRead;
  const everything = await log.readTail(Number.MAX_SAFE_INTEGER);
  t.true(log.tailBytesRead - before <= capBytes, `read ${log.tailBytesRead - before} bytes`);
  t.true(everything.length > 1000);
  t.is(everything[everything.length - 1], record(9999));
  t.true(
    everything.every((line) => line.startsWith('{"n":') && line.endsWith('"}')),
    "no partial line at the cut",
  );
  await log.close();
});

test("remove() during a burst of appends raises nothing and deletes both files", async (t) => {
  const problems: unknown[] = [];
  const onProblem = (error: unknown) => problems.push(error);
  process.on("uncaughtException", onProblem);
  process.on("unhandledRejection", onProblem);
  t.teardown(() => {
    process.off("uncaughtException", onProblem);
    process.off("unhandledRejection", onProblem);
  });
  const path = join(tempDir(t), "svc.log");
  const errors: Error[] = [];
  const log = new LogFile({ path, capBytes: 64 * 1024, onError: (e) => errors.push(e) });

  let removal: Promise<void> | undefined;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 200; i++) log.append(record(round * 200 + i));
    if (round === 20) removal = log.remove(); // writes are in flight and pending here
    await new Promise((resolve) => setImmediate(resolve));
  }
  await removal;
  log.append("after removal");
  await log.flush();
  await new Promise((resolve) => setTimeout(resolve, 50));

  t.deepEqual(problems, []);
  t.deepEqual(errors, []);
  t.false(existsSync(path));
  t.false(existsSync(`${path}.1`));
  t.is(log.sizeBytes, 0);
  t.deepEqual(await log.readTail(10), []);
});

test("remove() right after appends, with nothing awaited, drops them cleanly", async (t) => {
  const path = join(tempDir(t), "svc.log");
  writeFileSync(`${path}.1`, "old\n");
  const errors: Error[] = [];
  const log = new LogFile({ path, capBytes: 1024, onError: (e) => errors.push(e) });
  for (let i = 0; i < 100; i++) log.append(record(i));
  const flushed = log.flush();
  await log.remove();
  await flushed; // a flush waiting on dropped lines still resolves
  t.deepEqual(errors, []);
  t.false(existsSync(path));
  t.false(existsSync(`${path}.1`));
});

test("a directory removed under it is reported through onError, once per kind, never thrown", async (t) => {
  const dir = join(tempDir(t), "project");
  const path = join(dir, "svc.log");
  const errors: Error[] = [];
  const log = new LogFile({ path, capBytes: 2048, onError: (e) => errors.push(e) });
  log.append("before");
  await log.flush();
  t.true(existsSync(path), "the parent directory is created on first write");
  rmSync(dir, { recursive: true, force: true });
  for (let n = 0; n < 200; n++) t.notThrows(() => log.append(record(n)));
  await log.flush();
  for (let n = 0; n < 200; n++) log.append(record(n));
  await log.flush();
  t.true(errors.length >= 1);
  t.is(new Set(errors.map((e) => e.message)).size, errors.length, "each kind of failure is reported once");
  t.regex(errors[0].message, /svc\.log: open failed: .*ENOENT/);
  t.is((errors[0] as NodeJS.ErrnoException).code, "ENOENT");
  t.false(existsSync(dir), "the removed directory is not silently recreated");
  await t.notThrowsAsync(log.close());
  await t.notThrowsAsync(log.remove());
});

test("an onError that throws does not break the writer", async (t) => {
  const dir = join(tempDir(t), "gone");
  let calls = 0;
  const log = new LogFile({
    path: join(dir, "svc.log"),
    capBytes: 1024,
    onError: () => {
      calls += 1;
      throw new Error("handler bug");
    },
  });
  writeFileSync(dir, "a file where the directory should be");
  log.append("x");
  await t.notThrowsAsync(log.flush());
  log.append("y");
  await t.notThrowsAsync(log.flush());
  t.is(calls, 1, "the failure was reported, once");
  await t.notThrowsAsync(log.close());
});

test("unwritten lines beyond the cap are dropped oldest first, keeping memory bounded", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const capBytes = 8 * 1024;
  const log = new LogFile({ path, capBytes });
  const all = Array.from({ length: 5000 }, (_, n) => record(n)); // ~40x the cap, appended in one go
  for (const line of all) log.append(line);
  await log.flush();
  t.true(sizeOnDisk(path) + sizeOnDisk(`${path}.1`) <= capBytes);
  const kept = await log.readTail(Number.MAX_SAFE_INTEGER);
  t.true(kept.length > 0);
  t.deepEqual(kept, all.slice(-kept.length), "what is kept is the newest lines, contiguous");
  await log.close();
});

test("close() writes everything; later appends are ignored; sizes of existing files are learned", async (t) => {
  const path = join(tempDir(t), "svc.log");
  writeFileSync(`${path}.1`, "r".repeat(100) + "\n");
  writeFileSync(path, "c".repeat(50) + "\n");
  const log = new LogFile({ path, capBytes: 1024 * 1024 });
  await log.flush();
  await log.readTail(1);
  t.is(log.sizeBytes, 152);
  log.append("new");
  await log.close();
  t.deepEqual(linesOnDisk(path), ["c".repeat(50), "new"]);
  log.append("too late");
  await log.flush();
  t.deepEqual(linesOnDisk(path), ["c".repeat(50), "new"]);
  t.deepEqual(await log.readTail(3), ["r".repeat(100), "c".repeat(50), "new"], "the files stay readable after close");
  t.is(log.sizeBytes, 156);
});

test("appended lines wait to share one write; flush() and readTail() write them at once", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const log = new LogFile({ path, capBytes: 1024 * 1024, writeDelayMs: 60_000 });
  log.append("one");
  log.append("two");
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.deepEqual(linesOnDisk(path), [], "nothing written before the delay is up");
  await log.flush();
  t.deepEqual(linesOnDisk(path), ["one", "two"]);
  log.append("three");
  t.deepEqual(await log.readTail(5), ["one", "two", "three"]);
  await log.close();
});

test("lines are written once the delay is up, or at once when 64 KiB are pending", async (t) => {
  const path = join(tempDir(t), "svc.log");
  const log = new LogFile({ path, capBytes: 4 * 1024 * 1024, writeDelayMs: 30 });
  log.append("soon");
  // Polled rather than slept on: on a loaded machine the timer and the write can take longer than any fixed nap.
  await eventually(() => linesOnDisk(path).length > 0);
  t.deepEqual(linesOnDisk(path), ["soon"], "written after the delay, with no flush");

  const slow = new LogFile({ path: join(tempDir(t), "big.log"), capBytes: 4 * 1024 * 1024, writeDelayMs: 60_000 });
  const lines = Array.from({ length: 700 }, (_, n) => `${String(n).padStart(4, "0")} ${"x".repeat(100)}`); // ~73 KB
  for (const line of lines) slow.append(line);
  await eventually(() => slow.sizeBytes >= 64 * 1024);
  t.true(slow.sizeBytes >= 64 * 1024, `written without waiting for the delay: ${slow.sizeBytes} bytes`);
  await slow.close();
  await log.close();
});

/** Resolves once `condition` holds, polling every 10 ms; gives up after 5 s and lets the assertion after it fail. */
async function eventually(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
