import * as os from "node:os";
import { deploy, hostOf } from "../test/helpers/cli";
import { startEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import {
  Address,
  countInServiceLog,
  cpuMs,
  envInt,
  fmt,
  getAt,
  machine,
  median,
  onCleanup,
  pollUntil,
  ratio,
  requireWrk,
  runMain,
  settle,
  sleep,
  stamp,
  table,
  which,
  wrk,
  WrkResult,
} from "./common";
import { h2cBench } from "./h2c";
import { cpuSince, MEDIAN_HEADER, perRequestUs, RATIO_HEADER, soleInstance, sum, summarise } from "./interleaved";
import { startNginx, startNodeProxy } from "./proxies";
import { requestLogsBench } from "./request-logs";

/**
 * Router benchmark. One fixture service on skiff (one instance, which writes one log line per
 * request); the same instance is loaded four ways, interleaved round by round, with wrk (a separate
 * native process):
 *   direct      the instance at the address skiff's router uses (its bridge address and container
 *               port, or its published 127.0.0.1 port when the engine says "published")
 *   nginx       nginx (worker_processes 1) with a keep-alive upstream to that same address
 *   node-proxy  a minimal Node `http` proxy (bench/node-proxy.ts) to that same address: the floor of
 *               a proxy built on Node's `http` (skiff's router speaks HTTP itself, on llhttp)
 *   skiff       the ingress, Host: <service>.localhost
 *   skiff-private  the same, with the service made private for the run (no allUsers; its invoker's
 *               identity token in Authorization): what the token check adds
 * Targets: skiff ≥ 0.9× node-proxy's requests/s and ≤ 1.2× its p99; the engine's CPU per proxied
 * request at most half of the 182 µs measured before (issue 14); under 10 µs of engine CPU per
 * logged line while the load bypasses the engine; a private service's token check at most 15 µs
 * more than a public one (issue 19).
 *
 * CPU is read from /proc: the proxy's processes (nginx master + workers, the node-proxy process,
 * skiff's daemon), and the daemon in every run, split into its main thread (the event loop that
 * proxies) and its other threads (the log capture worker, GC helpers, libuv's pool). After each run
 * the daemon is given time to go quiet, so log lines it is still capturing are charged to the run
 * that caused them. Each run requests a path of its own (/?bench=<round>.<target>); the lines with
 * it in the service's captured log are that run's logged lines.
 *
 * Then what request logs and metrics cost (bench/request-logs.ts, issue 24: two engines of their
 * own, one with --no-request-logs, in pairs of runs), and the h2c rows (bench/h2c.ts, issue 23) on
 * the same engine: an http2 service against a minimal Node `http2` proxy, with h2load.
 *
 * Knobs (env): BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_NGINX_WORKERS (1),
 * BENCH_LOGS (1; 0 leaves the request logs rows out), BENCH_LOGS_ROUNDS (12), BENCH_H2C (1; 0 leaves
 * the h2c rows out).
 */

const ROUNDS = envInt("BENCH_ROUNDS", 5);
const SECONDS = envInt("BENCH_SECONDS", 5);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 32);
const NGINX_WORKERS = envInt("BENCH_NGINX_WORKERS", 1);
const WARMUP_SECONDS = 2;
const SERVICE = "bench";
const CONTAINER_PORT = 8080;
/** The engine's CPU per proxied request on main before issue 14 (the issue's own run of this bench): the target is half of it. */
const BEFORE_US_PER_REQUEST = 182;

type Name = "direct" | "nginx" | "node-proxy" | "skiff" | "skiff-private";
const NAMES: Name[] = ["direct", "nginx", "node-proxy", "skiff", "skiff-private"];

interface Target extends Address {
  name: Name;
  host?: string;
  headers?: Record<string, string>;
  /** Before and after each of its runs (the private target makes the service private for its run). */
  around?: { before(): Promise<void>; after(): Promise<void> };
  /** Processes whose CPU time is charged to this target's proxy (none for direct; skiff's daemon for skiff). */
  proxyPids: () => number[];
}

interface Sample extends WrkResult {
  /** CPU µs of the proxy per request (= ms per 1,000 requests); NaN for direct. */
  proxyUs: number;
  /** CPU µs of skiff's daemon per request, all threads, and split into its main thread and the others. */
  engineUs: number;
  engineMainUs: number;
  engineOtherUs: number;
  /** Lines of this run found in the service's captured log, and the daemon's CPU µs per such line. */
  lines: number;
  engineUsPerLine: number;
  settleMs: number;
}

async function main(): Promise<void> {
  await requireWrk();
  const nginxBin = await which("nginx");
  if (!nginxBin) throw new Error("nginx is not installed: on Debian run `apt-get install -y nginx`");

  console.log(`skiff router benchmark — ${stamp()}\n${await machine()}`);
  console.log(
    `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} interleaved rounds (order rotated); nginx worker_processes ${NGINX_WORKERS}\n`,
  );

  const image = await fixtureImage();
  const engine = await startEngine();
  onCleanup("skiff engine", () => engine.dispose());
  await deploy(engine, SERVICE, ["--image", image, "--concurrency", "1000"]);

  const { containerId, instance } = await soleInstance(engine, SERVICE, CONTAINER_PORT);
  console.log(
    `engine pid ${engine.pid}; instances via ${instance.via}: ${instance.address}:${instance.port} (container ${containerId.slice(0, 12)})`,
  );

  const nginx = await startNginx(nginxBin, instance, NGINX_WORKERS);
  onCleanup("nginx", () => nginx.stop());
  const nodeProxy = await startNodeProxy(instance);
  onCleanup("node-proxy", () => nodeProxy.stop());

  const targets: Target[] = [
    { name: "direct", address: instance.address, port: instance.port, proxyPids: () => [] },
    { name: "nginx", port: nginx.port, proxyPids: () => nginx.pids() },
    { name: "node-proxy", port: nodeProxy.port, proxyPids: () => [nodeProxy.pid] },
    { name: "skiff", port: engine.ingressPort, host: hostOf(engine, SERVICE), proxyPids: () => [engine.pid] },
  ];
  const api = await engine.api();
  const invoker = "bench@default.iam.gserviceaccount.com";
  const { token } = await api.identityToken({ audience: `http://${hostOf(engine, SERVICE)}`, serviceAccount: invoker });
  const setInvokers = async (members: string[]) => {
    const { etag } = await api.getPolicy("default", "service", SERVICE);
    await api.setPolicy("default", "service", SERVICE, [{ role: "roles/run.invoker", members }], etag);
  };
  targets.push({
    name: "skiff-private",
    port: engine.ingressPort,
    host: hostOf(engine, SERVICE),
    headers: { Authorization: `Bearer ${token}` },
    proxyPids: () => [engine.pid],
    around: { before: () => setInvokers([`serviceAccount:${invoker}`]), after: () => setInvokers(["allUsers"]) },
  });

  // Every target must reach the same instance (the fixture names itself in x-instance) before anything is timed.
  for (const t of targets) {
    if (t.around) continue; // the same service and instance as "skiff"
    await pollUntil(t, t.host, (p) => p.status === 200 && p.body.startsWith("K_REVISION="), 10_000, 50);
    const answer = await getAt(t, t.host);
    if (answer.headers["x-instance"] !== containerId.slice(0, 12)) {
      throw new Error(`${t.name} reached instance ${String(answer.headers["x-instance"])}, not ${containerId.slice(0, 12)}`);
    }
  }

  // What the daemon costs doing nothing (its timers), for scale.
  await settle(engine.pid);
  const idleFrom = cpuMs(engine.pid);
  await sleep(3_000);
  const idleMsPerS = (cpuMs(engine.pid) - idleFrom) / 3;

  process.stdout.write("warm-up");
  for (const t of targets) {
    await t.around?.before();
    await wrk({ ...t, path: `/?bench=warmup.${t.name}`, connections: CONNECTIONS, seconds: WARMUP_SECONDS });
    await t.around?.after();
    await settle(engine.pid);
    process.stdout.write(` ${t.name}`);
  }
  process.stdout.write(`; engine idle: ${fmt(idleMsPerS, 1)} ms CPU per second\n`);

  const rounds: Map<Name, Sample>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no target always runs first (or right after the heaviest one).
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    const samples = new Map<Name, Sample>();
    const line: string[] = [];
    for (const t of order) {
      const marker = `GET /?bench=${round + 1}.${t.name} `;
      await t.around?.before();
      const pids = t.proxyPids();
      const cpu = cpuSince(pids, engine.pid);
      let result: WrkResult;
      try {
        result = await wrk({ ...t, path: `/?bench=${round + 1}.${t.name}`, connections: CONNECTIONS, seconds: SECONDS });
      } catch (error) {
        console.warn(`  round ${round + 1} ${t.name}: wrk failed, run left out: ${(error as Error).message.split("\n")[0]}`);
        await t.around?.after();
        await settle(engine.pid);
        continue;
      }
      await t.around?.after();
      const proxyCpu = cpu.proxyMs();
      const settleMs = await settle(engine.pid);
      const engineCpu = cpu.engineMs();
      const mainCpu = cpu.engineMainMs();
      // The service's log holds the ingress's entry for each request beside the instance's line.
      const lines = await countInServiceLog(engine.home, SERVICE, marker, 2 * result.requests + 1000);
      const perRequest = (ms: number) => perRequestUs(ms, result.requests);
      samples.set(t.name, {
        ...result,
        proxyUs: pids.length ? perRequest(proxyCpu) : NaN,
        engineUs: perRequest(engineCpu),
        engineMainUs: perRequest(mainCpu),
        engineOtherUs: perRequest(engineCpu - mainCpu),
        lines,
        engineUsPerLine: lines > 0 ? (engineCpu * 1000) / lines : NaN,
        settleMs,
      });
      if (result.errors || result.non2xx)
        console.warn(`  round ${round + 1} ${t.name}: ${result.errors} socket errors, ${result.non2xx} non-2xx`);
      line.push(`${t.name} ${Math.round(result.rps)} rps p99 ${fmt(result.p99Ms, 2)} ms`);
      await sleep(300);
    }
    rounds.push(samples);
    console.log(`round ${round + 1}/${ROUNDS}: ${line.join(" | ")}  (load ${os.loadavg()[0].toFixed(1)})`);
  }

  const { all, med, paired, ratioRow, medianCells } = summarise(rounds);

  const rows = [[...MEDIAN_HEADER, "engine other threads", "lines logged/req", "errors"]];
  for (const name of NAMES) {
    const samples = all(name);
    rows.push([
      ...medianCells(name),
      fmt(med(name, "engineOtherUs"), 1),
      fmt(median(samples.map((s) => s.lines / s.requests)), 2),
      `${sum(samples.map((s) => s.errors + s.non2xx))}${samples.length < ROUNDS ? ` (${ROUNDS - samples.length} runs failed)` : ""}`,
    ]);
  }
  console.log(`\nmedians of ${ROUNDS} rounds (CPU µs per request = ms per 1,000 requests)\n${table(rows)}\n`);

  console.log(
    table([
      RATIO_HEADER,
      ratioRow("skiff / node-proxy", "skiff", "node-proxy", "req/s ≥ 0.90×, p99 ≤ 1.20×"),
      ratioRow("skiff-private / skiff", "skiff-private", "skiff", "-"),
      ratioRow("skiff / nginx", "skiff", "nginx", "- (nginx: C, no JS; see README)"),
      ratioRow("node-proxy / direct", "node-proxy", "direct", "- (what a proxy on Node's http costs)"),
      ratioRow("nginx / direct", "nginx", "direct", "-"),
      ratioRow("skiff / direct", "skiff", "direct", "-"),
    ]),
  );

  // The instance's log lines: the engine's CPU while the load bypasses it, per line the instance logged
  // (its log is read from Docker on demand, so this is what it costs while nobody reads).
  const bypass: Name[] = ["direct", "nginx", "node-proxy"];
  const logUs = median(bypass.map((n) => med(n, "engineUsPerLine")).filter(Number.isFinite));
  const skiffUs = med("skiff", "engineUs");
  const mainUs = med("skiff", "engineMainUs");
  const nodeUs = med("node-proxy", "proxyUs");
  console.log(
    `\nproxy CPU per proxied request: nginx ${fmt(med("nginx", "proxyUs"), 1)} µs | node-proxy ${fmt(nodeUs, 1)} µs | ` +
      `skiff engine ${fmt(skiffUs, 1)} µs = main thread ${fmt(mainUs, 1)} (the proxy path) + other threads ${fmt(med("skiff", "engineOtherUs"), 1)} ` +
      `(the log worker, libuv's pool, GC)`,
  );
  console.log(
    `  skiff engine / node-proxy ${ratio(skiffUs, nodeUs)} (main thread alone ${ratio(mainUs, nodeUs)}); / nginx ${ratio(skiffUs, med("nginx", "proxyUs"))}; ` +
      `vs ${BEFORE_US_PER_REQUEST} µs before issue 14 (another day's machine): ${ratio(skiffUs, BEFORE_US_PER_REQUEST)} (target ≤ 0.50×)`,
  );
  console.log(
    `private service: engine ${fmt(med("skiff-private", "engineUs"), 1)} µs per request, public ${fmt(skiffUs, 1)} µs: ` +
      `the token check adds ${fmt(paired("skiff-private", "skiff", "engineUs") * skiffUs - skiffUs, 1)} µs (per-round paired; target ≤ 15 µs)`,
  );
  console.log(
    `engine CPU per logged line: ` +
      `${NAMES.map((n) => `${n} ${fmt(n.startsWith("skiff") ? med(n, "engineOtherUs") : med(n, "engineUsPerLine"), 1)} µs at ${fmt(med(n, "rps"), 0)}/s`).join(" | ")} ` +
      `(skiff: other threads only)\n  while the load bypasses the engine: ${fmt(logUs, 1)} µs per logged line (median of direct, nginx, node-proxy; target < 10 µs); engine idle ${fmt(idleMsPerS, 1)} ms/s`,
  );
  await nginx.stop();
  await nodeProxy.stop();
  if (process.env.BENCH_LOGS !== "0") await requestLogsBench(image);
  if (process.env.BENCH_H2C !== "0") await h2cBench(engine);
}

runMain(main);
