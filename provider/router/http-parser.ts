/**
 * llhttp, the C parser under Node's own `http` server and client, used directly. Going through
 * `http.Server` and `http.request` costs the router ~70 µs of CPU per request on this kind of
 * machine (IncomingMessage streams, ServerResponse, ClientRequest, the Agent's bookkeeping, a
 * Buffer per header); it only needs heads and bodies' bytes, so it feeds each socket's chunks to a
 * parser and gets both as callbacks. Clients' requests are parsed strictly, as Node's server does
 * (no smuggling through conflicting lengths, no bare LF); instances' responses leniently, as with
 * `insecureHTTPParser` (header lines ending in a bare LF, as nginx accepts them).
 */

/** What the parser reports; headers are [name, value, name, value, ...] as the instance wrote them. */
export interface ResponseEvents {
  /** Return true to skip the body (the answer to a HEAD request). */
  onHead(status: number, statusMessage: string, rawHeaders: string[], upgrade: boolean, keepAlive: boolean): boolean;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** What the parser reports of a request; headers are [name, value, ...] as the client wrote them. */
export interface RequestEvents {
  onHead(method: string, url: string, rawHeaders: string[], httpMinor: number, upgrade: boolean, keepAlive: boolean): void;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

export interface HttpParser {
  /** Parses a chunk: the bytes taken (fewer than the chunk's after an upgrade's head), or an Error (code HPE_*) when it is not HTTP. */
  execute(chunk: Buffer): number | Error;
  /** The connection ended: completes a body that runs until the end, or an Error for a cut-off response. */
  finish(): Error | undefined;
  /** Frees the native parser; call once, after the last execute. */
  close(): void;
}

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(chunk: Buffer): number | Error;
  finish(): number | Error | undefined;
  close(): void;
  [callback: number]: unknown;
}

interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kLenientAll: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}

// `_http_common` is where Node's `http` gets the parser from; it has no typings of its own.
const { HTTPParser, methods } = require("_http_common") as { HTTPParser?: NativeParserClass; methods?: string[] };
if (typeof HTTPParser !== "function" || typeof HTTPParser.RESPONSE !== "number" || !Array.isArray(methods)) {
  throw new Error(`this Node.js (${process.version}) does not expose its HTTP parser; skiff's router needs one that does (Node.js 20 and 22 do)`);
}
const Parser: NativeParserClass = HTTPParser;
const METHODS: readonly string[] = methods;

/** A parser for one connection's requests, one after another (keep-alive, pipelining). */
export function createRequestParser(events: RequestEvents): HttpParser {
  const parser = new Parser();
  parser.initialize(Parser.REQUEST, {}, 0, 0);
  let partialHeaders: string[] = [];
  let partialUrl = "";
  parser[Parser.kOnHeaders] = (headers: string[], url: string) => {
    partialHeaders = partialHeaders.concat(headers);
    partialUrl += url;
  };
  parser[Parser.kOnHeadersComplete] = (
    _major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined,
    _status: unknown, _statusMessage: unknown, upgrade: boolean, keepAlive: boolean,
  ) => {
    const rawHeaders = headers ?? partialHeaders;
    const target = url || partialUrl;
    partialHeaders = [];
    partialUrl = "";
    events.onHead(METHODS[method] ?? "GET", target, rawHeaders, minor, upgrade, keepAlive);
    return 0;
  };
  parser[Parser.kOnBody] = (chunk: Buffer) => events.onBody(chunk);
  parser[Parser.kOnMessageComplete] = () => events.onComplete();
  return wrap(parser);
}

/** A parser for one connection's responses, one after another (keep-alive). */
export function createResponseParser(events: ResponseEvents): HttpParser {
  const parser = new Parser();
  parser.initialize(Parser.RESPONSE, {}, 0, Parser.kLenientAll);
  // More than 32 header lines, or a head cut across reads, arrive in parts before the head completes.
  let partialHeaders: string[] = [];
  parser[Parser.kOnHeaders] = (headers: string[]) => {
    partialHeaders = partialHeaders.concat(headers);
  };
  parser[Parser.kOnHeadersComplete] = (
    _major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown,
    status: number, statusMessage: string, upgrade: boolean, keepAlive: boolean,
  ) => {
    let rawHeaders = headers;
    if (!rawHeaders) {
      rawHeaders = partialHeaders;
      partialHeaders = [];
    }
    return events.onHead(status, statusMessage, rawHeaders, upgrade, keepAlive) ? 1 : 0;
  };
  parser[Parser.kOnBody] = (chunk: Buffer) => events.onBody(chunk);
  parser[Parser.kOnMessageComplete] = () => events.onComplete();
  return wrap(parser);
}

function wrap(parser: NativeParser): HttpParser {
  return {
    execute: (chunk) => {
      const result = parser.execute(chunk);
      return typeof result === "number" ? result : result instanceof Error ? result : chunk.length;
    },
    finish: () => {
      const result = parser.finish();
      return result instanceof Error ? result : undefined;
    },
    close: () => parser.close(),
  };
}
