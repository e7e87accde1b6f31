import type http from "node:http";
import { Pool, type Dispatcher } from "undici";
import {
  CONNECT_TIMEOUT_MS, HOP_BY_HOP, IDLE_CONNECTION_MS, classifyUpstreamError, useLenientParser,
  type Exchange, type Upstream,
} from "./upstream";
import { sendWithNodeHttp } from "./upstream-node-http";

/**
 * Reaching an instance through undici: one keep-alive pool per instance, made on its first request
 * and sized to what the instance may serve at once, driven through undici's handler API (no
 * streams, no request and response objects): about half the CPU per request of Node's http client
 * here (bench/README.md). Timeouts are the proxy's own (the request timeout can be an hour).
 */
const pools = new WeakMap<Upstream, Pool>();

function poolFor(upstream: Upstream): Pool {
  let pool = pools.get(upstream);
  if (!pool) {
    pool = new Pool(`http://${upstream.host.includes(":") ? `[${upstream.host}]` : upstream.host}:${upstream.port}`, {
      connections: upstream.maxConnections ?? 256,
      pipelining: 1,
      keepAliveTimeout: IDLE_CONNECTION_MS,
      keepAliveMaxTimeout: IDLE_CONNECTION_MS,
      headersTimeout: 0,
      bodyTimeout: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    // Errors belong to the request that met them (its handler's onError); the pool's own never reach the process.
    pool.on("connectionError", () => undefined);
    pools.set(upstream, pool);
  }
  return pool;
}

/** The request's headers for the instance as undici takes them: a flat list, the client's spelling kept. */
export function forwardedHeaderList(req: http.IncomingMessage, trustForwarded: boolean): string[] {
  const raw = req.rawHeaders;
  const connectionTokens = req.headers.connection
    ? new Set(req.headers.connection.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean))
    : undefined;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // Expect is this hop's (Node's server answered 100-continue); undici refuses to send it.
    if (HOP_BY_HOP.has(name) || connectionTokens?.has(name) || name === "expect") continue;
    if (name === "x-forwarded-for" || name === "x-forwarded-proto" || name === "x-forwarded-host") continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  const client = req.socket.remoteAddress ?? "";
  const prior = trustForwarded ? req.headers["x-forwarded-for"] : undefined;
  out.push("x-forwarded-for", prior ? `${prior}, ${client}` : client);
  out.push("x-forwarded-proto", String((trustForwarded ? req.headers["x-forwarded-proto"] : undefined) ?? "http"));
  out.push("x-forwarded-host", String((trustForwarded ? req.headers["x-forwarded-host"] : undefined) ?? req.headers.host ?? ""));
  return out;
}

export function sendWithPool(ex: Exchange, retried: boolean): void {
  const { req, res } = ex;
  let answered = false;
  let status = 0;
  let resume: (() => void) | undefined;
  const onDrain = () => resume?.();
  const handler: Dispatcher.DispatchHandlers = {
    onConnect(abort) {
      ex.setCancel(() => abort());
      if (ex.settled) abort();
    },
    onHeaders(statusCode, rawHeaders, resumeReading, statusText) {
      if (ex.settled) return false;
      answered = true;
      status = statusCode;
      resume = resumeReading;
      const headers: string[] = new Array(rawHeaders?.length ?? 0);
      for (let i = 0; i < headers.length; i++) headers[i] = rawHeaders![i]!.toString("latin1");
      return ex.writeHead(statusCode, statusText || undefined, headers);
    },
    onData(chunk) {
      if (ex.settled) return false;
      if (res.write(chunk)) return true;
      res.once("drain", onDrain);
      return false;
    },
    onComplete() {
      if (ex.settled) return;
      res.end();
      ex.finish({ status });
    },
    onError(error: NodeJS.ErrnoException) {
      // Aborted: by the proxy itself (timeout, client gone), which has already said how it ends.
      if (ex.settled || error.code === "UND_ERR_ABORTED") return;
      const kind = classifyUpstreamError(error);
      const detail = error.code ?? error.message;
      if (kind === "bad-response" && !answered) {
        // undici's parser is strict where nginx's and Node's (lenient) are not: e.g. header lines
        // ending in a bare LF. Such an instance is read by Node's from now on; this request goes
        // again that way when it has no body to resend.
        useLenientParser(ex.upstream);
        if (ex.bodyless && !retried) return sendWithNodeHttp(ex, true);
        return ex.fail(kind, detail);
      }
      // No second try after a reset: undici cannot say whether the connection was a reused one
      // (where nothing reached the app) or the app died handling the request, and a request must
      // not run twice. Idle connections are closed (after 4 s, and before the instance's own
      // keep-alive timeout as it announces it) before the instance would close them.
      if (!answered) return ex.failAfterCheck(kind, detail);
      ex.fail(kind, detail);
    },
  };
  poolFor(ex.upstream).dispatch({ path: req.url ?? "/", method: (req.method ?? "GET") as Dispatcher.HttpMethod, headers: forwardedHeaderList(req, ex.trustForwarded), body: ex.bodyless ? null : req }, handler);
}
