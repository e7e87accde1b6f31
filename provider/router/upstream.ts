import type http from "node:http";

/**
 * What the proxy and its two ways of reaching an instance (upstream-pool.ts: undici; and
 * upstream-node-http.ts: Node's lenient parser) share: the instance's address, the headers sent and
 * passed back, how failures are named, and one proxied request as both see it.
 */

/** Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade",
]);

/** Where the proxy sends a request: an instance's address. */
export interface Upstream {
  host: string;
  port: number;
  /** At most this many requests run on it at once (its concurrency): the size of its connection pool. */
  maxConnections?: number;
  /** Behind Docker's userland proxy: whether the app listens, asked when a new connection is reset before any answer. */
  listening?: () => Promise<boolean>;
}

/**
 * A connection to a local container is made in well under a millisecond. One that takes longer
 * than this goes to an address nobody answers at (a container that just died: its bridge address
 * answers nothing until ARP gives up, which takes many seconds), so it counts as unreachable.
 */
export const CONNECT_TIMEOUT_MS = 2_000;
/** Idle keep-alive connections are closed after this, before a Node server's default 5 s keep-alive timeout closes them under us. */
export const IDLE_CONNECTION_MS = 4_000;

/**
 * The request's headers for the instance. X-Forwarded-* describe this hop: the client's own values
 * are kept (and For appended to) only when the client is a trusted proxy, since anyone else could
 * claim any address or scheme.
 */
export function forwardedHeaders(req: http.IncomingMessage, trustForwarded: boolean): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  const connectionTokens = new Set(
    String(req.headers.connection ?? "").split(",").map((t) => t.trim().toLowerCase()).filter(Boolean),
  );
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.has(name)) continue;
    headers[name] = value;
  }
  const client = req.socket.remoteAddress ?? "";
  const prior = trustForwarded ? req.headers["x-forwarded-for"] : undefined;
  headers["x-forwarded-for"] = prior ? `${prior}, ${client}` : client;
  headers["x-forwarded-proto"] = (trustForwarded ? req.headers["x-forwarded-proto"] : undefined) ?? "http";
  headers["x-forwarded-host"] = (trustForwarded ? req.headers["x-forwarded-host"] : undefined) ?? req.headers.host ?? "";
  return headers;
}

/**
 * The instance's response head as the client gets it: hop-by-hop headers dropped, and a response
 * that sets a cookie marked private, since it is one user's (Cloud Run does the same).
 */
export function responseHeaderList(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  let setsCookie = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    if (name === "set-cookie") setsCookie = true;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  if (!setsCookie) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() !== "cache-control") kept.push(out[i]!, out[i + 1]!);
  kept.push("cache-control", "private");
  return kept;
}

/** Why the instance did not answer properly; each gets its own 502 message and a line in engine.log. */
export type UpstreamFailure = "refused" | "reset" | "bad-response" | "timeout" | "unreachable";

export interface ProxyOutcome {
  status: number;
  failure?: { kind: UpstreamFailure; detail: string };
  /** Nothing was written to the client and nothing reached the instance: the caller may send it elsewhere. */
  retry?: boolean;
}

export function classifyUpstreamError(error: NodeJS.ErrnoException): UpstreamFailure {
  const code = error.code ?? "";
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET") return "reset";
  if (code.startsWith("HPE_")) return "bad-response";
  return "unreachable";
}

/**
 * One proxied request as the two ways of reaching the instance see it (upstream-pool.ts, and
 * upstream-node-http.ts for instances whose responses only a lenient parser reads): what to send,
 * and how it ends.
 */
export interface Exchange {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly upstream: Upstream;
  readonly trustForwarded: boolean;
  /** No request body: it can be sent again when the first try never reached the app. */
  readonly bodyless: boolean;
  readonly settled: boolean;
  /** How to stop the attempt in progress (timeout, client gone). */
  setCancel(cancel: () => void): void;
  /** Writes the response head; false (and a 502) when Node refuses it. */
  writeHead(status: number, statusMessage: string | undefined, rawHeaders: readonly string[]): boolean;
  fail(kind: UpstreamFailure, detail: string): void;
  /** Fails the attempt; a reset of a new connection behind Docker's userland proxy is named by asking whether the app listens. */
  failAfterCheck(kind: UpstreamFailure, detail: string): void;
  finish(outcome: ProxyOutcome): void;
}

/** Instances whose responses undici's strict parser refused: read by Node's lenient one from then on. */
const lenient = new WeakSet<Upstream>();

export function needsLenientParser(upstream: Upstream): boolean {
  return lenient.has(upstream);
}

export function useLenientParser(upstream: Upstream): void {
  lenient.add(upstream);
}

