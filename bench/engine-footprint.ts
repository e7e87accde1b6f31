import { readFileSync } from "node:fs";
import { LOG_WORKER_IDLE_MS } from "../provider/logs/threaded-logs";
import { hostOf, listOf } from "../test/helpers/cli";
import { containersWithLabels } from "../test/helpers/docker";
import { startEngine, TestEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import { eventually } from "../test/helpers/http";
import { sampleRss } from "../test/helpers/probes";
import { envInt, fmt, get, machine, median, onCleanup, ratio, runMain, runningWithLabels, settle, sleep, stamp, table } from "./common";

/**
 * The engine's footprint, two targets of SPEC §8 against baselines from the same run, and what a
 * big log read leaves behind:
 *
 *   idle RSS with N services (target: ≤ 100 MB with 50)  the daemon's VmRSS (/proc/<pid>/status),
 *       the median of a few samples once it is idle (CPU quiet, then RSS no longer falling), at each
 *       stage: 0 services (the baseline, after start), N services at zero (deployed through the admin
 *       API, min-instances 0, the default), the same after one request each through the ingress (so
 *       their routes and throttlers exist), and N services with one ready instance each
 *       (min-instances 1: what a default engine, whose idle grace is 15 min, holds after N deploys)
 *   `skiff services delete S -q` (target: returns within 1.5 s)  timed from spawn to exit for
 *       services with one ready instance, interleaved with the baseline `skiff services describe`
 *       of another such service (the order swapped every run), so the CLI's own start-up cancels out.
 *       Untimed after each delete: the service's container must be gone within 30 s, and at the end
 *       `skiff services list` must list none of the deleted services.
 *
 *   `logs read --limit 100000` twice (issue 27: RSS back within 30 MB of idle within 10 s after)
 *       on an engine of its own: the idle RSS, the peak during the two reads, and the RSS 5 and 10 s
 *       after the second read returned, for lines read from a running instance's Docker log and
 *       for the same lines kept in the service's log once the instance is gone; LOG_RUNS rounds
 *       each, medians printed.
 *
 * The engine runs with a short idle grace (ENGINE_FLAGS), so services of min-instances 0 are back at
 * zero seconds after their deploy or request. Deploys and requests go DEPLOY_CONCURRENCY at a time.
 *
 * Knobs (env): BENCH_SERVICES (50), BENCH_RUNS (7), BENCH_CONCURRENCY (4), BENCH_LOG_RUNS (3),
 * BENCH_PARTS (services,logs: either or both).
 */

const SERVICES = envInt("BENCH_SERVICES", 50);
const RUNS = envInt("BENCH_RUNS", 7);
const DEPLOY_CONCURRENCY = envInt("BENCH_CONCURRENCY", 4);
const ENGINE_FLAGS = ["--scale-to-zero-grace", "2s", "--stable-window", "4s", "--panic-window", "1s"];
const RSS_TARGET_MB = 100;
const DELETE_TARGET_MS = 1_500;
const RSS_SAMPLES = 5;
const STABLE_MS = 20_000;
const MAX_IDLE_MS = 90_000;
/** The log thread runs while there is work (collecting the logs of instances that scaled to zero) and is closed LOG_WORKER_IDLE_MS after: idle means after that. */
const MIN_IDLE_MS = Math.max(STABLE_MS, LOG_WORKER_IDLE_MS + 10_000);
const GONE_WITHIN_MS = 30_000;
const LOG_RUNS = envInt("BENCH_LOG_RUNS", 3);
const PARTS = (process.env.BENCH_PARTS ?? "services,logs").split(",");
/** Lines read per `logs read`, and the flood line that makes each ~74 bytes as printed (7.4 MB a read, as in the issue). */
const READ_LINES = 100_000;
const FLOOD_LINE_BYTES = 19;

interface Footprint {
  stage: string;
  services: number;
  instances: number;
  /** The last samples of VmRSS, MB. */
  rssMb: number[];
  /** Medians of the same samples: anonymous memory (heaps) and file-backed pages (node's binary, shared libraries). */
  anonMb: number;
  fileMb: number;
  /** How long it sampled before RSS held still (or gave up: stable false). */
  idleS: number;
  stable: boolean;
  peakMb: number;
}

async function main(): Promise<void> {
  console.log(`skiff engine footprint benchmark — ${stamp()}\n${await machine()}`);
  if (PARTS.includes("services")) await servicesFootprint();
  if (PARTS.includes("logs")) await logReadFootprint();
}

async function servicesFootprint(): Promise<void> {
  if (RUNS + 1 > SERVICES)
    throw new Error(
      `BENCH_RUNS (${RUNS}) must be below BENCH_SERVICES (${SERVICES}): each run deletes one service and one more is the describe baseline`,
    );
  console.log(`${SERVICES} services (${DEPLOY_CONCURRENCY} deploys at a time), ${RUNS} deletes; engine ${ENGINE_FLAGS.join(" ")}\n`);

  const [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: ENGINE_FLAGS })]);
  onCleanup("skiff engine", () => engine.dispose());
  const client = await engine.api();
  const names = Array.from({ length: SERVICES }, (_, i) => `fp-${String(i).padStart(2, "0")}`);
  const stages: Footprint[] = [];
  const measure = async (stage: string, services: number) => {
    const f = await footprint(engine, stage, services);
    stages.push(f);
    console.log(
      `${stage}: VmRSS ${fmt(median(f.rssMb))} MB (last samples ${f.rssMb.map((mb) => fmt(mb)).join(", ")}; ${f.stable ? "held still" : "still falling"} after ${fmt(f.idleS, 0)} s idle), ${f.instances} instances`,
    );
  };

  await measure("0 services", 0);

  let t0 = performance.now();
  await inPool(names, DEPLOY_CONCURRENCY, async (name) => {
    const answer = await client.putService("default", name, { template: { image } });
    if (answer.revision?.status !== "READY")
      throw new Error(`${name}: revision ${answer.revision?.status}: ${answer.revision?.error}\n${engine.logTail()}`);
  });
  console.log(`deployed ${SERVICES} services in ${fmt((performance.now() - t0) / 1000)} s; waiting for them to scale to zero…`);
  await atZero(engine);
  await measure(`${SERVICES} services at zero`, SERVICES);

  t0 = performance.now();
  await inPool(names, DEPLOY_CONCURRENCY, async (name) => {
    const answer = await get(engine.ingressPort, hostOf(engine, name), 60_000);
    if (answer.status !== 200) throw new Error(`${name} from zero answered ${answer.status}: ${answer.body}\n${engine.logTail()}`);
  });
  console.log(`one request to each in ${fmt((performance.now() - t0) / 1000)} s; waiting for them to scale to zero…`);
  await atZero(engine);
  await measure(`${SERVICES} services at zero, each requested once`, SERVICES);

  t0 = performance.now();
  await inPool(names, DEPLOY_CONCURRENCY, async (name) => {
    const answer = await client.putService("default", name, { template: { image, scaling: { minInstanceCount: 1 } } });
    if (answer.revision?.status !== "READY")
      throw new Error(`${name}: revision ${answer.revision?.status}: ${answer.revision?.error}\n${engine.logTail()}`);
  });
  console.log(`redeployed ${SERVICES} services with min-instances 1 in ${fmt((performance.now() - t0) / 1000)} s`);
  await instancesExactlyOne(engine, names);
  await measure(`${SERVICES} services, one ready instance each`, SERVICES);

  const rssRows = [["stage", "services", "instances", "VmRSS MB", "anon MB", "file MB", "Δ vs 0 MB", "Δ per service MB", "vs target"]];
  const base = median(stages[0].rssMb);
  for (const f of stages) {
    const rss = median(f.rssMb);
    rssRows.push([
      f.stage,
      String(f.services),
      String(f.instances),
      fmt(rss),
      fmt(f.anonMb),
      fmt(f.fileMb),
      f.services ? fmt(rss - base) : "–",
      f.services ? fmt((rss - base) / f.services, 2) : "–",
      `${ratio(rss, RSS_TARGET_MB)} of ${RSS_TARGET_MB} MB`,
    ]);
  }
  console.log(
    `\nengine daemon (pid ${engine.pid}) idle RSS, medians of the last ${RSS_SAMPLES} samples once it held still (anon: heaps; file: node's binary and libraries, shared with other processes); peak (VmHWM) ${fmt(stages.at(-1)!.peakMb)} MB\n${table(rssRows)}\n`,
  );

  // Delete against describe, both from spawn to exit, on services with one ready instance.
  const ref = names.at(-1)!;
  await timedCli(engine, ["services", "describe", ref]); // untimed warm-up: the page cache holds node and the bundle
  const times = { describe: [] as number[], delete: [] as number[] };
  const gone: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const victim = names[run];
    const running = await runningWithLabels({ "skiff.engine": engine.engineId, "skiff.service": victim });
    if (running.length !== 1) throw new Error(`${victim}: ${running.length} running instances before its delete, expected 1`);
    await settle(engine.pid, { maxMs: 10_000 });
    const steps: [keyof typeof times, string[]][] = [
      ["describe", ["services", "describe", ref]],
      ["delete", ["services", "delete", victim, "-q"]],
    ];
    const line: string[] = [];
    let deleted = 0;
    for (const [kind, args] of run % 2 === 0 ? steps : [...steps].reverse()) {
      const ms = await timedCli(engine, args);
      times[kind].push(ms);
      if (kind === "delete") deleted = performance.now();
      line.push(`${kind} ${fmt(ms, 0)} ms`);
    }
    gone.push(await containerGone(engine, victim, deleted));
    console.log(`run ${run + 1}/${RUNS} (${victim}): ${line.join(" | ")} | its container gone ${fmt(gone.at(-1)! / 1000, 2)} s after`);
  }
  const listed = listOf<{ metadata: { name: string } }>(await engine.skiffJson(["services", "list"]), "items").map((s) => s.metadata.name);
  const stillListed = names.slice(0, RUNS).filter((n) => listed.includes(n));
  if (stillListed.length > 0) throw new Error(`deleted services still in \`skiff services list\`: ${stillListed.join(", ")}`);
  if (listed.length !== SERVICES - RUNS)
    throw new Error(`\`skiff services list\` lists ${listed.length} services, expected ${SERVICES - RUNS}`);

  const del = median(times.delete);
  const describe = median(times.describe);
  const pairs = times.delete.map((ms, i) => ms - times.describe[i]);
  const rows = [["command", "median ms", "min ms", "max ms", "all runs (ms)"]];
  for (const [kind, values] of Object.entries(times)) {
    rows.push([
      `skiff services ${kind}`,
      fmt(median(values), 0),
      fmt(Math.min(...values), 0),
      fmt(Math.max(...values), 0),
      values.map((ms) => fmt(ms, 0)).join(", "),
    ]);
  }
  console.log(`\nwall time from spawn to exit, ${RUNS} runs, on an engine holding ${SERVICES} services\n${table(rows)}\n`);
  console.log(
    table([
      ["delete", "value", "target"],
      ["delete (median)", `${fmt(del, 0)} ms`, `≤ ${DELETE_TARGET_MS} ms`],
      ["delete − describe (medians)", `${fmt(del - describe, 0)} ms`, "–"],
      ["delete − describe (median of per-run differences)", `${fmt(median(pairs), 0)} ms`, "–"],
      ["delete / describe", ratio(del, describe), "–"],
      [
        "container gone after delete returned (median, max)",
        `${fmt(median(gone) / 1000, 2)} s, ${fmt(Math.max(...gone) / 1000, 2)} s`,
        `check: ≤ ${GONE_WITHIN_MS / 1000} s`,
      ],
    ]),
  );
}

/** RSS (MB) around two `logs read --limit 100000` of one source. */
interface ReadFootprint {
  idle: number;
  peak: number;
  after5s: number;
  after10s: number;
  readMs: number[];
}

/**
 * A service whose instance wrote READ_LINES lines, read twice with `logs read --limit READ_LINES`
 * through the CLI, LOG_RUNS rounds: first from the running instance (Docker's log), then, after a
 * new revision replaced it, from the service's log. Each round starts idle (footprint()).
 */
async function logReadFootprint(): Promise<void> {
  console.log(`\nlogs read --limit ${READ_LINES} twice, ${LOG_RUNS} rounds per source; engine ${ENGINE_FLAGS.join(" ")}`);
  const [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: ENGINE_FLAGS })]);
  onCleanup("skiff engine (logs)", () => engine.dispose());
  const client = await engine.api();
  const flood = { FIXTURE_MODE: "flood", FIXTURE_FLOOD_LINES: String(READ_LINES), FIXTURE_FLOOD_LINE_BYTES: String(FLOOD_LINE_BYTES) };
  const first = await client.putService("default", "chatty", { template: { image, env: flood, scaling: { minInstanceCount: 1 } } });
  const flooding = first.revision!.name;
  await eventually(
    "the flood's last line",
    async () => (await client.logs("default", "chatty", { limit: 2 })).includes("flood done"),
    60_000,
  );
  const rows = [["source", "round", "idle MB", "peak MB", "+5 s MB", "+10 s MB", "+10 s − idle MB", "reads (ms)"]];
  const sources: [string, string[]][] = [
    ["running instance (Docker's log)", []],
    ["service's log (instance gone)", ["--revision", flooding]],
  ];
  for (const [source, flags] of sources) {
    if (flags.length > 0) {
      await client.putService("default", "chatty", { template: { image, scaling: { minInstanceCount: 1 } } });
      await eventually(
        "the flooding instance collected and removed",
        async () => (await containersWithLabels({ "skiff.engine": engine.engineId, "skiff.revision": flooding })).length === 0,
        60_000,
      );
    }
    const rounds: ReadFootprint[] = [];
    for (let round = 1; round <= LOG_RUNS; round++) {
      const idle = median((await footprint(engine, "idle", 1)).rssMb);
      const peak = sampleRss(engine.pid, 50);
      const readMs: number[] = [];
      for (let i = 0; i < 2; i++) {
        const started = performance.now();
        const read = await engine.skiff(["logs", "read", "chatty", "--limit", String(READ_LINES), ...flags]);
        readMs.push(performance.now() - started);
        const lines = read.stdout.split("\n").filter((l) => l !== "").length;
        if (read.code !== 0 || lines !== READ_LINES)
          throw new Error(`logs read printed ${lines} lines (exit ${read.code}), expected ${READ_LINES}: ${read.stderr}`);
      }
      await sleep(5_000);
      const after5s = rssMbOf(engine.pid);
      await sleep(5_000);
      const r: ReadFootprint = { idle, peak: peak.stop().maxBytes / 1e6, after5s, after10s: rssMbOf(engine.pid), readMs };
      rounds.push(r);
      rows.push([
        source,
        String(round),
        fmt(r.idle),
        fmt(r.peak),
        fmt(r.after5s),
        fmt(r.after10s),
        fmt(r.after10s - r.idle),
        readMs.map((ms) => fmt(ms, 0)).join(", "),
      ]);
      console.log(
        `${source}, round ${round}: idle ${fmt(r.idle)} MB, peak ${fmt(r.peak)}, +5 s ${fmt(r.after5s)}, +10 s ${fmt(r.after10s)}`,
      );
    }
    const m = (pick: (r: ReadFootprint) => number) => median(rounds.map(pick));
    rows.push([
      `${source}: median`,
      "",
      fmt(m((r) => r.idle)),
      fmt(m((r) => r.peak)),
      fmt(m((r) => r.after5s)),
      fmt(m((r) => r.after10s)),
      fmt(m((r) => r.after10s - r.idle)),
      fmt(
        m((r) => median(r.readMs)),
        0,
      ),
    ]);
  }
  console.log(`\nengine daemon VmRSS around two logs read --limit ${READ_LINES} (target: +10 s within 30 MB of idle)\n${table(rows)}`);
  await engine.dispose();
}

function rssMbOf(pid: number): number {
  return statusMb(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS");
}

/**
 * The daemon's RSS once it is idle: its CPU quiet, then sampled every second until VmRSS has not
 * fallen for STABLE_MS (V8's memory reducer hands the heap back in steps 8–16 s apart after the last
 * activity: 117 → 107 → 95 → 92 MB over ~35 s after a start) and at least MIN_IDLE_MS, at most MAX_IDLE_MS. Reports the last
 * RSS_SAMPLES samples.
 */
async function footprint(engine: TestEngine, stage: string, services: number): Promise<Footprint> {
  await settle(engine.pid, { windowMs: 500, maxMs: 20_000 });
  const started = performance.now();
  const samples: { at: number; rss: number; anon: number; file: number }[] = [];
  for (;;) {
    const status = readFileSync(`/proc/${engine.pid}/status`, "utf8");
    const now = performance.now();
    samples.push({ at: now, rss: statusMb(status, "VmRSS"), anon: statusMb(status, "RssAnon"), file: statusMb(status, "RssFile") });
    const last = samples.at(-1)!;
    const recentMax = Math.max(...samples.filter((s) => s.at >= now - STABLE_MS).map((s) => s.rss));
    const stable = now - started >= MIN_IDLE_MS && samples.length >= RSS_SAMPLES && recentMax - last.rss <= 1;
    if (stable || now - started >= MAX_IDLE_MS) {
      const tail = samples.slice(-RSS_SAMPLES);
      return {
        stage,
        services,
        instances: (await runningWithLabels({ "skiff.engine": engine.engineId })).length,
        rssMb: tail.map((s) => s.rss),
        anonMb: median(tail.map((s) => s.anon)),
        fileMb: median(tail.map((s) => s.file)),
        idleS: (now - started) / 1000,
        stable,
        peakMb: statusMb(status, "VmHWM"),
      };
    }
    await sleep(1_000);
  }
}

/** A field of /proc/<pid>/status given in kB, in MB (10^6 bytes). */
function statusMb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (!match) throw new Error(`/proc/<pid>/status has no ${field}`);
  return (Number(match[1]) * 1024) / 1e6;
}

/** fn over items, at most `limit` at a time; the first error stops new work and is thrown. */
async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Untimed: until the engine has no container at all (every service scaled to zero, its instances removed). */
async function atZero(engine: TestEngine): Promise<void> {
  const deadline = Date.now() + 120_000;
  let left = await engine.containers();
  while (left.length > 0) {
    if (Date.now() > deadline) throw new Error(`${left.length} containers still there 120 s after the last request\n${engine.logTail()}`);
    await sleep(500);
    left = await engine.containers();
  }
}

/** Waits (at most 30 s) until every service has exactly one running instance and nothing else runs. */
async function instancesExactlyOne(engine: TestEngine, names: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const running = (await engine.containers()).filter((c) => c.state === "running");
    const perService = new Map<string, number>();
    for (const c of running) perService.set(c.labels["skiff.service"], (perService.get(c.labels["skiff.service"]) ?? 0) + 1);
    const wrong = names.filter((n) => perService.get(n) !== 1);
    if (wrong.length === 0 && running.length === names.length) return;
    if (Date.now() > deadline)
      throw new Error(
        `not one instance each after 30 s: ${wrong.map((n) => `${n}: ${perService.get(n) ?? 0}`).join(", ")}; ${running.length} containers`,
      );
    await sleep(500);
  }
}

/** Wall time of one CLI command from spawn to exit; throws with its output when it fails. */
async function timedCli(engine: TestEngine, args: string[]): Promise<number> {
  const started = performance.now();
  const result = await engine.skiff(args);
  const ms = performance.now() - started;
  if (result.code !== 0) throw new Error(`skiff ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return ms;
}

/** Untimed: ms from `since` (the delete's return) until the service has no container left, running or not; throws after GONE_WITHIN_MS. */
async function containerGone(engine: TestEngine, service: string, since: number): Promise<number> {
  while ((await containersWithLabels({ "skiff.engine": engine.engineId, "skiff.service": service })).length > 0) {
    if (performance.now() - since > GONE_WITHIN_MS)
      throw new Error(`${service}: its container is still there ${GONE_WITHIN_MS / 1000} s after the delete returned\n${engine.logTail()}`);
    await sleep(100);
  }
  return performance.now() - since;
}

runMain(main);
