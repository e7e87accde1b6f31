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
  /** The message is complete; `trailers` are the fields after a chunked body's last chunk ([name, value, ...], often none). */
  onComplete(trailers: string[]): void;
}

/** What the parser reports of a request; headers are [name, value, ...] as the client wrote them. */
export interface RequestEvents {
  onHead(method: string, url: string, rawHeaders: string[], httpMinor: number, upgrade: boolean, keepAlive: boolean): void;
  onBody(chunk: Buffer): void;
  /** The message is complete; `trailers` are the fields after a chunked body's last chunk ([name, value, ...], often none). */
  onComplete(trailers: string[]): void;
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

/**
 * Header lines reach JavaScript in batches (kOnHeaders) when a head has more than 32 of them or
 * arrives across reads, and a chunked body's trailer section always arrives that way, at the
 * message's end. Node's binding then also passes the URL it still holds from the message's start.
 * So what was batched belongs to the head until the head completes, and after that to the
 * trailers, which end with the message: both are cleared there, or one message's trailers (a Host
 * among them) would become the next message's headers and re-route it.
 */
class FieldBatches {
  private fields: string[] = [];
  private url = "";

  add(fields: string[], url: string | undefined): void {
    this.fields = this.fields.concat(fields);
    if (url) this.url += url;
  }

  /** The head's fields and URL: those batched so far, unless the parser passed them whole. */
  takeHead(fields: string[] | undefined, url: string | undefined): { fields: string[]; url: string } {
    const head = { fields: fields ?? this.fields, url: url || this.url };
    this.fields = [];
    this.url = "";
    return head;
  }

  /** At the message's end: what was batched since the head completed is its trailer section. */
  takeTrailers(): string[] {
    const trailers = this.fields;
    this.fields = [];
    this.url = "";
    return trailers;
  }
}

/** A parser for one connection's requests, one after another (keep-alive, pipelining). */
export function createRequestParser(events: RequestEvents): HttpParser {
  const parser = new Parser();
  parser.initialize(Parser.REQUEST, {}, 0, 0);
  const batches = new FieldBatches();
  parser[Parser.kOnHeaders] = (headers: string[], url: string) => batches.add(headers, url);
  parser[Parser.kOnHeadersComplete] = (
    _major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined,
    _status: unknown, _statusMessage: unknown, upgrade: boolean, keepAlive: boolean,
  ) => {
    const head = batches.takeHead(headers, url);
    events.onHead(METHODS[method] ?? "GET", head.url, head.fields, minor, upgrade, keepAlive);
    return 0;
  };
  parser[Parser.kOnBody] = (chunk: Buffer) => events.onBody(chunk);
  parser[Parser.kOnMessageComplete] = () => events.onComplete(batches.takeTrailers());
  return wrap(parser);
}

/** A parser for one connection's responses, one after another (keep-alive). */
export function createResponseParser(events: ResponseEvents): HttpParser {
  const parser = new Parser();
  parser.initialize(Parser.RESPONSE, {}, 0, Parser.kLenientAll);
  const batches = new FieldBatches();
  parser[Parser.kOnHeaders] = (headers: string[]) => batches.add(headers, undefined);
  parser[Parser.kOnHeadersComplete] = (
    _major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown,
    status: number, statusMessage: string, upgrade: boolean, keepAlive: boolean,
  ) => events.onHead(status, statusMessage, batches.takeHead(headers, undefined).fields, upgrade, keepAlive) ? 1 : 0;
  parser[Parser.kOnBody] = (chunk: Buffer) => events.onBody(chunk);
  parser[Parser.kOnMessageComplete] = () => events.onComplete(batches.takeTrailers());
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
