import http from "node:http";
import { CONNECT_TIMEOUT_MS, IDLE_CONNECTION_MS, classifyUpstreamError, forwardedHeaders, type Exchange, type Upstream } from "./upstream";

/**
 * Reaching an instance through Node's http client with its lenient parser (`insecureHTTPParser`),
 * for instances whose responses undici refused (upstream-pool.ts): one keep-alive agent per
 * instance, sized to its concurrency.
 */
const agents = new WeakMap<Upstream, http.Agent>();

function agentFor(upstream: Upstream): http.Agent {
  let agent = agents.get(upstream);
  if (!agent) {
    const size = upstream.maxConnections ?? 256;
    agent = new http.Agent({ keepAlive: true, maxSockets: size, maxFreeSockets: size, timeout: IDLE_CONNECTION_MS, scheduling: "lifo" });
    agents.set(upstream, agent);
  }
  return agent;
}

export function sendWithNodeHttp(ex: Exchange, retried: boolean): void {
  const { req, res, upstream: at } = ex;
  let answered = false;
  const upstream = http.request({
    host: at.host,
    port: at.port,
    method: req.method,
    path: req.url,
    headers: forwardedHeaders(req, ex.trustForwarded),
    agent: agentFor(at),
    insecureHTTPParser: true,
  });
  ex.setCancel(() => upstream.destroy());
  upstream.on("response", (answer) => {
    answered = true;
    if (!ex.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders)) return void answer.destroy();
    answer.pipe(res);
    answer.on("end", () => ex.finish({ status: answer.statusCode ?? 502 }));
    answer.on("error", () => (res.destroy(), ex.finish({ status: 502 })));
  });
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
    if (ex.settled) return;
    // A kept-alive connection the instance closed just as it was reused: nothing reached the app,
    // so a request without a body goes again on a new connection (nginx does the same).
    if (!retried && ex.bodyless && upstream.reusedSocket && error.code === "ECONNRESET" && !res.headersSent) {
      // Its other idle connections were most likely closed with it: start the pool afresh.
      agents.get(at)?.destroy();
      agents.delete(at);
      return sendWithNodeHttp(ex, true);
    }
    const kind = classifyUpstreamError(error);
    const detail = error.code ?? error.message;
    // Through Docker's userland proxy a port nobody listens on looks like a reset of a new connection.
    if (!upstream.reusedSocket && !answered) return ex.failAfterCheck(kind, detail);
    ex.fail(kind, detail);
  });
  if (ex.bodyless) upstream.end();
  else req.pipe(upstream);
}
