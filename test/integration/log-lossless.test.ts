import test from "ava";
import * as http from "node:http";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, transcript } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { MiB, dockerLogPath, engineLogFile, mb, pairSizes, sizeWithRotated } from "../helpers/probes";

// Every line a chatty instance writes within its service's log cap can be read back: while it
// runs (from Docker's own log, which keeps at least the service's cap of each container) and once
// it has stopped (collected into the service's log before its container went). Before, Docker
// kept 8 MiB x 2 of each container and dropped the rest before anyone collected it.

const RATE = 16_000;
const SECONDS = 20;
const LINES = RATE * SECONDS;
/** A line of the fixture's flood: `flood <n> ....`, 24 bytes with its newline. */
const LINE_BYTES = 24;
const SERVICE_LOG_CAP = 64 * MiB;

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** `skiff logs read steady <flags>`: the flood's numbers, in the order printed. */
async function floodNumbers(flags: string[]): Promise<number[]> {
  const args = ["logs", "read", "steady", "--limit", String(LINES + 1000), ...flags];
  const read = await engine.skiff(args, { timeoutMs: 120_000 });
  if (read.code !== 0) throw new Error(transcript(args, read));
  const numbers: number[] = [];
  for (const match of read.stdout.matchAll(/ stdout: flood (\d+) \.*$/gm)) numbers.push(Number(match[1]));
  return numbers;
}

/** GET on the admin API, reading only the first piece of the answer before closing the connection. */
function firstPieceThenGone(rawPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port: engine.apiPort, path: rawPath, agent: false, headers: { authorization: `Bearer ${engine.token}` } },
      (res) => {
        res.once("data", (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.toString("utf8"));
        });
      },
    );
    req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
  });
}

/** Which of 0..LINES-1 are missing, and how many numbers came more than once. */
function gaps(numbers: number[]): { missing: number; repeated: number; firstMissing?: number } {
  const seen = new Uint8Array(LINES);
  let repeated = 0;
  for (const n of numbers) {
    if (seen[n]) repeated += 1;
    seen[n] = 1;
  }
  const firstMissing = seen.indexOf(0);
  return { missing: seen.reduce((sum, s) => sum + (1 - s), 0), repeated, firstMissing: firstMissing < 0 ? undefined : firstMissing };
}

test("a 20 s flood of 16,000 lines/s: logs read has every line, while the instance runs and after it was stopped and collected, within the service's cap", async (t) => {
  await deploy(engine, "steady", [
    "--image",
    image,
    "--min-instances",
    "1",
    "--set-env-vars",
    `FIXTURE_MODE=flood,FIXTURE_FLOOD_RATE=${RATE},FIXTURE_FLOOD_LINES=${LINES},FIXTURE_FLOOD_LINE_BYTES=${LINE_BYTES}`,
  ]);
  const [container] = await engine.containers();
  const dockerLog = await dockerLogPath(container.id);
  const flooding = (await describeService(engine, "steady")).latestReadyRevision!;
  await eventually(
    "the fixture wrote its last flood line",
    async () => {
      const tail = await engine.skiff(["logs", "read", "steady", "--limit", "2"]);
      return tail.stdout.includes(`fixture: flood done after ${LINES} lines`);
    },
    (SECONDS + 30) * 1000,
    1000,
  );
  const dockerBytes = sizeWithRotated(dockerLog);

  const live = gaps(await floodNumbers([]));
  t.log(`read from the running instance: ${LINES - live.missing} of ${LINES} lines (Docker's log of it: ${mb(dockerBytes)})`);
  t.deepEqual(live, { missing: 0, repeated: 0, firstMissing: undefined }, "while it runs, every line is read from Docker's log, once");

  // A reader that goes away after the first piece of a big read: the read stops, the engine goes on.
  const first = await firstPieceThenGone(`/v1/projects/default/services/steady/logs?limit=${LINES}`);
  t.true(first.startsWith('{"lines":['), first.slice(0, 80));
  const status = await engine.skiff(["engine", "status"]);
  t.is(status.code, 0, transcript(["engine", "status"], status));

  // A new revision takes over; the flooding one's instance is stopped, its lines collected, then removed.
  await deploy(engine, "steady", ["--remove-env-vars", "FIXTURE_MODE"]);
  await eventually(
    "the flooding instance's container is gone",
    async () => !(await engine.containers()).some((c) => c.id === container.id),
    60_000,
    250,
  );
  const kept = gaps(await floodNumbers(["--revision", flooding]));
  const sizes = pairSizes(engineLogFile(engine, "steady"));
  t.log(
    `read from the service's log: ${LINES - kept.missing} of ${LINES} lines (steady.log ${mb(sizes.current)} + steady.log.1 ${mb(sizes.rotated)})`,
  );
  t.deepEqual(
    kept,
    { missing: 0, repeated: 0, firstMissing: undefined },
    "once collected, every line is read from the service's log, once",
  );
  t.true(sizes.total <= SERVICE_LOG_CAP, `the service's log stays within its cap: ${sizes.total} bytes`);
  t.true(dockerBytes > 16 * MiB, `more than Docker's old 8 MiB x 2 was written: ${dockerBytes} bytes`);
});
