import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import {
  forwardedHeaders, needsLenientParser, responseHeaderList,
  type Exchange, type ProxyOutcome, type Upstream, type UpstreamFailure,
} from "./upstream";
import { sendWithNodeHttp } from "./upstream-node-http";
import { sendWithPool } from "./upstream-pool";

export type { ProxyOutcome, Upstream, UpstreamFailure } from "./upstream";

/** Failures where the connection was never made, so the request cannot have reached the app. */
const NEVER_CONNECTED: ReadonlySet<UpstreamFailure> = new Set(["refused", "unreachable"]);

const FAILURE_MESSAGES: Record<UpstreamFailure, string> = {
  refused: "the instance refused the connection (nothing listens on its port)",
  reset: "the instance reset the connection before it answered",
  "bad-response": "the instance sent a malformed HTTP response",
  timeout: "upstream request timeout",
  unreachable: "the instance could not be reached",
};

/**
 * Streams the request to the instance and the response back. Past timeoutMs the client gets 504
 * (or, once the response has begun, a cut connection); the instance is left running, as on Cloud
 * Run. Responses are read by undici's parser; an instance whose response it refuses (e.g. header
 * lines ending in a bare LF, which nginx accepts) is read by Node's lenient parser from then on, and
 * a response neither can read becomes a 502.
 */
export function proxyRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: Upstream,
  timeoutMs: number,
  trustForwarded = false,
  /** When the connection cannot be made, answer { retry: true } instead of a 502 (for a request without a body). */
  retryElsewhere = false,
): Promise<ProxyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let cancel: () => void = () => undefined;
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
    const exchange: Exchange = {
      req, res, upstream, trustForwarded,
      bodyless: !hasBody(req),
      get settled() {
        return settled;
      },
      setCancel: (fn) => (cancel = fn),
      writeHead(status, statusMessage, rawHeaders) {
        try {
          res.writeHead(status, statusMessage, responseHeaderList(rawHeaders));
          return true;
        } catch (error) {
          // A header value Node refuses to send on (e.g. a control character a lenient parser let in).
          cancel();
          fail("bad-response", (error as Error).message);
          return false;
        }
      },
      fail,
      failAfterCheck(kind, detail) {
        if (kind !== "reset" || !upstream.listening) return fail(kind, detail);
        upstream.listening().then(
          (listens) => (listens ? fail("reset", detail) : fail("refused", "ECONNREFUSED")),
          () => fail("reset", detail),
        );
      },
      finish,
    };
    const timer = setTimeout(() => {
      cancel();
      fail("timeout", `no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    req.on("error", () => cancel());
    res.on("error", () => cancel());
    res.on("close", () => {
      if (!res.writableFinished) cancel();
      finish({ status: res.statusCode });
    });
    if (needsLenientParser(upstream)) sendWithNodeHttp(exchange, false);
    else sendWithPool(exchange, false);
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
