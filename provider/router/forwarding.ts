/** Headers that belong to one hop and are not forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade",
]);
/** Set by the router for the hop it makes; a client's own are kept only when it is a trusted proxy. */
const FORWARDED = new Set(["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"]);

/** What the router reads of a client's request head, picked out in one pass over its header lines. */
export interface RequestHead {
  method: string;
  url: string;
  /** [name, value, ...] as the client wrote them. */
  rawHeaders: readonly string[];
  remoteAddress: string;
  host: string | undefined;
  connection: string | undefined;
  upgrade: string | undefined;
  expect: string | undefined;
  /** The body arrives in chunks (decoded by the parser) and goes to the instance in chunks again. */
  chunked: boolean;
  hasBody: boolean;
}

export function parseRequestHead(method: string, url: string, rawHeaders: readonly string[], remoteAddress: string): RequestHead {
  const head: RequestHead = {
    method, url, rawHeaders, remoteAddress,
    host: undefined, connection: undefined, upgrade: undefined, expect: undefined, chunked: false, hasBody: false,
  };
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Only names of the lengths below need a look: most lines are passed over without lowercasing.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") head.host ??= rawHeaders[i + 1];
        break;
      case 6:
        if (name.toLowerCase() === "expect") head.expect = rawHeaders[i + 1];
        break;
      case 7:
        if (name.toLowerCase() === "upgrade") head.upgrade = rawHeaders[i + 1];
        break;
      case 10:
        if (name.toLowerCase() === "connection") head.connection = head.connection ? `${head.connection}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
        break;
      case 14:
        if (name.toLowerCase() === "content-length" && rawHeaders[i + 1] !== "0") head.hasBody = true;
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") head.chunked = head.hasBody = true;
        break;
    }
  }
  return head;
}

/** Every value of a header, joined with ", " as Node joins repeated lines. */
function headerValues(head: RequestHead, lowercaseName: string): string | undefined {
  let joined: string | undefined;
  for (let i = 0; i < head.rawHeaders.length; i += 2) {
    if (head.rawHeaders[i]!.toLowerCase() === lowercaseName) joined = joined === undefined ? head.rawHeaders[i + 1] : `${joined}, ${head.rawHeaders[i + 1]}`;
  }
  return joined;
}

/**
 * The request's head for the instance, as one string (one write): the client's header lines as it
 * wrote them, less the hop-by-hop ones (and those its Connection header names), then X-Forwarded-*
 * describing this hop. The client's own X-Forwarded-* are kept (and For appended to) only when the
 * client is a trusted proxy, since anyone else could claim any address or scheme. `upgrade` asks
 * the instance to switch protocols (a websocket).
 */
export function upstreamRequestHead(req: RequestHead, trustForwarded: boolean, upgrade?: string): string {
  const named = req.connection ? new Set(req.connection.split(",").map((token) => token.trim().toLowerCase())) : undefined;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || FORWARDED.has(name) || named?.has(name)) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (upgrade !== undefined) head += `connection: Upgrade\r\nupgrade: ${upgrade}\r\n`;
  else if (req.chunked) head += "transfer-encoding: chunked\r\n";
  const client = req.remoteAddress;
  const priorFor = trustForwarded ? headerValues(req, "x-forwarded-for") : undefined;
  const proto = (trustForwarded ? headerValues(req, "x-forwarded-proto") : undefined) ?? "http";
  const host = (trustForwarded ? headerValues(req, "x-forwarded-host") : undefined) ?? req.host ?? "";
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
