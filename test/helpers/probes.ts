import { readdirSync, readFileSync, statSync } from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { docker } from "./docker";
import type { TestEngine } from "./engine";
import type { HttpAnswer } from "./http";

/**
 * Measuring instruments for the hardening tests: the engine's memory, latency under a bounded load,
 * file sizes of logs, raw admin API requests (paths sent exactly as written) and wall-clock timing.
 */

export const MiB = 1024 * 1024;

/** VmRSS of a process in bytes (from /proc/<pid>/status), or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stop(); keeps the largest value seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { maxBytes: number; lastBytes: number; samples: number } } {
  let maxBytes = 0;
  let lastBytes = 0;
  let samples = 0;
  const take = () => {
    const bytes = rssBytes(pid);
    if (bytes === undefined) return;
    samples += 1;
    lastBytes = bytes;
    maxBytes = Math.max(maxBytes, bytes);
  };
  take();
  // Unreferenced: a test that fails before stop() must not keep its process alive.
  const timer = setInterval(take, everyMs).unref();
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxBytes, lastBytes, samples };
    },
  };
}

export function mb(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** The p-th percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

export interface LatencyResult {
  /** Milliseconds of each exchange that completed, whatever its status. */
  latencies: number[];
  statuses: Record<string, number>;
  errors: string[];
  p50: number;
  p99: number;
  max: number;
}

/** Where a load sends its requests: 127.0.0.1:port with this Host header. */
export interface LoadTarget {
  port: number;
  host: string;
  path?: string;
}

/**
 * A bounded, paced load: `workers` clients on keep-alive connections, each sending at most one
 * request every `intervalMs`, until stop() (or `maxMs`). Latency is measured per request. With more
 * than one target each client takes them in turn, so every target sees the same moments of the
 * run (a control target measured alongside shows what the machine itself costs at that time).
 */
export function latencyLoad(opts: { targets: LoadTarget[]; workers?: number; intervalMs?: number; maxMs?: number }): {
  stop(): Promise<LatencyResult[]>;
} {
  const workers = opts.workers ?? 4;
  const intervalMs = opts.intervalMs ?? 25;
  const maxMs = opts.maxMs ?? 120_000;
  const started = Date.now();
  let stopped = false;
  const perTarget = opts.targets.map((target) => ({
    target,
    agent: new http.Agent({ keepAlive: true, maxSockets: workers }),
    latencies: [] as number[],
    statuses: {} as Record<string, number>,
    errors: [] as string[],
  }));

  const one = (t: (typeof perTarget)[number]) =>
    new Promise<void>((resolve) => {
      const begin = process.hrtime.bigint();
      const req = http.request(
        { host: "127.0.0.1", port: t.target.port, path: t.target.path ?? "/", headers: { host: t.target.host }, agent: t.agent },
        (res) => {
          res.resume();
          res.on("end", () => {
            t.latencies.push(Number(process.hrtime.bigint() - begin) / 1e6);
            t.statuses[String(res.statusCode)] = (t.statuses[String(res.statusCode)] ?? 0) + 1;
            clearTimeout(timer);
            resolve();
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new Error("no answer within 10 s")), 10_000);
      req.on("error", (error) => {
        clearTimeout(timer);
        t.errors.push(String(error));
        resolve();
      });
      req.end();
    });

  const worker = async (index: number) => {
    for (let turn = index; !stopped && Date.now() - started < maxMs; turn++) {
      const due = Date.now() + intervalMs;
      await one(perTarget[turn % perTarget.length]);
      const wait = due - Date.now();
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const running = Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  return {
    async stop() {
      stopped = true;
      await running;
      return perTarget.map(({ agent, latencies, statuses, errors }) => {
        agent.destroy();
        return { latencies, statuses, errors, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
      });
    },
  };
}

export function describeLatency(r: LatencyResult): string {
  if (r.latencies.length === 0)
    return `no request completed, ${r.errors.length} errors${r.errors.length ? ` (${r.errors.slice(0, 3).join("; ")})` : ""}`;
  return `${r.latencies.length} requests, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms, statuses ${JSON.stringify(r.statuses)}, ${r.errors.length} errors${r.errors.length ? ` (${r.errors.slice(0, 3).join("; ")})` : ""}`;
}

/**
 * A request to the admin API with the engine's token. The path is sent byte for byte as given
 * (no normalisation, no encoding), the way a hostile or careless client would send it.
 */
export function adminRequest(engine: TestEngine, method: string, rawPath: string, body?: unknown): Promise<HttpAnswer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: engine.apiPort,
        method,
        path: rawPath,
        agent: false,
        headers: {
          authorization: `Bearer ${engine.token}`,
          ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${rawPath} did not finish within 30 s`)), 30_000);
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(payload);
  });
}

/** Size of a file in bytes, 0 when it does not exist. */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

/**
 * Sizes of a rotating pair `<file>` and `<file>.1`. The rotated file is read first: a rotation in
 * between then undercounts (the old current file is seen once), it never counts one file twice.
 */
export function pairSizes(file: string): { current: number; rotated: number; total: number } {
  const rotated = fileSize(`${file}.1`);
  const current = fileSize(file);
  return { current, rotated, total: current + rotated };
}

/** Bytes of a log file and all its rotated siblings (`<file>.1`, `<file>.2`, ...), as Docker's json-file log keeps them. */
export function sizeWithRotated(file: string): number {
  const name = path.basename(file);
  const dir = path.dirname(file);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  return entries
    .filter((f) => f === name || (f.startsWith(`${name}.`) && /^\d+$/.test(f.slice(name.length + 1))))
    .reduce((sum, f) => sum + fileSize(path.join(dir, f)), 0);
}

/** The engine's captured log of a service: SKIFF_HOME/logs/<project>/<service>.log. */
export function engineLogFile(engine: TestEngine, service: string, project = "default"): string {
  return path.join(engine.home, "logs", project, `${service}.log`);
}

/** Docker's own json-file log of a container (docker inspect .LogPath). */
export async function dockerLogPath(containerId: string): Promise<string> {
  return (await docker(["inspect", "--format", "{{.LogPath}}", containerId])).trim();
}

/** engine.log lines with the given message, their JSON fields parsed. */
export function engineLogEntries<T = Record<string, unknown>>(engine: TestEngine, message: string): T[] {
  const text = readFileSync(path.join(engine.home, "engine.log"), "utf8");
  return text
    .split("\n")
    .filter((line) => line.includes(` ${message} {`))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as T);
}

/** The host port (on 127.0.0.1) Docker publishes a container's port 8080 on: a way to reach the app without the engine. */
export async function publishedPort(containerId: string): Promise<number> {
  const out = (await docker(["port", containerId, "8080/tcp"])).trim().split("\n")[0] ?? "";
  const port = Number(/:(\d+)$/.exec(out)?.[1]);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`container ${containerId} publishes no port for 8080/tcp: ${JSON.stringify(out)}`);
  return port;
}

/** CPU time (ms) the process's main thread (its event loop: tid = pid) has used so far. */
export function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command; in clock ticks (100/s on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** How one service fared while something else happened: through the engine, straight to its container, and the engine's event-loop CPU. */
export interface ServiceMeasure {
  /** Requests through the ingress (Host header), i.e. what a user sees. */
  via: LatencyResult;
  /** The same requests straight to the container's published port at the same moments: what the machine itself costs then. */
  direct: LatencyResult;
  /** CPU ms the engine's main thread (event loop) spent per request answered through it. */
  mainCpuMsPerRequest: number;
}

/**
 * Runs `work` while 4 paced clients (one request every 25 ms each) take turns between the service
 * through the engine and its container directly; stops the load when `work` resolves.
 */
export async function measureServiceWhile(
  engine: TestEngine,
  host: string,
  directPort: number,
  work: () => Promise<void>,
): Promise<ServiceMeasure> {
  const cpuBefore = mainThreadCpuMs(engine.pid);
  const load = latencyLoad({
    targets: [
      { port: engine.ingressPort, host },
      { port: directPort, host: "direct" },
    ],
    workers: 4,
    intervalMs: 25,
  });
  let results: LatencyResult[];
  try {
    await work();
  } finally {
    results = await load.stop();
  }
  const [via, direct] = results;
  const cpu = mainThreadCpuMs(engine.pid) - cpuBefore;
  return { via, direct, mainCpuMsPerRequest: cpu / Math.max(1, via.latencies.length) };
}

export function describeMeasure(m: ServiceMeasure): string {
  return `through the engine: ${describeLatency(m.via)}; straight to the container: ${describeLatency(m.direct)}; engine main thread ${m.mainCpuMsPerRequest.toFixed(2)} CPU ms per request`;
}

export interface ConnectionSample {
  /** Milliseconds since the load started, when the request was sent. */
  at: number;
  /** HTTP status, or 0 when there was no answer. */
  status: number;
  /** Why there was no answer: the error code (ECONNREFUSED, ECONNRESET, ...) or message. */
  error?: string;
  body?: string;
}

/**
 * `workers` clients, each sending GET requests one after another on a NEW connection every time,
 * until stop() (or `maxMs`): what browsers and short-lived clients do while an engine restarts.
 * A refused connection is followed by a 20 ms pause so a dead port is not spun on.
 */
export function newConnectionLoad(opts: { port: number; host: string; path?: string; workers?: number; maxMs?: number }): {
  readonly startedAt: number;
  stop(): Promise<ConnectionSample[]>;
} {
  const startedAt = Date.now();
  const maxMs = opts.maxMs ?? 60_000;
  const samples: ConnectionSample[] = [];
  let stopped = false;
  const one = () =>
    new Promise<ConnectionSample>((resolve) => {
      const at = Date.now() - startedAt;
      const req = http.request(
        { host: "127.0.0.1", port: opts.port, path: opts.path ?? "/", headers: { host: opts.host }, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            clearTimeout(timer);
            resolve({ at, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("error", (error: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            resolve({ at, status: 0, error: error.code ?? error.message });
          });
        },
      );
      const timer = setTimeout(() => req.destroy(Object.assign(new Error("no answer within 30 s"), { code: "TIMEOUT" })), 30_000);
      req.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ at, status: 0, error: error.code ?? error.message });
      });
      req.end();
    });
  const worker = async () => {
    while (!stopped && Date.now() - startedAt < maxMs) {
      const sample = await one();
      samples.push(sample);
      if (sample.error) await new Promise((r) => setTimeout(r, 20));
    }
  };
  const running = Promise.all(Array.from({ length: opts.workers ?? 8 }, worker));
  return {
    startedAt,
    async stop() {
      stopped = true;
      await running;
      return samples.sort((a, b) => a.at - b.at);
    },
  };
}

/** Counts of samples by outcome: "200", "404", ..., or "error ECONNREFUSED". */
export function outcomes(samples: readonly ConnectionSample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = s.error ? `error ${s.error}` : String(s.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
