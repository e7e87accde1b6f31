import type { ContainerSummary } from "./docker";
import { inspectContainer } from "./docker";
import type { TestEngine } from "./engine";
import { httpRequest } from "./http";

/**
 * What the scaling tests need beyond the CLI: the containers of one revision as Docker lists them,
 * a sampler that watches their number while a burst runs, each instance's own /inflight counter
 * (reached directly on its published 127.0.0.1 port, past the engine), and a burst of simultaneous
 * requests on fresh connections.
 */

/** The scale-to-zero grace and the stable window of an engine started with SHORT_WINDOW_FLAGS. */
export const SHORT_GRACE_MS = 2_000;
export const SHORT_STABLE_WINDOW_MS = 4_000;

/** Engine flags that make idleness take seconds, not minutes (and a panic window of 1 s). */
export const SHORT_WINDOW_FLAGS = [
  "--scale-to-zero-grace",
  `${SHORT_GRACE_MS / 1000}s`,
  "--stable-window",
  `${SHORT_STABLE_WINDOW_MS / 1000}s`,
  "--panic-window",
  "1s",
];

/** Containers (running or not, as `docker ps -a` lists them) labelled with this engine and revision. */
export async function revisionContainers(engine: TestEngine, revision: string): Promise<ContainerSummary[]> {
  return (await engine.containers()).filter((c) => c.labels["skiff.revision"] === revision);
}

/** Containers of this engine labelled with the service (any revision). */
export async function serviceContainers(engine: TestEngine, service: string): Promise<ContainerSummary[]> {
  return (await engine.containers()).filter((c) => c.labels["skiff.service"] === service);
}

/** Docker names a container's host after the first 12 hex digits of its id: the fixture's x-instance. */
export function hostnameOf(containerId: string): string {
  return containerId.slice(0, 12);
}

export interface ContainerSampler {
  /** Stops sampling and returns what was seen; idempotent. */
  stop(): Promise<ContainerSamples>;
}

export interface ContainerSamples {
  /** The container count of each sample, in order. */
  counts: number[];
  /** Every container id seen in any sample. */
  ids: Set<string>;
}

/**
 * Lists the revision's (or the whole service's) containers every `intervalMs` (after the previous
 * listing returned) until stopped: the highest count is the most containers it ever had at one time.
 */
export function sampleContainers(engine: TestEngine, of: { revision: string } | { service: string }, intervalMs = 100): ContainerSampler {
  const list = "revision" in of ? () => revisionContainers(engine, of.revision) : () => serviceContainers(engine, of.service);
  const counts: number[] = [];
  const ids = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const containers = await list();
      counts.push(containers.length);
      for (const c of containers) ids.add(c.id);
      await sleep(intervalMs);
    }
  })();
  let result: Promise<ContainerSamples> | undefined;
  return {
    stop() {
      stopped = true;
      result ??= loop.then(() => ({ counts, ids }));
      return result;
    },
  };
}

/** The 127.0.0.1 host port Docker published for the container's port 8080, or undefined once it is gone. */
export async function publishedPort(containerId: string, containerPort = 8080): Promise<number | undefined> {
  try {
    const info = await inspectContainer(containerId);
    const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.find((b) => b.HostIp === "127.0.0.1") ?? undefined;
    return binding ? Number(binding.HostPort) : undefined;
  } catch {
    return undefined;
  }
}

export interface Inflight {
  current: number;
  max: number;
}

/** The fixture's own count of concurrent requests, asked directly on the instance's published port. */
export async function inflightAt(port: number): Promise<Inflight> {
  const answer = await httpRequest(port, `127.0.0.1:${port}`, "/inflight", { timeoutMs: 5_000 });
  if (answer.status !== 200) throw new Error(`GET /inflight on 127.0.0.1:${port} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as Inflight;
}

/**
 * Polls every container of the revision for its /inflight max until stopped, and once more at the
 * end; keeps the highest max each container ever reported (the fixture's max only grows), so an
 * instance that is drained and removed mid-run still counts with its last answer.
 */
export function watchInflight(engine: TestEngine, revision: string, intervalMs = 500) {
  const maxByContainer = new Map<string, number>();
  const ports = new Map<string, number>();
  let stopped = false;
  const pollOnce = async () => {
    const containers = (await revisionContainers(engine, revision)).filter((c) => c.state === "running");
    await Promise.all(
      containers.map(async (c) => {
        let port = ports.get(c.id);
        if (port === undefined) {
          port = await publishedPort(c.id);
          if (port === undefined) return;
          ports.set(c.id, port);
        }
        // A container stopping between the listing and the request has nothing new to say.
        const seen = await inflightAt(port).catch(() => undefined);
        if (seen) maxByContainer.set(c.id, Math.max(maxByContainer.get(c.id) ?? 0, seen.max));
      }),
    );
  };
  const loop = (async () => {
    while (!stopped) {
      await pollOnce();
      await sleep(intervalMs);
    }
  })();
  let result: Promise<Map<string, number>> | undefined;
  return {
    /** Idempotent: later calls return the first call's answer. */
    stop(): Promise<Map<string, number>> {
      stopped = true;
      result ??= loop.then(pollOnce).then(() => maxByContainer);
      return result;
    },
  };
}

export interface BurstAnswer {
  status: number;
  instance: string;
  revision: string;
  body: string;
  /** Milliseconds from sending the burst to this answer's end. */
  ms: number;
  error?: string;
}

/** `n` requests sent at the same moment, each on a new connection; never rejects, failures are answers with status 0. */
export function burst(engine: TestEngine, host: string, path: string, n: number, timeoutMs = 120_000): Promise<BurstAnswer[]> {
  const sentAt = Date.now();
  return Promise.all(
    Array.from({ length: n }, () =>
      engine.request(host, path, { timeoutMs }).then(
        (a) => ({
          status: a.status,
          instance: String(a.headers["x-instance"] ?? ""),
          revision: String(a.headers["x-revision"] ?? ""),
          body: a.body,
          ms: Date.now() - sentAt,
        }),
        (error: unknown) => ({ status: 0, instance: "", revision: "", body: "", ms: Date.now() - sentAt, error: String(error) }),
      ),
    ),
  );
}

/** How many answers each status got, e.g. { "200": 40 }. */
export function statusCounts(answers: readonly { status: number }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[String(a.status)] = (counts[String(a.status)] ?? 0) + 1;
  return counts;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
