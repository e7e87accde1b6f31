import test from "ava";
import { GatheredLines, READ_PIECE_CHARS, writeRecords } from "../../provider/logs/log-read";
import { formatLogRecord, type LogRecord } from "../../provider/logs/log-store";

// A read picks the newest lines by time from what it gathered, and writes them formatted, in
// pieces, each only once the one before has been written.

const record = (time: string, text: string, instance = "i1"): LogRecord => ({ time, stream: "stdout", text, revision: "r1", instance });
const kept = (r: LogRecord) => JSON.stringify(r);

test("newest: lines kept and read live merge by time (Docker's times compared whatever their digits), the newest `limit`, oldest first", (t) => {
  const lines = new GatheredLines();
  lines.addKept(kept(record("2024-01-01T00:00:01Z", "a")));
  lines.addKept(kept(record("2024-01-01T00:00:03.5Z", "d")));
  lines.addRecord(record("2024-01-01T00:00:02.25Z", "b", "i2"));
  lines.addRecord(record("2024-01-01T00:00:03.000000001Z", "c", "i2"));
  lines.addRecord(record("2024-01-01T00:00:04Z", "e", "i2"));
  t.is(lines.size, 5);
  t.deepEqual(
    [...lines.newest(10)].map((r) => r.text),
    ["a", "b", "c", "d", "e"],
  );
  t.deepEqual(
    [...lines.newest(2)].map((r) => r.text),
    ["d", "e"],
  );
  t.deepEqual([...new GatheredLines().newest(5)], []);
});

test("newest: lines of one time keep the order they were added in; a kept line that is not JSON is left out", (t) => {
  const lines = new GatheredLines();
  for (const text of ["first", "second", "third"]) lines.addKept(kept(record("2024-01-01T00:00:01Z", text)));
  lines.addKept('{"time":"2024-01-01T00:00:02Z","stream":"std'); // torn
  lines.addKept("not a record");
  t.deepEqual(
    [...lines.newest(10)].map((r) => r.text),
    ["first", "second", "third"],
  );
});

test("writeRecords writes JSON array items or text lines, formatted as logs read prints them, in pieces of about 64 KiB", async (t) => {
  const records = Array.from({ length: 3000 }, (_, i) =>
    record(`2024-01-01T00:00:${String(i % 60).padStart(2, "0")}Z`, `line ${i} "quoted" ${"x".repeat(40)}`),
  );
  const pieces: Uint8Array[] = [];
  await writeRecords(records, "json", (piece) => void pieces.push(piece));
  t.true(pieces.length > 1, `${pieces.length} pieces`);
  t.true(pieces.every((p, i) => i === pieces.length - 1 || p.length >= READ_PIECE_CHARS));
  t.deepEqual(JSON.parse(`[${Buffer.concat(pieces).toString()}]`), records.map(formatLogRecord));

  const text: Uint8Array[] = [];
  await writeRecords(records.slice(0, 2), "text", (piece) => void text.push(piece));
  t.is(Buffer.concat(text).toString(), `${formatLogRecord(records[0])}\n${formatLogRecord(records[1])}\n`);

  const none: Uint8Array[] = [];
  await writeRecords([], "json", (piece) => void none.push(piece));
  t.deepEqual(none, [], "nothing to write, no piece");
});

test("writeRecords waits for each write before encoding more, and ends with the error of a write that fails", async (t) => {
  const records = Array.from({ length: 5000 }, (_, i) => record("2024-01-01T00:00:01Z", `${i} ${"y".repeat(60)}`));
  let writing = false;
  let overlapped = false;
  let writes = 0;
  await writeRecords(records, "text", async () => {
    overlapped ||= writing;
    writing = true;
    writes += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    writing = false;
  });
  t.false(overlapped, "one write at a time");
  t.true(writes > 2);
  let calls = 0;
  await t.throwsAsync(
    writeRecords(records, "text", () => {
      calls += 1;
      if (calls === 2) throw new Error("the client went away");
    }),
    { message: "the client went away" },
  );
  t.is(calls, 2, "nothing is written after the failed write");
});
