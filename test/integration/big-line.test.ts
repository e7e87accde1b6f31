import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { MiB, describeMeasure, mb, measureServiceWhile, publishedPort, sampleRss } from "../helpers/probes";

// One 100 MB log line without a newline: the engine keeps the first 32 KiB, counts the rest and
// drops it as it arrives, so its memory does not grow with the line and other services do not notice.

const MAX_LINE = 256 * 1024 + 16 * 36;
/** Docker's times before each 16 KiB piece of the line, taken out of what is kept (docker-pieces.ts). */
const PIECE_TIMES_BYTES = (MAX_LINE / (16 * 1024)) * 36;
const RSS_LIMIT = 200 * 1000 * 1000;

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  await deploy(engine, "quiet", ["--image", image]);
});

test.after.always(async () => {
  await engine?.dispose();
});

interface CutLine {
  kept: string;
  cutBytes: number;
}

test("a 100 MB line without a newline is cut at 256 KiB, the engine's RSS stays under 200 MB and another service's p99 stays low", async (t) => {
  const [quiet] = await engine.containers();
  const quietPort = await publishedPort(quiet.id);
  const rss = sampleRss(engine.pid, 100);
  let cut: CutLine | undefined;
  let logText = "";
  const measure = await measureServiceWhile(engine, hostOf(engine, "quiet"), quietPort, async () => {
    const started = Date.now();
    await deploy(engine, "big", ["--image", image, "--env", "FIXTURE_MODE=bigline"]);
    // The fixture writes the line, then a newline and "fixture: bigline done"; both reach the log.
    cut = await eventually(
      "the cut line and the line after it are in skiff logs read",
      async () => {
        const read = await engine.skiff(["logs", "read", "big"]);
        if (read.code !== 0) throw new Error(transcript(["logs", "read", "big"], read));
        logText = read.stdout;
        if (!logText.includes(" stdout: fixture: bigline done")) return undefined;
        return cutLineOf(logText);
      },
      40_000,
      1_000,
    );
    // Docker may still be re-reading its rotated log: keep sampling for 10 s in all.
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - started))));
  });
  const memory = rss.stop();

  t.log(`engine RSS: max ${mb(memory.maxBytes)} over ${memory.samples} samples (every 100 ms), last ${mb(memory.lastBytes)}`);
  t.log(`quiet service meanwhile: ${describeMeasure(measure)}`);
  t.log(`cut line: kept ${Buffer.byteLength(cut?.kept ?? "")} bytes, [line cut: ${cut?.cutBytes} more bytes]`);

  t.truthy(cut, `a line ends with "[line cut: N more bytes]":\n${summarise(logText)}`);
  if (cut) {
    // The kept part is the line's first 256 KiB as read, less Docker's times before its 16 KiB pieces,
    // so the line as stored is at most that plus the marker.
    t.true(Buffer.byteLength(cut.kept) <= MAX_LINE, `kept ${Buffer.byteLength(cut.kept)} bytes`);
    t.true(
      Buffer.byteLength(cut.kept) >= MAX_LINE - PIECE_TIMES_BYTES - 64,
      `kept ${Buffer.byteLength(cut.kept)} bytes: the line is cut at 256 KiB, not earlier`,
    );
    t.regex(cut.kept, /^x{100}/, "the kept part is the start of the line");
    // Docker rotates its own log (at 16 MiB, 5 files) while the line is written, so the engine cannot see all
    // 100 MB of it; what it counts is still far beyond anything it kept.
    t.true(cut.cutBytes > 10 * MiB, `cut ${cut.cutBytes} bytes`);
  }
  t.true(memory.maxBytes < RSS_LIMIT, `the engine's RSS stays under 200 MB throughout: max ${mb(memory.maxBytes)}`);
  t.deepEqual([measure.via.errors, Object.keys(measure.via.statuses)], [[], ["200"]], describeMeasure(measure));
  t.true(
    measure.via.p99 < 2 * measure.direct.p99 + 50,
    `p99 through the engine ${measure.via.p99.toFixed(1)} ms is under twice the container's own p99 (${measure.direct.p99.toFixed(1)} ms) + 50 ms`,
  );
});

/** The line of `skiff logs read` output that was cut, split into what was kept and the count of what was not. */
function cutLineOf(text: string): CutLine | undefined {
  for (const line of text.split("\n")) {
    const match = / stdout: (.*) \[line cut: (\d+) more bytes\]$/.exec(line);
    if (match) return { kept: match[1], cutBytes: Number(match[2]) };
  }
  return undefined;
}

/** The log with long lines shortened, for a failure message. */
function summarise(text: string): string {
  return text
    .split("\n")
    .map((l) => (l.length > 200 ? `${l.slice(0, 120)}… (${l.length} chars) …${l.slice(-60)}` : l))
    .join("\n");
}
