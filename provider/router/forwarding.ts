import { HTTP1_RESPONSE_LENGTH_LIMIT_BYTES } from "../model/request-limits";
import { resolveTrace, type TraceContext } from "./trace-context";

/**
 * Headers that belong to one hop and are not forwarded (RFC 9110 §7.6.1). `Trailer` is not one of
 * them: trailers go on with a chunked message, so the header announcing them does too (nginx
 * passes it as well).
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
]);
/** Set by the router for every request: a client's own go on only when valid (router/trace-context.ts). */
export const TRACE_HEADERS: ReadonlySet<string> = new Set(["traceparent", "x-cloud-trace-context"]);
/**
 * Set by the router for the hop it makes; a client's own are kept only when it is a trusted proxy.
 * `Forwarded` (RFC 7239) too: Cloud Run sets it (`for="<client>";proto=https`), and frameworks that
 * read it would otherwise take any client's claim as its address.
 */
export const FORWARDED: ReadonlySet<string> = new Set(["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"]);

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
  /** What Content-Length declared, if it did. */
  contentLength: number | undefined;
  hasBody: boolean;
  /** The host came from the target (an absolute-form `GET http://host/path`, or HTTP/2's :authority): the instance gets it as Host, with the path as target. */
  hostFromTarget: boolean;
  /** The client's first `traceparent` and `X-Cloud-Trace-Context` lines, if any. */
  traceparent: string | undefined;
  cloudTrace: string | undefined;
  /** The request's trace, made on first use (traceOf). */
  trace: TraceContext | undefined;
  /** Why the head is answered 400 and the connection closed (a second Host, none at all in HTTP/1.1); undefined when it is fine. */
  invalid: string | undefined;
}

/** An absolute-form target: scheme, then the authority, then the rest. */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)$/i;

/**
 * The head as the router reads it, picked out in one pass over its header lines. The Host rules
 * are RFC 9112 §3.2, as nginx applies them: an HTTP/1.1 request needs exactly one Host line, and
 * an absolute-form target's authority is the host (the Host line is then ignored).
 */
export function parseRequestHead(
  method: string,
  url: string,
  rawHeaders: readonly string[],
  remoteAddress: string,
  httpMinor = 1,
): RequestHead {
  const head: RequestHead = {
    method,
    url,
    rawHeaders,
    remoteAddress,
    host: undefined,
    connection: undefined,
    upgrade: undefined,
    expect: undefined,
    chunked: false,
    contentLength: undefined,
    hasBody: false,
    hostFromTarget: false,
    traceparent: undefined,
    cloudTrace: undefined,
    trace: undefined,
    invalid: undefined,
  };
  let hostLines = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // Only names of the lengths below need a look: most lines are passed over without lowercasing.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") {
          head.host ??= rawHeaders[i + 1];
          hostLines++;
        }
        break;
      case 6:
        if (name.toLowerCase() === "expect") head.expect = rawHeaders[i + 1];
        break;
      case 7:
        if (name.toLowerCase() === "upgrade") head.upgrade = rawHeaders[i + 1];
        break;
      case 10:
        if (name.toLowerCase() === "connection")
          head.connection = head.connection ? `${head.connection}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
        break;
      case 14:
        if (name.toLowerCase() === "content-length" && rawHeaders[i + 1] !== "0") {
          head.hasBody = true;
          head.contentLength = Number(rawHeaders[i + 1]);
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") head.chunked = head.hasBody = true;
        break;
      case 11:
        if (name.toLowerCase() === "traceparent") head.traceparent ??= rawHeaders[i + 1];
        break;
      case 21:
        if (name.toLowerCase() === "x-cloud-trace-context") head.cloudTrace ??= rawHeaders[i + 1];
        break;
    }
  }
  if (hostLines > 1) head.invalid = "more than one Host header";
  else if (hostLines === 0 && httpMinor >= 1) head.invalid = "an HTTP/1.1 request needs a Host header";
  if (url.charCodeAt(0) !== 47 /* "/" */ && url !== "*") {
    const absolute = ABSOLUTE_FORM.exec(url);
    // Userinfo (`user@host`) has no place in an http URI (RFC 9110 §4.2.4).
    if (!absolute || absolute[1] === "" || absolute[1].includes("@"))
      head.invalid ??= "the request target is neither a path nor an http URL";
    else {
      head.host = absolute[1];
      head.url = absolute[2].startsWith("/") ? absolute[2] : `/${absolute[2]}`;
      head.hostFromTarget = true;
    }
  }
  return head;
}

/** The request's trace: the client's valid trace headers, or new ones (made once per request). */
export function traceOf(head: RequestHead): TraceContext {
  return (head.trace ??= resolveTrace(head.traceparent, head.cloudTrace));
}

/** Every value of a header, joined with ", " as Node joins repeated lines. */
function headerValues(head: RequestHead, lowercaseName: string): string | undefined {
  let joined: string | undefined;
  for (let i = 0; i < head.rawHeaders.length; i += 2) {
    if (head.rawHeaders[i].toLowerCase() === lowercaseName)
      joined = joined === undefined ? head.rawHeaders[i + 1] : `${joined}, ${head.rawHeaders[i + 1]}`;
  }
  return joined;
}

/**
 * The request's head for the instance, as one string (one write): the client's header lines as it
 * wrote them, less the hop-by-hop ones (and those its Connection header names), then the trace
 * headers (the client's valid ones unchanged) and X-Forwarded-* describing this hop. The client's own X-Forwarded-* are kept (and For appended to) only when the
 * client is a trusted proxy, since anyone else could claim any address or scheme. `upgrade` asks
 * the instance to switch protocols (a websocket).
 */
export function upstreamRequestHead(req: RequestHead, trustForwarded: boolean, upgrade?: string): string {
  const named = req.connection ? new Set(req.connection.split(",").map((token) => token.trim().toLowerCase())) : undefined;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  if (req.hostFromTarget) head += `host: ${req.host}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || FORWARDED.has(name) || TRACE_HEADERS.has(name) || named?.has(name)) continue;
    if (req.hostFromTarget && name === "host") continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (upgrade !== undefined) head += `connection: Upgrade\r\nupgrade: ${upgrade}\r\n`;
  else if (req.chunked) head += "transfer-encoding: chunked\r\n";
  head += traceOf(req).headerLines;
  const forwarded = forwardedValues(req, trustForwarded);
  head += `x-forwarded-for: ${forwarded.for}\r\nx-forwarded-proto: ${forwarded.proto}\r\nx-forwarded-host: ${forwarded.host}\r\n`;
  head += `forwarded: ${forwarded.forwarded}\r\n\r\n`;
  return head;
}

/**
 * X-Forwarded-For, -Proto and -Host, and Forwarded, for this hop (the client's own are built on
 * only when it is a trusted proxy). Forwarded's element for this hop is Cloud Run's:
 * `for="<client>";proto=http` (RFC 7239 §6: an IPv6 address in brackets, quoted).
 */
export function forwardedValues(
  req: RequestHead,
  trustForwarded: boolean,
): { for: string; proto: string; host: string; forwarded: string } {
  const client = req.remoteAddress;
  const priorFor = trustForwarded ? headerValues(req, "x-forwarded-for") : undefined;
  const prior = trustForwarded ? headerValues(req, "forwarded") : undefined;
  const element = `for="${client.includes(":") ? `[${client}]` : client}";proto=http`;
  return {
    for: priorFor ? `${priorFor}, ${client}` : client,
    proto: (trustForwarded ? headerValues(req, "x-forwarded-proto") : undefined) ?? "http",
    host: (trustForwarded ? headerValues(req, "x-forwarded-host") : undefined) ?? req.host ?? "",
    forwarded: prior ? `${prior}, ${element}` : element,
  };
}

/**
 * The instance's response headers for the client, [name, value, ...] as `writeHead` takes them:
 * less the hop-by-hop ones. A response that sets a cookie is one user's, so no shared cache may
 * keep it: its Cache-Control becomes `private` (Cloud Run does the same).
 */
export function clientResponseHeaders(raw: readonly string[]): { headers: string[]; hasLength: boolean; length: string | undefined } {
  let headers: string[] = [];
  let setsCookie = false;
  let length: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    if (name === "set-cookie") setsCookie = true;
    else if (name === "content-length") length = raw[i + 1];
    headers.push(raw[i], raw[i + 1]);
  }
  const hasLength = length !== undefined;
  if (setsCookie) {
    const uncached: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i].toLowerCase() !== "cache-control") uncached.push(headers[i], headers[i + 1]);
    }
    uncached.push("cache-control", "private");
    headers = uncached;
  }
  return { headers, hasLength, length };
}

/**
 * Whether a response's Content-Length is over Cloud Run's limit for an HTTP/1 container's response
 * with a length (model/request-limits.ts). Most values are too short to be: those are not parsed.
 */
export function overResponseLimit(length: string | undefined): boolean {
  return length !== undefined && length.length >= RESPONSE_LIMIT_DIGITS && Number(length) > HTTP1_RESPONSE_LENGTH_LIMIT_BYTES;
}

const RESPONSE_LIMIT_DIGITS = String(HTTP1_RESPONSE_LENGTH_LIMIT_BYTES).length;

/** Cloud Run's 500 for a response over its limit, saying how to lift it. */
export function responseTooLarge(length: string): string {
  return `Response size was too large: the container answered with a Content-Length of ${length} bytes, over Cloud Run's 32 MiB limit for an HTTP/1 response with a length (send it in chunks, i.e. streamed without a Content-Length, or deploy with --use-http2)`;
}

/**
 * Fields a trailer section may not carry on (RFC 9110 §6.5.1: framing, routing, request modifiers,
 * authentication, response control data, how to process the content): a recipient must not treat
 * them as if they were in the header section, so they are dropped, never merged.
 */
const NOT_TRAILERS = new Set([
  ...HOP_BY_HOP,
  ...FORWARDED,
  "trailer",
  "content-length",
  "host",
  "content-encoding",
  "content-type",
  "content-range",
  "authorization",
  "www-authenticate",
  "cookie",
  "set-cookie",
  "cache-control",
  "expect",
  "max-forwards",
  "range",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "if-range",
  "age",
  "expires",
  "date",
  "location",
  "retry-after",
  "vary",
]);
/** A header name as RFC 9110 §5.1 allows it. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A value that cannot go out as it is (a control character a lenient parse let in). */
export const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * A chunked message's end with its trailer section: the last chunk, the fields that may go on as
 * trailers (from [name, value, ...]), the empty line. Trailers are never turned into headers.
 */
export function lastChunk(trailers: readonly string[] | undefined): string {
  if (!trailers || trailers.length === 0) return "0\r\n\r\n";
  let section = "0\r\n";
  for (let i = 0; i < trailers.length; i += 2) {
    const name = trailers[i];
    const value = trailers[i + 1];
    if (!TOKEN.test(name) || UNSENDABLE.test(value) || NOT_TRAILERS.has(name.toLowerCase())) continue;
    section += `${name}: ${value}\r\n`;
  }
  return `${section}\r\n`;
}

/** Whether a trailer field goes on (lastChunk's rule; the HTTP/2 paths apply the same one). */
export function isForwardableTrailer(lowercaseName: string): boolean {
  return !NOT_TRAILERS.has(lowercaseName);
}

/** Whether any of these trailer fields would go on (see lastChunk). */
export function hasForwardableTrailers(trailers: readonly string[]): boolean {
  return lastChunk(trailers).length > 5;
}
