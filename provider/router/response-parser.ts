/**
 * The parser for instances' responses: llhttp, the C parser Node's own `http` client runs, used
 * directly. Going through `http.request` costs ~50 µs of CPU per request on this kind of machine
 * (a ClientRequest, an IncomingMessage stream, the Agent's bookkeeping, a Buffer per header);
 * the router only needs the head and the body's bytes, so it feeds the socket's chunks to the
 * parser and gets both as callbacks. Responses are parsed leniently, as with `insecureHTTPParser`
 * (header lines ending in a bare LF, as nginx accepts them).
 */

/** What the parser reports; headers are [name, value, name, value, ...] as the instance wrote them. */
export interface ResponseEvents {
  /** Return true to skip the body (the answer to a HEAD request). */
  onHead(status: number, statusMessage: string, rawHeaders: string[], upgrade: boolean, keepAlive: boolean): boolean;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

export interface ResponseParser {
  /** Parses a chunk; an Error (code HPE_*) when it is not HTTP. */
  execute(chunk: Buffer): Error | undefined;
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
  RESPONSE: number;
  kLenientAll: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}

// `_http_common` is where Node's `http` gets the parser from; it has no typings of its own.
const { HTTPParser } = require("_http_common") as { HTTPParser?: NativeParserClass };
if (typeof HTTPParser !== "function" || typeof HTTPParser.RESPONSE !== "number") {
  throw new Error(`this Node.js (${process.version}) does not expose its HTTP parser; skiff's router needs one that does (Node.js 20 and 22 do)`);
}
const Parser: NativeParserClass = HTTPParser;

/** A parser for one connection's responses, one after another (keep-alive). */
export function createResponseParser(events: ResponseEvents): ResponseParser {
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
  return {
    execute: (chunk) => {
      const result = parser.execute(chunk);
      return result instanceof Error ? result : undefined;
    },
    finish: () => {
      const result = parser.finish();
      return result instanceof Error ? result : undefined;
    },
    close: () => parser.close(),
  };
}
