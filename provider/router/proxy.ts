import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

/** Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
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
 * One keep-alive pool per instance, made on its first request and gone with it: connections are
 * reused across requests, sized to what the instance may serve at once. Idle connections are
 * closed after 4 s, before a Node server's default 5 s keep-alive timeout closes them under us.
 */
const agents = new WeakMap<Upstream, http.Agent>();
const IDLE_CONNECTION_MS = 4_000;
/**
 * A connection to a local container is made in well under a millisecond. One that takes longer
 * than this goes to an address nobody answers at (a container that just died: its bridge address
 * answers nothing until ARP gives up, which takes many seconds), so it counts as unreachable.
 */
const CONNECT_TIMEOUT_MS = 2_000;

function agentFor(upstream: Upstream): http.Agent {
  let agent = agents.get(upstream);
  if (!agent) {
    const size = upstream.maxConnections ?? 256;
    agent = new http.Agent({ keepAlive: true, maxSockets: size, maxFreeSockets: size, timeout: IDLE_CONNECTION_MS, scheduling: "lifo" });
    agents.set(upstream, agent);
  }
  return agent;
}

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

/** Why the instance did not answer properly; each gets its own 502 message and a line in engine.log. */
export type UpstreamFailure = "refused" | "reset" | "bad-response" | "timeout" | "unreachable";

export interface ProxyOutcome {
  status: number;
  failure?: { kind: UpstreamFailure; detail: string };
  /** Nothing was written to the client and nothing reached the instance: the caller may send it elsewhere. */
  retry?: boolean;
}

/** Failures where the connection was never made, so the request cannot have reached the app. */
const NEVER_CONNECTED: ReadonlySet<UpstreamFailure> = new Set(["refused", "unreachable"]);

const FAILURE_MESSAGES: Record<UpstreamFailure, string> = {
  refused: "the instance refused the connection (nothing listens on its port)",
  reset: "the instance reset the connection before it answered",
  "bad-response": "the instance sent a malformed HTTP response",
  timeout: "upstream request timeout",
  unreachable: "the instance could not be reached",
};

export function classifyUpstreamError(error: NodeJS.ErrnoException): UpstreamFailure {
  if (error.code === "ECONNREFUSED") return "refused";
  if (error.code === "ECONNRESET" || error.code === "EPIPE") return "reset";
  if (error.code?.startsWith("HPE_")) return "bad-response";
  return "unreachable";
}

/**
 * Streams the request to the instance and the response back. Past timeoutMs the client gets 504
 * (or, once the response has begun, a cut connection); the instance is left running, as on Cloud
 * Run. The instance's response is parsed leniently where nginx is (header lines ending in a bare
 * LF); a response Node cannot forward as it is becomes a 502.
 */
export function proxyRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstreamAt: Upstream,
  timeoutMs: number,
  trustForwarded = false,
  /** When the connection cannot be made, answer { retry: true } instead of a 502 (for a request without a body). */
  retryElsewhere = false,
): Promise<ProxyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ProxyOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const fail = (kind: UpstreamFailure, detail: string) => {
      if (settled) return;
      if (retryElsewhere && NEVER_CONNECTED.has(kind) && !res.headersSent) return finish({ status: 0, failure: { kind, detail }, retry: true });
      const status = kind === "timeout" ? 504 : 502;
      if (!res.headersSent) sendError(res, status, `${FAILURE_MESSAGES[kind]}${kind === "timeout" ? "" : ` (${detail})`}`);
      else res.destroy();
      finish({ status, failure: { kind, detail } });
    };
    const headers = forwardedHeaders(req, trustForwarded);
    const bodyless = !hasBody(req);
    let answered = false;
    let upstream: http.ClientRequest;
    const timer = setTimeout(() => {
      upstream.destroy();
      fail("timeout", `no answer within ${timeoutMs} ms`);
    }, timeoutMs);

    const send = (retried: boolean) => {
      upstream = http.request({
        host: upstreamAt.host,
        port: upstreamAt.port,
        method: req.method,
        path: req.url,
        headers,
        agent: agentFor(upstreamAt),
        insecureHTTPParser: true,
      });
      upstream.on("response", (answer) => onResponse(answer));
      upstream.on("socket", (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(() => {
          const error: NodeJS.ErrnoException = new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`);
          error.code = "ECONNTIMEOUT";
          upstream.destroy(error);
        }, CONNECT_TIMEOUT_MS);
        socket.once("connect", () => clearTimeout(connectTimer));
        socket.once("close", () => clearTimeout(connectTimer));
      });
      upstream.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the instance closed just as it was reused: nothing reached the
        // app, so a request without a body goes again on a new connection (nginx does the same).
        if (!retried && bodyless && upstream.reusedSocket && error.code === "ECONNRESET" && !res.headersSent && !settled) {
          // Its other idle connections were most likely closed with it: start the pool afresh.
          agents.get(upstreamAt)?.destroy();
          agents.delete(upstreamAt);
          return send(true);
        }
        const kind = classifyUpstreamError(error);
        // Through Docker's userland proxy a port nobody listens on looks like a reset of a new
        // connection: ask whether the app listens before naming the cause.
        if (kind === "reset" && !upstream.reusedSocket && !answered && upstreamAt.listening) {
          upstreamAt.listening().then(
            (listens) => (listens ? fail("reset", error.code ?? error.message) : fail("refused", "ECONNREFUSED")),
            () => fail("reset", error.code ?? error.message),
          );
          return;
        }
        fail(kind, error.code ?? error.message);
      });
      if (bodyless) upstream.end();
      else req.pipe(upstream);
    };

    const onResponse = (answer: http.IncomingMessage) => {
      answered = true;
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      // A response that sets a cookie is one user's: no shared cache may keep it (Cloud Run does the same).
      if (answer.headers["set-cookie"]) headers["cache-control"] = "private";
      try {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      } catch (error) {
        // A header value Node refuses to send on (e.g. a control character the lenient parser let in).
        answer.destroy();
        return fail("bad-response", (error as Error).message);
      }
      answer.pipe(res);
      answer.on("end", () => finish({ status: answer.statusCode ?? 502 }));
      answer.on("error", () => (res.destroy(), finish({ status: 502 })));
    };

    req.on("error", () => upstream.destroy());
    res.on("error", () => upstream.destroy());
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
      finish({ status: res.statusCode });
    });
    send(false);
  });
}

export function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** WebSocket and other upgrades: a raw TCP pipe to the instance once the request line is replayed. */
export function proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstreamAt: Upstream, onClose: () => void, trustForwarded = false): void {
  const upstream = net.connect({ host: upstreamAt.host, port: upstreamAt.port }, () => {
    const headers = forwardedHeaders(req, trustForwarded);
    headers.connection = "Upgrade";
    headers.upgrade = req.headers.upgrade;
    let head_ = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      for (const v of Array.isArray(value) ? value : [value]) head_ += `${name}: ${v}\r\n`;
    }
    upstream.write(head_ + "\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    upstream.destroy();
    socket.destroy();
    onClose();
  };
  upstream.on("error", close);
  upstream.on("close", close);
  socket.on("error", close);
  socket.on("close", close);
}

export function sendError(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  const body = `${message}\n`;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
