import type { IncomingHttpHeaders } from "node:http2";
import { FORWARDED, forwardedValues, HOP_BY_HOP, isForwardableTrailer, TRACE_HEADERS, traceOf, type RequestHead } from "./forwarding";
import type { HeaderMap } from "./proxy-client";

/**
 * The header rules where HTTP/2 meets the router, as pure functions: an HTTP/2 request read as
 * the router's RequestHead, a request (either HTTP) as an HTTP/2 instance gets it, a response and
 * its trailers as either kind of client gets them, and the router's own answers to gRPC calls.
 * The rules are HTTP/1.1's (forwarding.ts): hop-by-hop fields out, X-Forwarded-* for this hop,
 * Set-Cookie makes Cache-Control private, trailers that may not be trailers dropped.
 */

/** `cookie` may come split in crumbs over HTTP/2; to HTTP/1.1 they go as one line joined by "; " (RFC 9113 §8.2.3). */
const COOKIE = "cookie";

/**
 * An HTTP/2 request's head as the router reads it. `rawHeaders` is Node's flat [name, value, ...]
 * with the pseudo-headers; they become method, url and host, and only the regular fields stay in
 * the head's rawHeaders. A body of unknown length (no content-length) is `chunked`: that is how it
 * goes on to an HTTP/1.1 instance.
 */
export function h2RequestHead(rawHeaders: readonly string[], remoteAddress: string, endStream: boolean): RequestHead {
  let method = "";
  let path = "";
  let authority: string | undefined;
  let host: string | undefined;
  let cookies: string | undefined;
  let traceparent: string | undefined;
  let cloudTrace: string | undefined;
  let contentLength: number | undefined;
  const regular: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const value = rawHeaders[i + 1];
    if (name.charCodeAt(0) === 58 /* ":" */) {
      if (name === ":method") method = value;
      else if (name === ":path") path = value;
      else if (name === ":authority") authority = value;
      continue;
    }
    if (name === COOKIE) {
      cookies = cookies === undefined ? value : `${cookies}; ${value}`;
      continue;
    }
    if (name === "host") host ??= value;
    else if (name === "content-length") contentLength = Number(value);
    else if (name === "traceparent") traceparent ??= value;
    else if (name === "x-cloud-trace-context") cloudTrace ??= value;
    regular.push(name, value);
  }
  if (cookies !== undefined) regular.push(COOKIE, cookies);
  const hasBody = !endStream;
  // RFC 9113 §8.3.1: :authority, else Host, names the target.
  const target = authority ?? host;
  return {
    method,
    url: path,
    rawHeaders: regular,
    remoteAddress,
    host: target,
    connection: undefined,
    upgrade: undefined,
    expect: undefined,
    chunked: hasBody && contentLength === undefined,
    contentLength,
    hasBody,
    // :authority goes to an HTTP/1.1 instance as its Host line, in place of any Host field.
    hostFromTarget: authority !== undefined,
    traceparent,
    cloudTrace,
    trace: undefined,
    invalid:
      method === "CONNECT"
        ? "CONNECT is not served"
        : target === undefined || target === ""
          ? "an HTTP/2 request needs :authority or Host"
          : undefined,
  };
}

/**
 * The request as an HTTP/2 instance gets it, from a head either HTTP read: the pseudo-headers
 * (the client's host as :authority), its fields less the hop-by-hop ones (`te: trailers` stays:
 * gRPC asks for trailers with it, and it is the one TE HTTP/2 allows), then the trace headers and
 * X-Forwarded-* for this hop. HTTP/1.1 names are lowercased, as HTTP/2 needs; cookie crumbs are one
 * field. As Node's raw header list ([name, value, ...], what `session.request` takes since Node
 * 22.17 and 24.0): no object with a property per field to build per stream, and none for Node to
 * read back (bench/README.md: those objects were much of the h2c path's event-loop time).
 */
export function upstreamH2HeaderList(head: RequestHead, trustForwarded: boolean): string[] {
  const list = [":method", head.method, ":path", head.url, ":scheme", "http", ":authority", head.host ?? ""];
  const named = head.connection ? new Set(head.connection.split(",").map((token) => token.trim().toLowerCase())) : undefined;
  const raw = head.rawHeaders;
  let cookies: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    let value = raw[i + 1];
    if (name === "te") {
      if (!/(^|,)\s*trailers\s*(;|,|$)/i.test(value)) continue;
      value = "trailers";
    } else if (HOP_BY_HOP.has(name) || FORWARDED.has(name) || TRACE_HEADERS.has(name) || name === "host" || named?.has(name)) continue;
    if (name === COOKIE) cookies = cookies === undefined ? value : `${cookies}; ${value}`;
    else list.push(name, value);
  }
  if (cookies !== undefined) list.push(COOKIE, cookies);
  // The trace headers as for HTTP/1.1: the client's valid ones unchanged, else made (trace-context.ts).
  const trace = traceOf(head);
  const forwarded = forwardedValues(head, trustForwarded);
  list.push(
    "traceparent",
    trace.traceparent,
    "x-cloud-trace-context",
    trace.cloudTrace,
    "x-forwarded-for",
    forwarded.for,
    "x-forwarded-proto",
    forwarded.proto,
    "x-forwarded-host",
    forwarded.host,
    "forwarded",
    forwarded.forwarded,
  );
  return list;
}

/** The same as a header object (repeated fields as lists), for a Node whose `session.request` takes no raw list. */
export function upstreamH2Headers(head: RequestHead, trustForwarded: boolean): HeaderMap {
  return headersFromList(upstreamH2HeaderList(head, trustForwarded));
}

/** A field into a map: a repeated one becomes a list, or one value joined by `join` (cookies). */
function add(headers: HeaderMap, name: string, value: string, join?: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (join !== undefined) headers[name] = `${existing as string}${join}${value}`;
  else if (Array.isArray(existing)) existing.push(value);
  else headers[name] = [existing, value];
}

/**
 * A response from an HTTP/2 instance, from Node's raw list of it, as the client gets it (either
 * HTTP): no pseudo-headers, no hop-by-hop ones, the Set-Cookie rule. A raw list again: no object
 * per response to build, and none for Node to read back where `respond` takes the list.
 */
export function clientH2HeaderList(raw: readonly string[]): string[] {
  const list: string[] = [];
  let setsCookie = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58 /* ":" */ || HOP_BY_HOP.has(name)) continue;
    if (name === "set-cookie") setsCookie = true;
    list.push(name, raw[i + 1]);
  }
  if (!setsCookie) return list;
  // A response that sets a cookie is one user's: no shared cache may keep it (Cloud Run does the same).
  const kept: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (list[i] !== "cache-control") kept.push(list[i], list[i + 1]);
  kept.push("cache-control", "private");
  return kept;
}

/** [name, value, ...] as HTTP/1.1 read it (clientResponseHeaders already applied) as an HTTP/2 client gets it: lowercase names, repeats as lists. */
export function headersFromList(list: readonly string[]): HeaderMap {
  const headers: HeaderMap = {};
  for (let i = 0; i < list.length; i += 2) add(headers, list[i].toLowerCase(), list[i + 1]);
  return headers;
}

/** A map as HTTP/1.1's [name, value, ...]: a list becomes a line per value. */
export function headerList(headers: HeaderMap): string[] {
  const list: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) for (const one of value) list.push(name, one);
    else list.push(name, value);
  }
  return list;
}

/** Trailers that go on (the rule of forwarding.ts lastChunk), from an HTTP/2 instance; undefined when none do. */
export function trailerMap(incoming: IncomingHttpHeaders | HeaderMap | undefined): HeaderMap | undefined {
  if (!incoming) return undefined;
  let trailers: HeaderMap | undefined;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ":" */ || !isForwardableTrailer(name)) continue;
    (trailers ??= {})[name] = value;
  }
  return trailers;
}

/** Trailers from an HTTP/1.1 instance's last chunk ([name, value, ...]) for an HTTP/2 client; undefined when none go on. */
export function trailerMapFromList(list: readonly string[] | undefined): HeaderMap | undefined {
  return list && list.length > 0 ? trailerMap(headersFromList(list)) : undefined;
}

// ---- gRPC ----

/** gRPC over HTTP/2 (not gRPC-Web, which carries its trailers in the body and passes as any other HTTP). */
export function isGrpc(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.startsWith("application/grpc")) return false;
  const next = contentType.charCodeAt(16);
  return Number.isNaN(next) || next === 43 /* "+" */ || next === 59; /* ";" */
}

/** gRPC status codes the router answers with. */
export const GRPC = {
  INTERNAL: 13,
  UNAUTHENTICATED: 16,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  DEADLINE_EXCEEDED: 4,
  UNKNOWN: 2,
};

/**
 * The router's own HTTP statuses as gRPC statuses: gRPC's table for HTTP statuses that reach a
 * client (doc/http-grpc-status-mapping.md), except the request timeout (504), which is
 * DEADLINE_EXCEEDED: the call did run out of time, and UNAVAILABLE would tell the client to retry
 * what already took the whole timeout.
 */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GRPC.INTERNAL;
    case 401:
      return GRPC.UNAUTHENTICATED;
    case 403:
      return GRPC.PERMISSION_DENIED;
    case 404:
      return GRPC.UNIMPLEMENTED;
    case 429:
    case 500:
    case 502:
    case 503:
      return GRPC.UNAVAILABLE;
    case 504:
      return GRPC.DEADLINE_EXCEEDED;
    default:
      return GRPC.UNKNOWN;
  }
}

/** grpc-message is percent-encoded UTF-8: every byte outside printable ASCII, and "%" itself. */
export function grpcMessage(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The status as trailers: after a response's body, or (with :status and content-type) a whole trailers-only answer. */
export function grpcStatusTrailers(code: number, message: string): HeaderMap {
  return { "grpc-status": String(code), "grpc-message": grpcMessage(message) };
}

/** A whole gRPC answer in one HEADERS frame (gRPC's "trailers-only" response): HTTP 200, the status in the headers. */
export function grpcTrailersOnly(code: number, message: string): HeaderMap {
  return { "content-type": "application/grpc", ...grpcStatusTrailers(code, message) };
}
