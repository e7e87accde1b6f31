import * as http from "node:http";
import { boundedGet } from "./bounded-get";

/**
 * Closed-loop clients for the ingress: each client sends one request, waits for the whole answer,
 * and sends the next, for as long as the schedule wants that many clients. The number of clients is
 * a function of time, so a test can ramp load up and down. Bounded: every run ends at durationMs,
 * and every request at requestTimeoutMs. To 127.0.0.1 only, with the service in the Host header.
 */

export interface ClientsOptions {
  port: number;
  host: string;
  path: string;
  /** The run stops starting requests after this long; requests in flight finish (or time out). */
  durationMs: number;
  /** How many clients should be running `elapsedMs` into the run (a whole number, 0 allowed). */
  clientsAt: (elapsedMs: number) => number;
  /** true: one keep-alive agent shared by the clients; false: a new connection per request. */
  keepAlive: boolean;
  requestTimeoutMs?: number;
}

export interface ClientSample {
  client: number;
  /** Epoch milliseconds when the request was sent and when its answer (or failure) ended. */
  sentAt: number;
  endedAt: number;
  /** HTTP status, 0 when the exchange failed (reset, refused, timeout). */
  status: number;
  /** The fixture's x-instance header (its container's short id), empty when absent. */
  instance: string;
  body: string;
  error?: string;
}

export interface ClientsResult {
  samples: ClientSample[];
  startedAt: number;
  endedAt: number;
  /** The highest number of clients running at once. */
  peakClients: number;
}

export async function runClients(opts: ClientsOptions): Promise<ClientsResult> {
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  // An idle pooled socket is dropped after 4 s, before the ingress closes idle connections (5 s),
  // so a request never races the server's close of the socket it reuses.
  const agent = opts.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4_000 }) : undefined;
  const startedAt = Date.now();
  const samples: ClientSample[] = [];
  const running = new Set<number>();
  const loops: Promise<void>[] = [];
  let peakClients = 0;

  const elapsed = () => Date.now() - startedAt;
  const wanted = () => (elapsed() >= opts.durationMs ? 0 : Math.max(0, Math.floor(opts.clientsAt(elapsed()))));

  async function client(index: number): Promise<void> {
    running.add(index);
    peakClients = Math.max(peakClients, running.size);
    try {
      // Client i runs while the schedule wants more than i clients.
      while (index < wanted()) samples.push(await oneRequest(index));
    } finally {
      running.delete(index);
    }
  }

  // The manager: every 50 ms, start the clients the schedule wants that are not running.
  while (elapsed() < opts.durationMs) {
    const target = wanted();
    for (let i = 0; i < target; i++) if (!running.has(i)) loops.push(client(i));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Promise.all(loops);
  agent?.destroy();
  return { samples, startedAt, endedAt: Date.now(), peakClients };

  async function oneRequest(index: number): Promise<ClientSample> {
    const sentAt = Date.now();
    const answer = await boundedGet({ port: opts.port, host: opts.host, path: opts.path, agent: agent ?? false, timeoutMs });
    const ended = { client: index, sentAt, endedAt: Date.now() };
    if (answer.error !== undefined) return { ...ended, status: 0, instance: "", body: "", error: answer.error };
    return { ...ended, status: answer.status, instance: String(answer.headers["x-instance"] ?? ""), body: answer.body };
  }
}

/** A compact view of failed samples for assertion messages. */
export function describeFailures(samples: readonly ClientSample[], origin: number, limit = 15): string {
  return samples
    .filter((s) => s.status !== 200)
    .slice(0, limit)
    .map((s) => `+${s.sentAt - origin}..${s.endedAt - origin} ms client ${s.client}: ${s.status} ${s.error ?? s.body.trim().slice(0, 160)}`)
    .join("\n");
}
