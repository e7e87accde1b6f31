import test from "ava";
import type { ExecutionContext } from "ava";
import { startEngine, type TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, firstRevisionOf, hostOf, skiffOk } from "../helpers/cli";
import {
  burst,
  revisionContainers,
  SHORT_GRACE_MS,
  SHORT_STABLE_WINDOW_MS,
  SHORT_WINDOW_FLAGS,
  sleep,
  statusCounts,
} from "../helpers/scaling";

// Service-level scaling (gcloud's --min, --max, --scaling) on real Docker, counting each revision's
// containers by this engine's labels. The engine runs with short windows (grace 2 s, stable window
// 4 s), so "idle" takes seconds: an idle wait of grace + stable window + 3 s would have scaled an
// ordinary revision to zero.

const IDLE_MS = SHORT_GRACE_MS + SHORT_STABLE_WINDOW_MS + 3_000;

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: SHORT_WINDOW_FLAGS })]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Running containers of each revision, by this engine's labels. */
async function runningOf(revisions: readonly string[]): Promise<number[]> {
  return Promise.all(revisions.map(async (r) => (await revisionContainers(engine, r)).filter((c) => c.state === "running").length));
}

/** Waits until the revisions run exactly `want` containers each (60 s at most), or fails saying what ran. */
async function settleTo(t: ExecutionContext, revisions: readonly string[], want: readonly number[]): Promise<void> {
  const until = Date.now() + 60_000;
  let seen: number[] = [];
  while (Date.now() < until) {
    seen = await runningOf(revisions);
    if (seen.every((n, i) => n === want[i])) return;
    await sleep(250);
  }
  t.fail(`${revisions.join(", ")} never ran ${want.join("+")} containers (last seen ${seen.join("+")})\n${engine.logTail()}`);
}

/** Samples the revisions' running containers every 250 ms for `ms`: every sample, as "a+b". */
async function samplesFor(revisions: readonly string[], ms: number): Promise<string[]> {
  const seen: string[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    seen.push((await runningOf(revisions)).join("+"));
    await sleep(250);
  }
  return seen;
}

/** A service with two revisions (concurrency `concurrency`), split 50/50; returns their names. */
async function twoRevisionSplit(service: string, concurrency: number): Promise<[string, string]> {
  await deploy(engine, service, ["--image", image, "--concurrency", String(concurrency)]);
  const first = await firstRevisionOf(engine, service);
  await deploy(engine, service, ["--image", image, "--concurrency", String(concurrency), "--update-env-vars", "V=2"]);
  const second = (await describeService(engine, service)).latestCreatedRevision!;
  await skiffOk(engine, ["services", "update-traffic", service, "--to-revisions", `${first}=50,${second}=50`]);
  return [first, second];
}

test("--min 2 keeps 2 instances of an idle service, with no new revision", async (t) => {
  await deploy(engine, "floor", ["--image", image]);
  const revision = await firstRevisionOf(engine, "floor");
  await skiffOk(engine, ["services", "update", "floor", "--min", "2"]);
  const s = await describeService(engine, "floor");
  t.is(s.latestCreatedRevision, revision, "a service-level setting makes no revision");
  t.deepEqual(s.serviceScaling, { scalingMode: "AUTOMATIC", minInstanceCount: 2 });
  await settleTo(t, [revision], [2]);
  const seen = await samplesFor([revision], IDLE_MS);
  t.deepEqual(
    seen.filter((s) => s !== "2"),
    [],
    `${seen.length} samples over ${IDLE_MS} ms idle, each 2 running`,
  );
  const described = await skiffOk(engine, ["services", "describe", "floor"]);
  t.regex(described.stdout, /Service scaling: +automatic, min 2 \(divided by the traffic split\)/);
  const exported = await skiffOk(engine, ["services", "describe", "floor", "--format", "export"]);
  t.regex(exported.stdout, /run\.googleapis\.com\/minScale: '2'/);
});

test("a 50/50 split spreads --min 2 as 1+1, through idleness", async (t) => {
  const revisions = await twoRevisionSplit("spread", 80);
  await skiffOk(engine, ["services", "update", "spread", "--min", "2"]);
  await settleTo(t, revisions, [1, 1]);
  const seen = await samplesFor(revisions, IDLE_MS);
  t.deepEqual(
    seen.filter((s) => s !== "1+1"),
    [],
    `${seen.length} samples over ${IDLE_MS} ms idle, each 1+1`,
  );
});

test("--max 2 over a 50/50 split never runs more than 2 instances together under concurrent load", async (t) => {
  const revisions = await twoRevisionSplit("ceiling", 1);
  await skiffOk(engine, ["services", "update", "ceiling", "--max", "2"]);
  let sampling = true;
  const totals: number[] = [];
  const sampler = (async () => {
    while (sampling) {
      totals.push((await runningOf(revisions)).reduce((a, b) => a + b, 0));
      await sleep(50);
    }
  })();
  // 16 requests of 300 ms at concurrency 1: unbounded, this starts 8 instances per revision.
  const answers = await burst(engine, hostOf(engine, "ceiling"), "/sleep?ms=300", 16);
  sampling = false;
  await sampler;
  const most = Math.max(...totals);
  t.log(`${totals.length} samples, most running at once: ${most}; answers ${JSON.stringify(statusCounts(answers))}`);
  t.true(most <= 2, `at most 2 instances at once, saw ${most}`);
  t.true(
    totals.some((n) => n === 2),
    "both revisions had their instance",
  );
  t.deepEqual(statusCounts(answers), { "200": 16 }, "the queue absorbs the burst: 8 requests of 300 ms per instance");
  const revisionsAnswering = new Set(answers.map((a) => a.revision));
  t.is(revisionsAnswering.size, 2, "both revisions answered");
});

test("--scaling 2 runs exactly 2 instances idle and under load; --scaling auto returns to autoscaling", async (t) => {
  await deploy(engine, "fixed", ["--image", image, "--concurrency", "1"]);
  const revision = await firstRevisionOf(engine, "fixed");
  await skiffOk(engine, ["services", "update", "fixed", "--scaling", "2"]);
  t.deepEqual((await describeService(engine, "fixed")).serviceScaling, { scalingMode: "MANUAL", manualInstanceCount: 2 });
  await settleTo(t, [revision], [2]);

  let sampling = true;
  const underLoad: number[] = [];
  const sampler = (async () => {
    while (sampling) {
      underLoad.push((await runningOf([revision]))[0]);
      await sleep(50);
    }
  })();
  // 8 requests of 500 ms at concurrency 1: autoscaling would start 8 instances; manual keeps 2, the rest queue.
  const answers = await burst(engine, hostOf(engine, "fixed"), "/sleep?ms=500", 8);
  sampling = false;
  await sampler;
  t.deepEqual([...new Set(underLoad)], [2], `every sample under load shows 2 running (${underLoad.length} samples)`);
  t.deepEqual(statusCounts(answers), { "200": 8 });
  t.is(new Set(answers.map((a) => a.instance)).size, 2, "two instances answered");
  const idle = await samplesFor([revision], IDLE_MS);
  t.deepEqual(
    idle.filter((s) => s !== "2"),
    [],
    `${idle.length} samples over ${IDLE_MS} ms idle, each 2: manual scaling never scales to zero`,
  );
  const described = await skiffOk(engine, ["services", "describe", "fixed"]);
  t.regex(described.stdout, /Service scaling: +manual, 2 instances/);

  // Back to automatic with no bounds: idle, it scales to zero; a burst scales it out past 2.
  await skiffOk(engine, ["services", "update", "fixed", "--scaling", "auto", "--min", "0", "--max", "default"]);
  t.deepEqual((await describeService(engine, "fixed")).serviceScaling, { scalingMode: "AUTOMATIC" });
  await settleTo(t, [revision], [0]);
  const again = await burst(engine, hostOf(engine, "fixed"), "/sleep?ms=1000", 4);
  t.deepEqual(statusCounts(again), { "200": 4 });
  t.true(new Set(again.map((a) => a.instance)).size > 2, `autoscaling started more than 2 instances for 4 requests at concurrency 1`);
});

test("bad service-level flags exit 1 naming the flag, and change nothing", async (t) => {
  await deploy(engine, "strict", ["--image", image]);
  const before = await describeService(engine, "strict");
  for (const [args, said] of [
    [["--min", "-1"], /--min: Instance count value -1 is negative/],
    [["--scaling", "often"], /--scaling: must be a whole number, got "often"/],
    [["--scaling", "2", "--max", "3"], /--max: cannot be set when --scaling is a fixed instance count/],
    [["--min", "5", "--max", "2"], /--min \(serviceScaling\.minInstanceCount\): must not exceed maxInstanceCount \(5 > 2\)/],
  ] as const) {
    const result = await engine.skiff(["services", "update", "strict", ...args]);
    t.is(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
    t.regex(result.stderr, said);
  }
  const after = await describeService(engine, "strict");
  t.is(after.generation, before.generation);
  t.deepEqual(after.serviceScaling, before.serviceScaling);
});
