import * as http from "node:http";
import { boundedGet } from "./bounded-get";

/**
 * A bounded load generator for the ingress: a few concurrent workers on one keep-alive agent, to
 * 127.0.0.1 only, with the service named in the Host header. It stops by itself after `count`
 * requests or `maxMs`, whichever comes first; `minMs` spreads the requests over at least that long.
 * Keep-alive reuse is deliberate here: the split must hold per request, not per connection.
 */

export interface LoadOptions {
  port: number;
  host: string;
  path?: string;
  /** Total requests to send (upper bound). */
  count: number;
  /** Concurrent workers (each sends one request at a time). */
  workers?: number;
  /** Spread the requests over at least this long: each worker paces itself. 0 = as fast as possible. */
  minMs?: number;
  /** Hard bound on the whole run; workers stop starting requests after it. */
  maxMs?: number;
  /** Per-request bound; a request still open after it counts as a failure. */
  requestTimeoutMs?: number;
}

export interface LoadSample {
  /** HTTP status, or 0 when the exchange failed (reset, timeout). */
  status: number;
  /** The fixture's `x-revision` header (empty when absent). */
  revision: string;
  /** The fixture's `x-instance` header: the answering container's hostname (empty when absent). */
  instance?: string;
  /** The body (the fixture answers `K_REVISION=<name>` on `/`). */
  body: string;
  error?: string;
  /** Milliseconds since the run started, when the request was sent. */
  at: number;
}

export interface LoadResult {
  samples: LoadSample[];
  elapsedMs: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const workers = opts.workers ?? 4;
  const minMs = opts.minMs ?? 0;
  const maxMs = opts.maxMs ?? 60_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const started = Date.now();
  const samples: LoadSample[] = [];
  let issued = 0;
  // Per-worker pacing: each worker's n-th request is not sent before n * interval.
  const perWorker = Math.ceil(opts.count / workers);
  const intervalMs = minMs > 0 ? minMs / perWorker : 0;

  async function worker(): Promise<void> {
    let mine = 0;
    while (issued < opts.count && Date.now() - started < maxMs) {
      issued += 1;
      const due = started + mine * intervalMs;
      mine += 1;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      samples.push(await oneRequest(agent, opts));
    }
  }

  try {
    await Promise.all(Array.from({ length: workers }, () => worker()));
  } finally {
    agent.destroy();
  }
  const elapsedMs = Date.now() - started;
  return { samples, elapsedMs };

  async function oneRequest(agentToUse: http.Agent, o: LoadOptions): Promise<LoadSample> {
    const at = Date.now() - started;
    const answer = await boundedGet({
      port: o.port,
      host: o.host,
      path: o.path ?? "/",
      agent: agentToUse,
      timeoutMs: o.requestTimeoutMs ?? 15_000,
    });
    if (answer.error !== undefined) return { status: 0, revision: "", body: "", error: answer.error, at };
    return {
      status: answer.status,
      revision: String(answer.headers["x-revision"] ?? ""),
      instance: String(answer.headers["x-instance"] ?? ""),
      body: answer.body,
      at,
    };
  }
}

/** How many samples each revision (by x-revision header) answered, and the non-200 ones. */
export function tally(samples: readonly LoadSample[]): { byRevision: Record<string, number>; failures: LoadSample[] } {
  const byRevision: Record<string, number> = {};
  const failures: LoadSample[] = [];
  for (const s of samples) {
    if (s.status !== 200) {
      failures.push(s);
      continue;
    }
    byRevision[s.revision] = (byRevision[s.revision] ?? 0) + 1;
  }
  return { byRevision, failures };
}

/** Share of `revision` among all samples, in percent points. */
export function sharePercent(samples: readonly LoadSample[], revision: string): number {
  if (samples.length === 0) return 0;
  return (100 * samples.filter((s) => s.status === 200 && s.revision === revision).length) / samples.length;
}
