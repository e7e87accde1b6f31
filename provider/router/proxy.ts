import http from "node:http";
import type { Duplex } from "node:stream";
import net from "node:net";

/** Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade",
]);

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

export function forwardedHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  const connectionTokens = new Set(
    String(req.headers.connection ?? "").split(",").map((t) => t.trim().toLowerCase()).filter(Boolean),
  );
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.has(name)) continue;
    headers[name] = value;
  }
  const client = req.socket.remoteAddress ?? "";
  const prior = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] = prior ? `${prior}, ${client}` : client;
  headers["x-forwarded-proto"] = req.headers["x-forwarded-proto"] ?? "http";
  headers["x-forwarded-host"] = req.headers["x-forwarded-host"] ?? req.headers.host ?? "";
  return headers;
}

export interface ProxyOutcome {
  status: number;
}

/**
 * Streams the request to the instance and the response back. Past timeoutMs the client gets
 * 504 (or, once the response has begun, a cut connection); the instance is left running, as on Cloud Run.
 */
/** Where the proxy sends a request: an instance's address. */
export interface Upstream {
  host: string;
  port: number;
}

export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, upstreamAt: Upstream, timeoutMs: number): Promise<ProxyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status });
    };
    const upstream = http.request({
      host: upstreamAt.host,
      port: upstreamAt.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req),
      agent,
    });
    const timer = setTimeout(() => {
      upstream.destroy();
      if (!res.headersSent) sendError(res, 504, "upstream request timeout");
      else res.destroy();
      finish(504);
    }, timeoutMs);

    upstream.on("response", (answer) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      // A response that sets a cookie is one user's: no shared cache may keep it (Cloud Run does the same).
      if (answer.headers["set-cookie"]) headers["cache-control"] = "private";
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
      answer.on("end", () => finish(answer.statusCode ?? 502));
      answer.on("error", () => (res.destroy(), finish(502)));
    });
    upstream.on("error", () => {
      if (settled) return;
      if (!res.headersSent) sendError(res, 502, "the instance closed the connection");
      else res.destroy();
      finish(502);
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
      finish(res.statusCode);
    });
    // Most requests have no body: end the upstream request at once instead of piping an empty stream.
    if (hasBody(req)) req.pipe(upstream);
    else upstream.end();
  });
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** WebSocket and other upgrades: a raw TCP pipe to the instance once the request line is replayed. */
export function proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstreamAt: Upstream, onClose: () => void): void {
  const upstream = net.connect({ host: upstreamAt.host, port: upstreamAt.port }, () => {
    const headers = forwardedHeaders(req);
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
