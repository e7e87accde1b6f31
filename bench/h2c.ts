import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import http2 from "node:http2";
import * as os from "node:os";
import * as path from "node:path";
import { deploy, hostOf } from "../test/helpers/cli";
import { run } from "../test/helpers/docker";
import { startEngine, TestEngine } from "../test/helpers/engine";
import { buildHostImage } from "../test/helpers/host-image";
import { Address, envInt, fmt, machine, onCleanup, percentile, ratio, runMain, settle, sleep, stamp, table, which } from "./common";
import { cpuSince, MEDIAN_HEADER, perRequestUs, RATIO_HEADER, soleInstance, sum, summarise } from "./interleaved";
import { startNodeProxy } from "./proxies";

/**
 * h2c benchmark (issue 23): one http2 service on skiff whose instance is a minimal h2c server from
 * Go's standard library (bench/h2c-server); the same instance is loaded three ways, interleaved
 * round by round, with h2load (nghttp2's load generator, a separate native process) over
 * HTTP/2 with prior knowledge:
 *   direct          the instance at the address skiff's router uses
 *   node-h2-proxy   a minimal Node `http2` proxy (bench/node-h2-proxy.ts) with one session to it
 *   skiff           the ingress, :authority <service>.localhost: routing, the throttler, h2c on
 *                   the instance's pooled session
 * Target (SPEC §8): skiff ≥ 0.9× node-h2-proxy's requests/s. Printed beside it: p50/p99 (from
 * h2load's per-request log) and CPU per request (the proxy's process; skiff's daemon, its main
 * thread apart).
 *
 * bench/router.js runs this after its HTTP/1.1 rounds, on its own engine (BENCH_H2C=0 leaves it
 * out); `node dist/bench/h2c.js` runs it alone on an engine of its own.
 *
 * Knobs (env): BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_H2C_CONNECTIONS (4), BENCH_STREAMS (8 per
 * connection: 32 in flight, as the HTTP/1.1 benchmark's 32 connections).
 */

const ROUNDS = envInt("BENCH_ROUNDS", 5);
const SECONDS = envInt("BENCH_SECONDS", 5);
const CONNECTIONS = envInt("BENCH_H2C_CONNECTIONS", 4);
const STREAMS = envInt("BENCH_STREAMS", 8);
const SERVICE = "bench-h2c";
const CONTAINER_PORT = 8080;

type Name = "direct" | "node-h2-proxy" | "skiff";
const NAMES: Name[] = ["direct", "node-h2-proxy", "skiff"];

interface Target extends Address {
  name: Name;
  authority?: string;
  proxyPids: () => number[];
}

interface H2loadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failed: number;
}

interface Sample extends H2loadResult {
  proxyUs: number;
  engineUs: number;
  engineMainUs: number;
}

async function main(): Promise<void> {
  console.log(`skiff h2c benchmark — ${stamp()}\n${await machine()}`);
  const engine = await startEngine();
  onCleanup("skiff engine", () => engine.dispose());
  await h2cBench(engine);
}

/**
 * The h2c rows, on an engine already running (bench/router.ts passes its own once its HTTP/1.1
 * rounds are done, so the two are measured in the same run): deploys the h2c service beside
 * whatever runs there, starts the Node http2 proxy, measures, prints, and stops the proxy (the
 * service goes with the engine).
 */
export async function h2cBench(engine: TestEngine): Promise<void> {
  const h2load = await which("h2load");
  if (!h2load) throw new Error("h2load is not installed: on Debian run `apt-get install -y nghttp2-client`");
  console.log(
    `\nh2c (HTTP/2 prior knowledge): h2load -c${CONNECTIONS} -m${STREAMS} -D${SECONDS}s, ${ROUNDS} interleaved rounds (order rotated)`,
  );

  const image = await h2cServerImage();
  await deploy(engine, SERVICE, ["--image", image, "--use-http2", "--concurrency", "1000"]);
  const { containerId, instance } = await soleInstance(engine, SERVICE, CONTAINER_PORT);
  console.log(`engine pid ${engine.pid}; h2c instance via ${instance.via}: ${instance.address}:${instance.port}`);

  const nodeProxy = await startNodeProxy(instance, [], "node-h2-proxy.js", (port) => untilAnswers({ port }, undefined));
  try {
    await measure(engine, h2load, instance, containerId, nodeProxy.port, nodeProxy.pid);
  } finally {
    await nodeProxy.stop();
  }
}

async function measure(
  engine: TestEngine,
  h2load: string,
  instance: Address & { address: string },
  containerId: string,
  nodeProxyPort: number,
  nodeProxyPid: number,
): Promise<void> {
  const targets: Target[] = [
    { name: "direct", address: instance.address, port: instance.port, proxyPids: () => [] },
    { name: "node-h2-proxy", port: nodeProxyPort, proxyPids: () => [nodeProxyPid] },
    { name: "skiff", port: engine.ingressPort, authority: hostOf(engine, SERVICE), proxyPids: () => [engine.pid] },
  ];
  // Every target reaches the same instance over HTTP/2 before anything is timed.
  for (const t of targets) {
    const answer = await untilAnswers(t, t.authority);
    if (answer.instance !== containerId.slice(0, 12))
      throw new Error(`${t.name} reached ${answer.instance}, not ${containerId.slice(0, 12)}`);
    if (answer.proto !== "HTTP/2.0") throw new Error(`${t.name} reached the instance over ${answer.proto}`);
  }

  process.stdout.write("warm-up");
  for (const t of targets) {
    await h2loadRun(h2load, t, 2);
    await settle(engine.pid);
    process.stdout.write(` ${t.name}`);
  }
  process.stdout.write("\n");

  const rounds: Map<Name, Sample>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    const samples = new Map<Name, Sample>();
    const line: string[] = [];
    for (const t of order) {
      const pids = t.proxyPids();
      const cpu = cpuSince(pids, engine.pid);
      const result = await h2loadRun(h2load, t, SECONDS);
      const proxyCpu = cpu.proxyMs();
      await settle(engine.pid);
      samples.set(t.name, {
        ...result,
        proxyUs: pids.length ? perRequestUs(proxyCpu, result.requests) : NaN,
        engineUs: perRequestUs(cpu.engineMs(), result.requests),
        engineMainUs: perRequestUs(cpu.engineMainMs(), result.requests),
      });
      if (result.failed) console.warn(`  round ${round + 1} ${t.name}: ${result.failed} requests failed`);
      line.push(`${t.name} ${Math.round(result.rps)} rps p99 ${fmt(result.p99Ms, 2)} ms`);
      await sleep(300);
    }
    rounds.push(samples);
    console.log(`round ${round + 1}/${ROUNDS}: ${line.join(" | ")}  (load ${os.loadavg()[0].toFixed(1)})`);
  }

  const { all, med, ratioRow, medianCells } = summarise(rounds);
  const rows = [[...MEDIAN_HEADER, "failed"]];
  for (const name of NAMES) rows.push([...medianCells(name), String(sum(all(name).map((s) => s.failed)))]);
  console.log(`\nmedians of ${ROUNDS} rounds (CPU µs per request = ms per 1,000 requests)\n${table(rows)}\n`);
  console.log(
    table([
      RATIO_HEADER,
      ratioRow("skiff / node-h2-proxy", "skiff", "node-h2-proxy", "req/s ≥ 0.90×"),
      ratioRow("node-h2-proxy / direct", "node-h2-proxy", "direct", "-"),
      ratioRow("skiff / direct", "skiff", "direct", "-"),
    ]),
  );
  console.log(
    `\nCPU per proxied request: node-h2-proxy ${fmt(med("node-h2-proxy", "proxyUs"), 1)} µs | skiff engine ${fmt(med("skiff", "engineUs"), 1)} µs ` +
      `(main thread ${fmt(med("skiff", "engineMainUs"), 1)}): ${ratio(med("skiff", "engineUs"), med("node-h2-proxy", "proxyUs"))}`,
  );
}

/** One h2load run; p50 and p99 from its per-request log (h2load itself prints only mean and sd). */
async function h2loadRun(h2load: string, target: Target, seconds: number): Promise<H2loadResult> {
  const log = path.join(os.tmpdir(), `skiff-h2load-${process.pid}.log`);
  const args = [
    `-c${CONNECTIONS}`,
    `-m${STREAMS}`,
    "-t1",
    `-D${seconds}`,
    "--warm-up-time=1",
    `--log-file=${log}`,
    ...(target.authority ? ["-H", `:authority: ${target.authority}`] : []),
    `http://${target.address ?? "127.0.0.1"}:${target.port}/`,
  ];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(h2load, args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (c: Buffer) => (text += c.toString()));
    child.stderr.on("data", (c: Buffer) => (text += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`h2load ${args.join(" ")} exited ${code}: ${text}`))));
  });
  const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
  const requests = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  if (!rps || !requests) throw new Error(`could not parse h2load's output:\n${out}`);
  const durations = readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => Number(line.split("\t")[2]) / 1000);
  await fs.rm(log, { force: true });
  return {
    rps: Number(rps[1]),
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    requests: durations.length,
    failed: Number(requests[3]) + Number(requests[4]),
  };
}

/** GET / over HTTP/2 (prior knowledge) until it answers 200: which instance, over which protocol. */
async function untilAnswers(at: Address, authority: string | undefined): Promise<{ instance: string; proto: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await h2Get(at, authority);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

function h2Get(at: Address, authority: string | undefined): Promise<{ instance: string; proto: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${at.address ?? "127.0.0.1"}:${at.port}`);
    session.on("error", reject);
    const stream = session.request({ ":path": "/", ...(authority ? { ":authority": authority } : {}) });
    stream.on("response", (headers) => {
      const status = Number(headers[":status"]);
      session.close();
      if (status !== 200) return reject(new Error(`status ${status}`));
      resolve({ instance: String(headers["x-instance"]), proto: String(headers["x-proto"]) });
    });
    stream.on("error", reject);
    stream.resume();
  });
}

/** bench/h2c-server built static with the Go toolchain (PATH or /usr/local/go), FROM scratch; cached by its source. */
async function h2cServerImage(): Promise<string> {
  const source = path.resolve(__dirname, "..", "..", "bench", "h2c-server");
  const go = (await which("go")) ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
  if (!go) throw new Error("the Go toolchain (1.24 or later) is needed to build bench/h2c-server: install it from go.dev/dl");
  const hash = createHash("sha256")
    .update(readFileSync(path.join(source, "main.go")))
    .update(readFileSync(path.join(source, "go.mod")))
    .digest("hex")
    .slice(0, 12);
  const binary = path.join(os.tmpdir(), `skiff-h2c-server-${hash}`);
  if (!existsSync(binary)) {
    const built = await run(go, ["build", "-o", binary, "."], {
      cwd: source,
      env: { ...process.env, CGO_ENABLED: "0" },
      timeoutMs: 300_000,
    });
    if (built.code !== 0) throw new Error(`go build of bench/h2c-server failed: ${built.stderr}`);
  }
  return buildHostImage({ repository: "skiff-bench/h2c", binaries: [{ source: binary, at: "/h2c-server" }], entrypoint: ["/h2c-server"] });
}

if (require.main === module) runMain(main);
