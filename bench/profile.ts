import { spawn, ChildProcess } from "node:child_process";
import { closeSync, openSync, promises as fs, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deploy } from "../test/helpers/cli";
import { containersWithLabels, removeContainers } from "../test/helpers/docker";
import { CLI_ENTRY, EngineFileContents, REPO_ROOT, TestEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import {
  countInServiceLog,
  cpuMs,
  envInt,
  fmt,
  instanceAddress,
  machine,
  onCleanup,
  pollUntil,
  requireWrk,
  runMain,
  runningWithLabels,
  sleep,
  stamp,
  table,
  threadCpuMs,
  wrk,
} from "./common";
import { startNodeProxy } from "./proxies";

/**
 * Where the engine's CPU goes (not a comparison: a profile to read). Starts a daemon in the
 * foreground under `node --cpu-prof` (every thread gets a profile: the event loop and the log
 * capture worker), deploys the fixture service, and loads it in three windows, one after the other:
 *   skiff       wrk through the ingress: the proxy path on the main thread, log capture in the worker
 *   node-proxy  wrk through the minimal Node proxy (bench/node-proxy.ts, also under --cpu-prof), to
 *               the same instance address: what Node's own http costs per request, for comparison
 *   direct      wrk to the instance, bypassing the engine: log capture alone
 * Each window lasts the load plus half a second.
 * The profiles' samples carry CLOCK_MONOTONIC times, so each window's samples are picked out by time. Prints, per
 * window and thread, the top functions and modules by self time in µs per request (or per logged
 * line), beside the CPU /proc counted for the thread in the same window.
 *
 * Knobs (env): BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_PROFILE_INTERVAL_US (1000),
 * BENCH_TOP (15), BENCH_PROFILE_DIR (keep the .cpuprofile files there; default: a temp dir, removed).
 */

const SECONDS = envInt("BENCH_SECONDS", 10);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 32);
const INTERVAL_US = envInt("BENCH_PROFILE_INTERVAL_US", 1000);
const TOP = envInt("BENCH_TOP", 15);
const SERVICE = "profiled";

type Phase = "skiff" | "node-proxy" | "direct";

interface Window {
  phase: Phase;
  fromUs: number;
  toUs: number;
  requests: number;
  lines: number;
  /** CPU /proc counted in the window, ms. */
  threads: string;
  engineMain: number;
  engineOther: number;
  nodeProxy: number;
}

async function main(): Promise<void> {
  await requireWrk();
  console.log(`skiff engine profile — ${stamp()}\n${await machine()}`);
  console.log(`wrk -t1 -c${CONNECTIONS} -d${SECONDS}s per window; --cpu-prof-interval ${INTERVAL_US} µs\n`);

  const keep = process.env.BENCH_PROFILE_DIR;
  const profDir = keep ? path.resolve(keep) : await fs.mkdtemp(path.join(os.tmpdir(), "skiff-bench-prof-"));
  await fs.mkdir(profDir, { recursive: true });
  if (!keep) onCleanup("profile dir", () => fs.rm(profDir, { recursive: true, force: true }));
  const profFlags = ["--cpu-prof", `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${INTERVAL_US}`];

  const image = await fixtureImage();
  const daemon = await startProfiledEngine(profFlags);
  const engine = new TestEngine(daemon.home); // for the CLI helpers (deploy); the daemon is ours, not its
  await deploy(engine, SERVICE, ["--image", image, "--concurrency", "1000"]);
  const [containerId] = await runningWithLabels({ "skiff.engine": daemon.file.engineId, "skiff.service": SERVICE });
  if (!containerId) throw new Error(`no running container for ${SERVICE}\n${daemon.logTail()}`);
  const instance = await instanceAddress(engine, containerId);
  const nodeProxy = await startNodeProxy(instance, profFlags);
  onCleanup("node-proxy", () => nodeProxy.stop());
  console.log(
    `engine pid ${daemon.file.pid}, node-proxy pid ${nodeProxy.pid}; instances via ${instance.via}: ${instance.address}:${instance.port}`,
  );

  const targets: Record<Phase, { address?: string; port: number; host?: string }> = {
    skiff: { port: daemon.file.ingressPort, host: `${SERVICE}.localhost:${daemon.file.ingressPort}` },
    "node-proxy": { port: nodeProxy.port },
    direct: { address: instance.address, port: instance.port },
  };
  const pid = daemon.file.pid;
  for (const [phase, t] of Object.entries(targets)) {
    await pollUntil(t, t.host, (p) => p.status === 200, 10_000, 50);
    const warm = await wrk({ ...t, path: `/?profile=warmup-${phase}`, connections: CONNECTIONS, seconds: 2 });
    await countInServiceLog(daemon.home, SERVICE, `GET /?profile=warmup-${phase} `, 2 * warm.requests + 1000);
  }

  const windows: Window[] = [];
  for (const phase of Object.keys(targets) as Phase[]) {
    const before = { main: threadCpuMs(pid), all: cpuMs(pid), proxy: cpuMs(nodeProxy.pid), threads: threadTimes(pid) };
    const fromUs = monotonicUs();
    const result = await wrk({ ...targets[phase], path: `/?profile=${phase}`, connections: CONNECTIONS, seconds: SECONDS });
    // The engine reads the instance's log only on demand, so the window closes shortly after the
    // load (the profiler's own sampling keeps its CPU from ever going quiet); the lines are counted
    // through `logs read` after the window.
    await sleep(500);
    const toUs = monotonicUs();
    const main = threadCpuMs(pid) - before.main;
    windows.push({
      phase,
      fromUs,
      toUs,
      requests: result.requests,
      lines: 0,
      threads: describeThreads(before.threads, threadTimes(pid), pid),
      engineMain: main,
      engineOther: cpuMs(pid) - before.all - main,
      nodeProxy: cpuMs(nodeProxy.pid) - before.proxy,
    });
    // The service log holds the ingress's entry for each request beside the instance's line.
    windows.at(-1)!.lines = await countInServiceLog(daemon.home, SERVICE, `GET /?profile=${phase} `, 2 * result.requests + 1000);
    console.log(
      `${phase}: ${result.requests} requests (${Math.round(result.rps)}/s, p99 ${fmt(result.p99Ms, 2)} ms), ${windows.at(-1)!.lines} lines logged`,
    );
  }

  // The profiles are written as the processes exit.
  await nodeProxy.stop();
  await daemon.stop();
  const files = await fs.readdir(profDir);
  const profilesOf = (p: number) => files.filter((f) => f.split(".")[3] === String(p) && f.endsWith(".cpuprofile")).sort();
  const engineFiles = profilesOf(pid);
  const proxyFiles = profilesOf(nodeProxy.pid);
  const mainFile = engineFiles.find((f) => f.split(".")[4] === "0");
  const workerFiles = engineFiles.filter((f) => f !== mainFile);
  if (!mainFile) throw new Error(`the engine wrote no profile of its main thread to ${profDir} (files: ${files.join(", ")})`);
  if (workerFiles.length === 0) console.warn(`(no profile of the engine's worker threads in ${profDir})`);
  const load = (names: string[]) =>
    Promise.all(names.map(async (f) => JSON.parse(await fs.readFile(path.join(profDir, f), "utf8")) as CpuProfile));
  const [engineMain, engineWorkers, proxyMain] = await Promise.all([load([mainFile]), load(workerFiles), load(proxyFiles.slice(0, 1))]);
  if (keep) console.log(`profiles kept in ${profDir}: ${[...engineFiles, ...proxyFiles].join(", ")}`);

  for (const w of windows) {
    const threads: { name: string; profiles: CpuProfile[]; procMs: number; per: "request" | "logged line" }[] =
      w.phase === "node-proxy"
        ? [
            { name: "node-proxy process", profiles: proxyMain, procMs: w.nodeProxy, per: "request" },
            { name: "engine log worker (+ other threads)", profiles: engineWorkers, procMs: w.engineOther, per: "logged line" },
          ]
        : w.phase === "skiff"
          ? [
              { name: "engine main thread", profiles: engineMain, procMs: w.engineMain, per: "request" },
              { name: "engine log worker (+ other threads)", profiles: engineWorkers, procMs: w.engineOther, per: "logged line" },
            ]
          : [
              { name: "engine main thread", profiles: engineMain, procMs: w.engineMain, per: "logged line" },
              { name: "engine log worker (+ other threads)", profiles: engineWorkers, procMs: w.engineOther, per: "logged line" },
            ];
    console.log(`\n=== ${w.phase}: ${w.requests} requests, ${w.lines} lines logged, window ${fmt((w.toUs - w.fromUs) / 1e6, 1)} s`);
    console.log(`engine CPU by thread (/proc): ${w.threads}`);
    for (const t of threads) {
      const count = t.per === "request" ? w.requests : w.lines;
      const agg = aggregate(t.profiles, w.fromUs, w.toUs);
      const perUnit = (us: number) => fmt(count > 0 ? us / count : NaN, 2);
      console.log(
        `\n${t.name}: /proc ${fmt(t.procMs, 0)} ms = ${perUnit(t.procMs * 1000)} µs per ${t.per}; profile (busy samples) ${fmt(agg.busyUs / 1000, 0)} ms = ${perUnit(agg.busyUs)} µs per ${t.per}`,
      );
      if (agg.busyUs === 0) continue;
      const share = (us: number) => `${fmt((100 * us) / agg.busyUs, 1)}%`;
      const buckets = new Map<string, number>();
      for (const [module, us] of agg.byModule) buckets.set(bucketOf(module), (buckets.get(bucketOf(module)) ?? 0) + us);
      console.log(
        table([["where (self time)", `µs/${t.per}`, "share"], ...top(buckets, 10).map(([k, us]) => [k, perUnit(us), share(us)])]),
      );
      console.log(
        table([["module (self time)", `µs/${t.per}`, "share"], ...top(agg.byModule, TOP).map(([k, us]) => [k, perUnit(us), share(us)])]),
      );
      console.log(
        table([
          ["function (self time)", `µs/${t.per}`, "share"],
          ...top(agg.byFunction, TOP).map(([k, us]) => [k, perUnit(us), share(us)]),
        ]),
      );
      const skiffInclusive = top(new Map([...agg.inclusive].filter(([k]) => k.includes(" provider/"))), TOP);
      if (skiffInclusive.length > 0) {
        console.log(
          table([
            ["skiff function (inclusive, same tick)", `µs/${t.per}`, "share"],
            ...skiffInclusive.map(([k, us]) => [k, perUnit(us), share(us)]),
          ]),
        );
      }
    }
  }
}

/** CPU ms of each thread of the process, by thread id. */
function threadTimes(pid: number): Map<number, number> {
  const times = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) times.set(Number(tid), threadCpuMs(pid, Number(tid)));
  } catch {
    // gone
  }
  return times;
}

/** "main 2360 ms, busiest other thread 700 ms (the log worker), 9 others 300 ms" for a window. */
function describeThreads(before: Map<number, number>, after: Map<number, number>, pid: number): string {
  const deltas = [...after].map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)] as const).filter(([, ms]) => ms >= 0);
  const main = deltas.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = deltas.filter(([tid]) => tid !== pid).sort((a, b) => b[1] - a[1]);
  const rest = others.slice(1);
  return `main ${fmt(main, 0)} ms, busiest other thread ${fmt(others[0]?.[1] ?? 0, 0)} ms (the log worker), ${rest.length} others ${fmt(
    rest.reduce((s, [, ms]) => s + ms, 0),
    0,
  )} ms (libuv pool: file writes; V8: GC, the profiler)`;
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

// ---------------------------------------------------------------------------------------------
// The engine in the foreground under --cpu-prof, cleaned up on every way out.

async function startProfiledEngine(nodeFlags: string[]) {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-bench-home-"));
  onCleanup("engine home", () => fs.rm(home, { recursive: true, force: true }));
  const logPath = path.join(home, "engine.log");
  const out = openSync(logPath, "a");
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeFlags, CLI_ENTRY, "engine", "start", "--foreground", "--ingress-port", "0", "--api-port", "0"],
    { cwd: REPO_ROOT, env: { ...process.env, SKIFF_HOME: home }, stdio: ["ignore", out, out] },
  );
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  let engineId: string | undefined;
  const logTail = () => `--- engine.log ---\n${readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n")}`;
  const stop = async () => {
    if (!alive) return;
    child.kill("SIGINT"); // the daemon stops cleanly and node writes the profiles on the way out
    await Promise.race([exited, sleep(60_000)]);
    if (alive) child.kill("SIGKILL");
    await exited;
  };
  // The daemon leaves its containers for the next start; nothing will start again here.
  onCleanup("engine containers", async () => {
    if (engineId) await removeContainers((await containersWithLabels({ "skiff.engine": engineId })).map((c) => c.id));
  });
  onCleanup("profiled engine", stop);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!alive) throw new Error(`the engine exited while starting\n${logTail()}`);
    try {
      const file = JSON.parse(readFileSync(path.join(home, "engine.json"), "utf8")) as EngineFileContents;
      if (file.pid === child.pid) {
        engineId = file.engineId;
        return { home, file, stop, logTail };
      }
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`the engine did not start within 60 s\n${logTail()}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// .cpuprofile analysis.

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Aggregate {
  busyUs: number;
  byFunction: Map<string, number>;
  byModule: Map<string, number>;
  /** Per function, the time of samples with it anywhere on the stack (within one tick: async callers are not on it). */
  inclusive: Map<string, number>;
}

/** Self time per function and module of the samples taken between fromUs and toUs (CLOCK_MONOTONIC µs), idle left out. */
function aggregate(profiles: CpuProfile[], fromUs: number, toUs: number): Aggregate {
  const agg: Aggregate = { busyUs: 0, byFunction: new Map(), byModule: new Map(), inclusive: new Map() };
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i];
      // A sample stands for the time until the next one.
      const duration = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
      if (t < fromUs || t > toUs || duration <= 0) continue;
      const node = byId.get(profile.samples[i])!;
      const { functionName } = node.callFrame;
      if (functionName === "(idle)") continue;
      agg.busyUs += duration;
      add(agg.byFunction, functionKey(node.callFrame), duration);
      add(agg.byModule, moduleOf(node.callFrame), duration);
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const key = functionKey(byId.get(id)!.callFrame);
        if (!seen.has(key)) {
          seen.add(key);
          add(agg.inclusive, key, duration);
        }
      }
    }
  }
  return agg;
}

function moduleOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith("(") ? functionName : "(native code)";
  if (url.startsWith("node:")) return url;
  const dist = url.indexOf("/dist/");
  if (dist >= 0) return url.slice(dist + "/dist/".length);
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return `npm:${rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  return path.basename(url);
}

function bucketOf(module: string): string {
  if (module.startsWith("provider/")) return "skiff's own code (provider/)";
  if (module.startsWith("bench/")) return "node-proxy's own code";
  if (module.startsWith("node:_http")) return "node http (_http_*.js)";
  if (module.startsWith("node:")) return "node streams, net, events, timers, fs (JS)";
  if (module === "(native code)") return "native: socket/file writes (syscalls), string and buffer copies";
  if (module.startsWith("npm:")) return "npm packages";
  return module;
}

function functionKey(frame: { functionName: string; url: string; lineNumber: number }): string {
  const where = moduleOf(frame);
  if (!frame.url) return frame.functionName.startsWith("(") ? frame.functionName : `${frame.functionName} (native)`;
  return `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, n: number): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
}

runMain(main);
