import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import { docker, inspectContainer } from "../test/helpers/docker";
import type { TestEngine } from "../test/helpers/engine";
import { engineHome } from "../provider/base/home";
import { EngineClient } from "../provider/client/api-client";

/**
 * Shared pieces of the benchmarks: cleanup that runs even on failure or Ctrl-C, medians, wrk, and
 * small HTTP probes. Benchmarks print ratios against a baseline measured in the same run; they
 * assert nothing about time.
 */

// ---------------------------------------------------------------------------------------------
// Cleanup: every resource a benchmark makes registers how to undo it; undone in reverse order on
// normal exit, on an error, and on SIGINT/SIGTERM.

type CleanupFn = () => Promise<void> | void;
const cleanups: { name: string; fn: CleanupFn }[] = [];
let cleaning: Promise<void> | undefined;

export function onCleanup(name: string, fn: CleanupFn): void {
  cleanups.push({ name, fn });
}

export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const { name, fn } = cleanups.pop()!;
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup of ${name} failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Runs a benchmark's main with cleanup on every way out; sets the exit code. */
export function runMain(main: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: cleaning up…`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  main()
    .catch((error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    })
    .finally(() => cleanupAll());
}

// ---------------------------------------------------------------------------------------------
// Numbers.

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100): the value at least p% of the values are at or below. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "n/a";
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "n/a";
}

/** A plain-text table: first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected a positive integer, got "${v}"`);
  return n;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Processes.

export function which(bin: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", `command -v ${bin}`], (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined));
  });
}

/**
 * CPU time (user + system) a process has used so far, in ms, all its threads together (what
 * /proc/<pid>/stat counts for a thread group); 0 when it is gone.
 */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time of one thread of a process (its main thread when tid is the pid), in ms; 0 when it is gone. */
export function threadCpuMs(pid: number, tid = pid): number {
  return statCpuMs(`/proc/${pid}/task/${tid}/stat`);
}

/**
 * Waits until the process has been quiet (at most quietPercent of one core, 4%: one 10 ms tick per window) for two windows in a
 * row, at most maxMs: work a load left behind (log lines still being captured) is charged to the
 * run that caused it, not to the next one. Resolves with how long it waited.
 */
export async function settle(pid: number, opts: { windowMs?: number; quietPercent?: number; maxMs?: number } = {}): Promise<number> {
  const windowMs = opts.windowMs ?? 250;
  const quietMs = (windowMs * (opts.quietPercent ?? 4)) / 100;
  const started = performance.now();
  let quiet = 0;
  let last = cpuMs(pid);
  while (quiet < 2 && performance.now() - started < (opts.maxMs ?? 10_000)) {
    await sleep(windowMs);
    const now = cpuMs(pid);
    quiet = now - last <= quietMs ? quiet + 1 : 0;
    last = now;
  }
  return performance.now() - started;
}

function statCpuMs(file: string): number {
  try {
    const stat = readFileSync(file, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime), counted from the state field (3rd) here.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / clockTicks();
  } catch {
    return 0;
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  return (ticksPerSecond ??= 100); // CLK_TCK is 100 on every Linux this runs on.
}

/** A free TCP port on 127.0.0.1 (bound and released; the window for a race is tiny). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP probes (fresh connection each, so they never reuse a socket from before).

export interface Probe {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Where a probe or a load goes: 127.0.0.1 unless said otherwise (a container's bridge address). */
export interface Address {
  address?: string;
  port: number;
}

export function get(port: number, host?: string, timeoutMs = 2_000, path = "/"): Promise<Probe> {
  return getAt({ port }, host, timeoutMs, path);
}

export function getAt(at: Address, host?: string, timeoutMs = 2_000, path = "/"): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: at.address ?? "127.0.0.1",
        port: at.port,
        path,
        method: "GET",
        headers: host ? { host } : {},
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("probe timed out")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Polls GET / until accept(answer) holds; resolves with the time it held (performance.now()).
 * Errors (Docker's proxy accepts before the app listens, then resets) just mean "not yet".
 */
export async function pollUntil(
  port: number | Address,
  host: string | undefined,
  accept: (p: Probe) => boolean,
  deadlineMs: number,
  intervalMs = 5,
): Promise<number> {
  const at = typeof port === "number" ? { port } : port;
  const deadline = performance.now() + deadlineMs;
  let last: string;
  for (;;) {
    try {
      const answer = await getAt(at, host, 1_000);
      if (accept(answer)) return performance.now();
      last = `${answer.status} ${answer.body.trim().slice(0, 80)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (performance.now() > deadline)
      throw new Error(`${at.address ?? "127.0.0.1"}:${at.port} (Host ${host ?? "-"}) not ready after ${deadlineMs} ms; last: ${last}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// wrk.

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export async function requireWrk(): Promise<string> {
  const wrk = await which("wrk");
  if (!wrk) throw new Error("wrk is not installed: on Debian run `apt-get install -y wrk`");
  return wrk;
}

/** One wrk run against 127.0.0.1:port; a separate native process, so it does not share our event loop. */
export function wrk(opts: {
  port: number;
  address?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  threads?: number;
}): Promise<WrkResult> {
  const args = [
    `-t${opts.threads ?? 1}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    "--latency",
    "--timeout",
    "5s",
    ...(opts.host ? ["-H", `Host: ${opts.host}`] : []),
    ...Object.entries(opts.headers ?? {}).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    `http://${opts.address ?? "127.0.0.1"}:${opts.port}${opts.path ?? "/"}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`wrk ${args.join(" ")} exited ${code}: ${err}${out}`));
      try {
        resolve(parseWrk(out));
      } catch (error) {
        reject(new Error(`${(error as Error).message}\n--- wrk output ---\n${out}`));
      }
    });
  });
}

export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error("could not parse wrk's output");
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    rps: Number(rps[1]),
    p50Ms: toMs(p50[1], p50[2]),
    p99Ms: toMs(p99[1], p99[2]),
    requests: Number(total[1]),
    errors: socketErrors ? socketErrors.slice(1).reduce((s, n) => s + Number(n), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : n;
}

// ---------------------------------------------------------------------------------------------
// Docker.

/** The 127.0.0.1 host port Docker published for a container's port. */
export async function publishedPort(containerId: string, port = 8080): Promise<number> {
  const out = await docker(["port", containerId, `${port}/tcp`]);
  const line = out.split("\n").find((l) => l.startsWith("127.0.0.1:"));
  if (!line) throw new Error(`container ${containerId.slice(0, 12)} publishes ${port}/tcp on no 127.0.0.1 port: ${out.trim()}`);
  return Number(line.slice(line.lastIndexOf(":") + 1));
}

/**
 * Where skiff's router reaches an instance, as the engine itself says (`skiff engine status`:
 * "INSTANCES VIA"): the container's address on Docker's bridge and its container port when the
 * engine routes over the bridge, else the port Docker published on 127.0.0.1.
 */
export async function instanceAddress(
  engine: Pick<TestEngine, "home">,
  containerId: string,
  containerPort = 8080,
): Promise<{ via: "bridge" | "published"; address: string; port: number }> {
  const via = (await (await EngineClient.connect({ home: engineHome(engine.home) })).engineInfo()).instanceAddressing;
  if (via === "published") return { via, address: "127.0.0.1", port: await publishedPort(containerId, containerPort) };
  const info = (await inspectContainer(containerId)) as unknown as {
    NetworkSettings: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
  };
  // The engine's own network (one per engine), or Docker's default bridge for an older engine.
  const address = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress || info.NetworkSettings.IPAddress;
  if (!address) throw new Error(`the engine routes over the bridge, but container ${containerId.slice(0, 12)} has no bridge address`);
  return { via, address, port: containerPort };
}

/** Ids of running containers carrying all the labels. */
export async function runningWithLabels(labels: Record<string, string>): Promise<string[]> {
  const filters = Object.entries(labels).flatMap(([k, v]) => ["--filter", `label=${k}=${v}`]);
  const out = await docker(["ps", "-q", "--no-trunc", ...filters]);
  return out.split("\n").filter((l) => l.trim() !== "");
}

/** One line about the machine the numbers come from: CPUs, load, node, Docker (and nginx, wrk when present). */
export async function machine(): Promise<string> {
  const version = (file: string, args: string[]) =>
    new Promise<string | undefined>((resolve) =>
      execFile(file, args, { timeout: 10_000 }, (_error, stdout, stderr) =>
        resolve(`${stdout}${stderr}`.trim().split("\n")[0] || undefined),
      ),
    );
  const [dockerVersion, nginxVersion, wrkVersion] = await Promise.all([
    version("docker", ["version", "--format", "{{.Server.Version}}"]),
    version("nginx", ["-v"]),
    version("wrk", ["-v"]),
  ]);
  const cpus = os.cpus();
  return [
    `${cpus.length} × ${cpus[0]?.model ?? "?"}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
    `node ${process.version}, Docker ${dockerVersion ?? "?"}${nginxVersion ? `, ${nginxVersion.replace(/^nginx version: /, "")}` : ""}${wrkVersion ? `, ${wrkVersion.split(" [")[0]}` : ""}`,
  ].join("; ");
}

export function stamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

// ---------------------------------------------------------------------------------------------
// The engine's logs.

/**
 * Lines of a service's log, as `skiff logs read` shows it (the newest `limit`), that contain
 * `needle`: the engine reads them from the container's own log on demand, so call this after the
 * CPU of a measured window has been read.
 */
export async function countInServiceLog(home: string, service: string, needle: string, limit: number): Promise<number> {
  const client = await EngineClient.connect({ home: engineHome(home) });
  const text = await client.logs("default", service, { limit });
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}
