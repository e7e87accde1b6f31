import test from "ava";
import { LineSplitter } from "../../provider/base/line-splitter";

type Emitted = [line: string, truncatedBytes: number];

function collect(maxLineBytes: number): { splitter: LineSplitter; lines: Emitted[] } {
  const lines: Emitted[] = [];
  return { splitter: new LineSplitter(maxLineBytes, (line, truncated) => lines.push([line, truncated])), lines };
}

function split(maxLineBytes: number, chunks: (string | Buffer)[]): Emitted[] {
  const { splitter, lines } = collect(maxLineBytes);
  for (const chunk of chunks) splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

test("many lines in one chunk, empty lines kept", (t) => {
  t.deepEqual(split(100, ["one\ntwo\n\nthree\n"]), [
    ["one", 0],
    ["two", 0],
    ["", 0],
    ["three", 0],
  ]);
});

test("lines across chunk boundaries, including a newline alone in its chunk", (t) => {
  t.deepEqual(split(100, ["hel", "lo wo", "rld\nsec", "ond", "\n", "third\n"]), [
    ["hello world", 0],
    ["second", 0],
    ["third", 0],
  ]);
});

test("every single-byte chunking gives the same lines", (t) => {
  const text = "alpha\nbeta\r\ngamma\n\ndelta";
  const bytes = [...Buffer.from(text)].map((b) => Buffer.from([b]));
  t.deepEqual(split(100, bytes), split(100, [text]));
  t.deepEqual(split(100, [text]), [
    ["alpha", 0],
    ["beta", 0],
    ["gamma", 0],
    ["", 0],
    ["delta", 0],
  ]);
});

test("\\r\\n endings lose the \\r, also when \\r and \\n are in different chunks; a lone \\r stays", (t) => {
  t.deepEqual(split(100, ["a\r\nb\r", "\nc\rd\n"]), [
    ["a", 0],
    ["b", 0],
    ["c\rd", 0],
  ]);
});

test("end() flushes the last partial line; nothing more after it", (t) => {
  const { splitter, lines } = collect(100);
  splitter.push(Buffer.from("done\npart"));
  t.deepEqual(lines, [["done", 0]]);
  t.is(splitter.bufferedBytes, 4);
  splitter.end();
  t.deepEqual(lines, [
    ["done", 0],
    ["part", 0],
  ]);
  t.is(splitter.bufferedBytes, 0);
  splitter.push(Buffer.from("ignored\n"));
  splitter.end();
  t.is(lines.length, 2);
});

test("end() after a final newline emits nothing extra", (t) => {
  t.deepEqual(split(100, ["x\n"]), [["x", 0]]);
  t.deepEqual(split(100, []), []);
});

test("a line of exactly maxLineBytes is whole; one byte more is truncated by one", (t) => {
  t.deepEqual(split(5, ["abcde\nabcdef\n"]), [
    ["abcde", 0],
    ["abcde", 1],
  ]);
  t.deepEqual(split(5, ["abc", "de\nabc", "def\n"]), [
    ["abcde", 0],
    ["abcde", 1],
  ]);
  t.deepEqual(split(5, ["abcde\r\n"]), [["abcde", 0]], "the \\r of \\r\\n is not content");
  t.deepEqual(split(5, ["abcdef\r\n"]), [["abcde", 1]]);
});

test("an over-long line is emitted once, and the next line is intact", (t) => {
  t.deepEqual(split(4, ["0123456789", "abcdef", "\nnext\n"]), [
    ["0123", 12],
    ["next", 0],
  ]);
});

test("UTF-8 characters split across chunks decode whole", (t) => {
  const text = "héllo 世界 🎉\n";
  const bytes = Buffer.from(text);
  for (let cut = 1; cut < bytes.length - 1; cut++) {
    t.deepEqual(split(100, [bytes.subarray(0, cut), bytes.subarray(cut)]), [["héllo 世界 🎉", 0]], `cut at ${cut}`);
  }
});

test("truncation cuts on a UTF-8 character boundary and counts the bytes of the cut character", (t) => {
  // "ab" + "世" (3 bytes) + "c": with 4 bytes allowed, "世" does not fit whole, so only "ab" is kept.
  t.deepEqual(split(4, ["ab世c\n"]), [["ab", 4]]);
  t.deepEqual(split(5, ["ab世c\n"]), [["ab世", 1]]);
  // A 4-byte character cut after each of its first three bytes.
  t.deepEqual(split(2, ["a🎉\n"]), [["a", 4]]);
  t.deepEqual(split(3, ["a🎉\n"]), [["a", 4]]);
  t.deepEqual(split(4, ["a🎉\n"]), [["a", 4]]);
  t.deepEqual(split(5, ["a🎉\n"]), [["a🎉", 0]]);
  // The same with the character arriving across chunks.
  const emoji = Buffer.from("🎉");
  t.deepEqual(split(3, ["a", emoji.subarray(0, 1), emoji.subarray(1), "b\n"]), [["a", 5]]);
});

test("a 10 MB line without newline in 64 KiB chunks stays memory-bounded and finishes fast", (t) => {
  const maxLineBytes = 16 * 1024;
  const { splitter, lines } = collect(maxLineBytes);
  const chunk = Buffer.alloc(64 * 1024, "x");
  const total = 10 * 1024 * 1024;
  let maxBuffered = 0;
  const started = process.hrtime.bigint();
  for (let sent = 0; sent < total; sent += chunk.length) {
    splitter.push(chunk);
    maxBuffered = Math.max(maxBuffered, splitter.bufferedBytes);
  }
  t.deepEqual(lines, [], "nothing is emitted before the line ends");
  splitter.push(Buffer.from("\nafter\n"));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  t.is(maxBuffered, maxLineBytes);
  t.is(splitter.bufferedBytes, 0);
  t.is(lines.length, 2);
  t.is(lines[0][0], "x".repeat(maxLineBytes));
  t.is(lines[0][1], total - maxLineBytes);
  t.deepEqual(lines[1], ["after", 0]);
  t.true(elapsedMs < 1000, `took ${elapsedMs} ms`);
});

test("a 10 MB line ended by end() is truncated the same way", (t) => {
  const { splitter, lines } = collect(1000);
  const chunk = Buffer.alloc(64 * 1024, "y");
  for (let i = 0; i < 160; i++) splitter.push(chunk);
  splitter.end();
  t.deepEqual(lines, [["y".repeat(1000), 160 * chunk.length - 1000]]);
});

test("many short lines in big chunks are linear: 1,000,000 lines quickly", (t) => {
  const { splitter, lines } = collect(1024);
  const block = Buffer.from("2026-01-01T00:00:00.000000000Z a short log line\n".repeat(20_000));
  const started = process.hrtime.bigint();
  for (let i = 0; i < 50; i++) splitter.push(block);
  splitter.end();
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  t.is(lines.length, 1_000_000);
  t.true(elapsedMs < 3000, `took ${elapsedMs} ms`);
});

test("a line that spans chunks grows its buffer only as needed", (t) => {
  const { splitter, lines } = collect(1024 * 1024);
  splitter.push(Buffer.from("ab"));
  t.is(splitter.bufferedBytes, 2);
  splitter.push(Buffer.alloc(300_000, "z"));
  t.is(splitter.bufferedBytes, 300_002);
  splitter.push(Buffer.from("\n"));
  t.is(lines[0][0].length, 300_002);
  t.is(lines[0][1], 0);
});

test("maxLineBytes must be a positive integer", (t) => {
  t.throws(() => new LineSplitter(0, () => undefined), { instanceOf: RangeError });
  t.throws(() => new LineSplitter(1.5, () => undefined), { instanceOf: RangeError });
});
