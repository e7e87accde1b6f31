import type http from "node:http";

/** Headers that belong to one hop and are not forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade",
]);
/** Set by the router for the hop it makes; a client's own are kept only when it is a trusted proxy. */
const FORWARDED = new Set(["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"]);

export function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** A body Node's server decoded from chunks; it goes to the instance in chunks again. */
export function hasChunkedBody(req: http.IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * The request's head for the instance, as one string (one write): the client's header lines as it
 * wrote them, less the hop-by-hop ones (and those its Connection header names), then X-Forwarded-*
 * describing this hop. The client's own X-Forwarded-* are kept (and For appended to) only when the
 * client is a trusted proxy, since anyone else could claim any address or scheme. `upgrade` asks
 * the instance to switch protocols (a websocket).
 */
export function upstreamRequestHead(req: http.IncomingMessage, trustForwarded: boolean, upgrade?: string): string {
  const connection = req.headers.connection;
  const named = connection ? new Set(connection.split(",").map((token) => token.trim().toLowerCase())) : undefined;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || FORWARDED.has(name) || named?.has(name)) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (upgrade !== undefined) head += `connection: Upgrade\r\nupgrade: ${upgrade}\r\n`;
  else if (hasChunkedBody(req)) head += "transfer-encoding: chunked\r\n";
  const client = req.socket.remoteAddress ?? "";
  const priorFor = trustForwarded ? req.headers["x-forwarded-for"] : undefined;
  const proto = (trustForwarded ? req.headers["x-forwarded-proto"] : undefined) ?? "http";
  const host = (trustForwarded ? req.headers["x-forwarded-host"] : undefined) ?? req.headers.host ?? "";
  head += `x-forwarded-for: ${priorFor ? `${priorFor}, ${client}` : client}\r\nx-forwarded-proto: ${proto}\r\nx-forwarded-host: ${host}\r\n\r\n`;
  return head;
}

/**
 * The instance's response headers for the client, [name, value, ...] as `writeHead` takes them:
 * less the hop-by-hop ones. A response that sets a cookie is one user's, so no shared cache may
 * keep it: its Cache-Control becomes `private` (Cloud Run does the same).
 */
export function clientResponseHeaders(raw: readonly string[]): { headers: string[]; hasLength: boolean } {
  let headers: string[] = [];
  let setsCookie = false;
  let hasLength = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    if (name === "set-cookie") setsCookie = true;
    else if (name === "content-length") hasLength = true;
    headers.push(raw[i]!, raw[i + 1]!);
  }
  if (setsCookie) {
    const uncached: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i]!.toLowerCase() !== "cache-control") uncached.push(headers[i]!, headers[i + 1]!);
    }
    uncached.push("cache-control", "private");
    headers = uncached;
  }
  return { headers, hasLength };
}
