import type { TestEngine } from "../test/helpers/engine";
import { cpuMs, fmt, instanceAddress, median, ratio, runningWithLabels, threadCpuMs } from "./common";

/**
 * What the proxy benchmarks (router.ts, h2c.ts) share: one service's single instance loaded
 * several ways in interleaved rounds, the CPU each run costs, and the medians and ratios printed
 * from the rounds.
 */

export function sum(values: number[]): number {
  return values.reduce((s, n) => s + n, 0);
}

/** The one running container of a service just deployed on the engine, and where skiff's router reaches it. */
export async function soleInstance(
  engine: TestEngine,
  service: string,
  containerPort: number,
): Promise<{ containerId: string; instance: Awaited<ReturnType<typeof instanceAddress>> }> {
  const [containerId, ...more] = await runningWithLabels({ "skiff.engine": engine.engineId, "skiff.service": service });
  if (!containerId || more.length > 0)
    throw new Error(`expected one running container for ${service}, found ${more.length + (containerId ? 1 : 0)}`);
  return { containerId, instance: await instanceAddress(engine, containerId, containerPort) };
}

/**
 * CPU counters read when a run starts; each method gives the ms used since. The proxy's processes
 * and the engine's daemon (all threads, and its main thread: the event loop that proxies) are read
 * apart, as the caller reads them at different moments (the proxy at once, the engine once settled).
 */
export function cpuSince(proxyPids: number[], enginePid: number): { proxyMs(): number; engineMs(): number; engineMainMs(): number } {
  const proxyBefore = sum(proxyPids.map(cpuMs));
  const engineBefore = cpuMs(enginePid);
  const mainBefore = threadCpuMs(enginePid);
  return {
    proxyMs: () => sum(proxyPids.map(cpuMs)) - proxyBefore,
    engineMs: () => cpuMs(enginePid) - engineBefore,
    engineMainMs: () => threadCpuMs(enginePid) - mainBefore,
  };
}

/** µs per request from ms over a run (= ms per 1,000 requests); NaN for a run with no requests. */
export function perRequestUs(ms: number, requests: number): number {
  return requests > 0 ? (ms * 1000) / requests : NaN;
}

/** A run's numbers: at least the load generator's rate and latency percentiles. */
type Sample<S> = { [K in keyof S]: number } & {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  proxyUs: number;
  engineUs: number;
  engineMainUs: number;
};

/** The header of the first columns of the medians table (`medianCells`); each benchmark adds its own after them. */
export const MEDIAN_HEADER = ["target", "req/s", "p50 ms", "p99 ms", "proxy CPU µs/req", "engine CPU µs/req", "engine main thread"];

/** The header of the table of `ratioRow`s. */
export const RATIO_HEADER = ["ratio (of medians)", "req/s", "p50", "p99", "per-round median req/s / p99", "target"];

/** Summaries of rounds, each a sample per target name (a target whose run failed is absent from that round). */
export function summarise<Name extends string, S extends Sample<S>>(rounds: Map<Name, S>[]) {
  const all = (name: Name) => rounds.flatMap((r) => (r.has(name) ? [r.get(name)!] : []));
  const med = (name: Name, key: keyof S) =>
    median(
      all(name)
        .map((s) => s[key])
        .filter(Number.isFinite),
    );
  /** The median over rounds of a per-round ratio: each round's targets ran back to back, so drift cancels out. */
  const paired = (a: Name, b: Name, key: keyof S) =>
    median(rounds.flatMap((r) => (r.has(a) && r.has(b) ? [r.get(a)![key] / r.get(b)![key]] : [])).filter(Number.isFinite));
  /** a against b: ratios of the medians, and the per-round paired ones of req/s and p99. */
  const ratioRow = (label: string, a: Name, b: Name, target: string) => [
    label,
    ratio(med(a, "rps"), med(b, "rps")),
    ratio(med(a, "p50Ms"), med(b, "p50Ms")),
    ratio(med(a, "p99Ms"), med(b, "p99Ms")),
    `${fmt(paired(a, b, "rps"), 2)}× / ${fmt(paired(a, b, "p99Ms"), 2)}×`,
    target,
  ];
  /** A target's medians under MEDIAN_HEADER (direct has no proxy). */
  const medianCells = (name: Name) => [
    name,
    fmt(med(name, "rps"), 0),
    fmt(med(name, "p50Ms"), 2),
    fmt(med(name, "p99Ms"), 2),
    name === "direct" ? "-" : fmt(med(name, "proxyUs"), 1),
    fmt(med(name, "engineUs"), 1),
    fmt(med(name, "engineMainUs"), 1),
  ];
  return { all, med, paired, ratioRow, medianCells };
}
