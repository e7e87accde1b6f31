import * as os from "node:os";
import { deploy, hostOf } from "../test/helpers/cli";
import { startEngine, type TestEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import {
  envInt,
  fmt,
  machine,
  median,
  onCleanup,
  percentile,
  pollUntil,
  ratio,
  requireWrk,
  runMain,
  settle,
  sleep,
  stamp,
  table,
  wrk,
} from "./common";
import { cpuSince, perRequestUs } from "./interleaved";
import { parseRequestHead } from "../provider/router/forwarding";
import type { CompletedRequest } from "../provider/router/request-observer";
import { EngineMetrics } from "../provider/telemetry/metrics";
import { requestLogLine } from "../provider/telemetry/request-log-line";

/**
 * What request logs and metrics cost (issue 24; SPEC §8: engine CPU per proxied request with them
 * at most 1.15× without them). Two engines serve the same fixture image, one started with
 * --no-request-logs, each with one instance; wrk loads them in turn, BENCH_LOGS_ROUNDS pairs of
 * runs, the order swapped every pair (on-off, off-on, ...), nothing else between them.
 *
 * The figure is the median of the per-pair ratios: each pair's two runs are back to back, so the
 * machine's drift (this machine is shared: one engine's medians moved by 25 % between runs of
 * router.js, more than the thing measured) cancels out, and enough pairs are run that the
 * interquartile range of the ratios is printed beside it, so a reader sees how sure it is.
 *
 * router.js runs this after its rounds (BENCH_LOGS=0 leaves it out); `node dist/bench/request-logs.js`
 * runs it alone. Knobs (env): BENCH_LOGS_ROUNDS (12), BENCH_SECONDS (5), BENCH_CONNECTIONS (32).
 */

const ROUNDS = envInt("BENCH_LOGS_ROUNDS", 12);
const SECONDS = envInt("BENCH_SECONDS", 5);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 32);
const SERVICE = "bench";
const TARGET = 1.15;

type Mode = "logs" | "no-logs";

interface Run {
  rps: number;
  engineUs: number;
  engineMainUs: number;
}

async function main(): Promise<void> {
  await requireWrk();
  console.log(`skiff request logs benchmark — ${stamp()}\n${await machine()}`);
  await requestLogsBench(await fixtureImage());
}

/** The request logs rows: two engines of their own, started, measured and disposed here. */
export async function requestLogsBench(image: string): Promise<void> {
  console.log(
    `\nrequest logs and metrics on and off: two engines (one with --no-request-logs), wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ` +
      `${ROUNDS} pairs of runs, the order swapped every pair`,
  );
  const engines = new Map<Mode, TestEngine>();
  try {
    for (const [mode, flags] of [
      ["logs", []],
      ["no-logs", ["--no-request-logs"]],
    ] as const) {
      const engine = await startEngine({ flags: [...flags] });
      engines.set(mode, engine);
      onCleanup(`skiff engine (${mode})`, () => engine.dispose());
      await deploy(engine, SERVICE, ["--image", image, "--concurrency", "1000"]);
      await pollUntil({ port: engine.ingressPort }, hostOf(engine, SERVICE), (p) => p.status === 200, 10_000, 50);
    }
    await measure(engines);
  } finally {
    for (const engine of engines.values()) await engine.dispose();
  }
}

async function measure(engines: Map<Mode, TestEngine>): Promise<void> {
  const run = async (mode: Mode, seconds: number, path: string): Promise<Run> => {
    const engine = engines.get(mode)!;
    const cpu = cpuSince([], engine.pid);
    const result = await wrk({ port: engine.ingressPort, host: hostOf(engine, SERVICE), path, connections: CONNECTIONS, seconds });
    // Work the run left behind (log lines still being written) is charged to it.
    await settle(engine.pid);
    if (result.errors || result.non2xx) console.warn(`  ${mode}: ${result.errors} socket errors, ${result.non2xx} non-2xx`);
    return {
      rps: result.rps,
      engineUs: perRequestUs(cpu.engineMs(), result.requests),
      engineMainUs: perRequestUs(cpu.engineMainMs(), result.requests),
    };
  };

  process.stdout.write("warm-up");
  for (const mode of engines.keys()) {
    await run(mode, 2, "/?bench=warmup");
    process.stdout.write(` ${mode}`);
  }
  process.stdout.write("\n");

  const pairs: Record<Mode, Run>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order: Mode[] = round % 2 === 0 ? ["logs", "no-logs"] : ["no-logs", "logs"];
    const pair = {} as Record<Mode, Run>;
    for (const mode of order) {
      pair[mode] = await run(mode, SECONDS, `/?bench=${round + 1}`);
      await sleep(300);
    }
    pairs.push(pair);
    console.log(
      `pair ${round + 1}/${ROUNDS}: ${order.map((m) => `${m} ${Math.round(pair[m].rps)} rps ${fmt(pair[m].engineUs, 1)} µs/req`).join(" | ")}` +
        ` → ${fmt(pair.logs.engineUs / pair["no-logs"].engineUs, 2)}×  (load ${os.loadavg()[0].toFixed(1)})`,
    );
  }

  const med = (mode: Mode, key: keyof Run) => median(pairs.map((p) => p[mode][key]));
  const ratios = pairs.map((p) => p.logs.engineUs / p["no-logs"].engineUs);
  const figure = median(ratios);
  console.log(
    `\n${table([
      ["engine", "req/s", "engine CPU µs/req", "main thread", "other threads"],
      ...(["logs", "no-logs"] as Mode[]).map((m) => [
        m,
        fmt(med(m, "rps"), 0),
        fmt(med(m, "engineUs"), 1),
        fmt(med(m, "engineMainUs"), 1),
        fmt(median(pairs.map((p) => p[m].engineUs - p[m].engineMainUs)), 1),
      ]),
    ])}`,
  );
  const telemetry = telemetryCostUs();
  console.log(
    `\nrequest logs and metrics: engine CPU per request with them / without, median of ${ROUNDS} pairs: ${fmt(figure, 2)}× ` +
      `(interquartile ${fmt(percentile(ratios, 25), 2)}–${fmt(percentile(ratios, 75), 2)}×; ratio of medians ` +
      `${ratio(med("logs", "engineUs"), med("no-logs", "engineUs"))}); target ≤ ${TARGET.toFixed(2)}×: ${figure <= TARGET ? "met" : "NOT met"}.` +
      `\n  On the event loop a request's log line costs ${fmt(telemetry.lineUs, 2)} µs (trace id included) and its metrics ` +
      `${fmt(telemetry.metricsUs, 2)} µs (in-process, 200,000 requests); the log thread's writing is in "other threads"`,
  );
}

/**
 * The request path's share of request logs and metrics, measured in this process on the same code
 * the ingress runs at a response's end: building a request's log line (request-log-line.ts) and
 * counting it in the metrics (metrics.ts), CPU µs per request over 200,000 requests after a warm-up.
 */
function telemetryCostUs(): { lineUs: number; metricsUs: number } {
  const head = parseRequestHead("GET", "/?bench=1", ["Host", "bench.localhost:8080", "User-Agent", "wrk"], "127.0.0.1");
  const request: CompletedRequest = {
    head,
    servedBy: { project: "default", service: SERVICE, revision: `${SERVICE}-00001-abc` },
    instanceId: "0123456789ab",
    status: 200,
    protocol: "HTTP/1.1",
    startedAt: performance.now(),
    requestBodyBytes: 0,
    responseBytes: 180,
    cut: false,
  };
  const metrics = new EngineMetrics({ revisions: () => [], jobs: () => [] });
  const perCall = (fn: () => void) => {
    for (let i = 0; i < 20_000; i++) fn();
    const n = 200_000;
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  let length = 0;
  const lineUs = perCall(() => {
    head.trace = undefined; // each request makes its own trace
    length += requestLogLine(request, Date.now(), 1.5).length;
  });
  const metricsUs = perCall(() => metrics.record(request, 1.5, performance.now()));
  if (length === 0) throw new Error("no line was built");
  return { lineUs, metricsUs };
}

if (require.main === module) runMain(main);
