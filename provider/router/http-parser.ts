/**
 * llhttp, the parser under Node's own `http`, as the WebAssembly build undici ships (a maintained,
 * public package; Node's own binding is only reachable through the deprecated `_http_common`).
 * Going through `http.Server` and `http.request` costs the router ~70 µs of CPU per request on this
 * kind of machine (IncomingMessage streams, ServerResponse, ClientRequest, the Agent's bookkeeping);
 * it only needs heads and bodies' bytes, so it feeds each socket's chunks to a parser and gets both
 * as callbacks. Clients' requests are parsed strictly, as Node's server does (no smuggling through
 * conflicting lengths, no bare LF); instances' responses leniently (header lines ending in a bare
 * LF, as nginx accepts them). Bodies reach the caller as views of the socket's own chunk, never of
 * the parser's memory, so they stay valid as long as the chunk does.
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
  /** Frees the parser; call once, after the last execute. */
  close(): void;
}

/** What the router needs of WebAssembly's JS API (the project's TypeScript libs do not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
};

interface LlhttpExports {
  memory: { buffer: ArrayBuffer };
  _initialize?: () => void;
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(parser: number): void;
  llhttp_execute(parser: number, data: number, length: number): number;
  llhttp_finish(parser: number): number;
  llhttp_get_method(parser: number): number;
  llhttp_get_http_minor(parser: number): number;
  llhttp_get_error_pos(parser: number): number;
  llhttp_get_error_reason(parser: number): number;
  [lenientSetter: `llhttp_set_lenient_${string}`]: (parser: number, on: number) => void;
}

/**
 * Every leniency llhttp has, for instances' responses, as Node's `insecureHTTPParser` (kLenientAll)
 * sets them: a bare LF ends a line, spaces after a chunk size, data after a close, and so on.
 */
const RESPONSE_LENIENCIES = [
  "headers",
  "chunked_length",
  "keep_alive",
  "transfer_encoding",
  "version",
  "data_after_close",
  "optional_lf_after_cr",
  "optional_crlf_after_chunk",
  "optional_cr_before_lf",
  "spaces_after_chunk_size",
] as const;

// undici's constants for its llhttp build: error codes, methods, parser types.
const constants = require("undici/lib/llhttp/constants.js") as {
  ERROR: Record<string, number>;
  METHODS: Record<string, number>;
  TYPE: { REQUEST: number; RESPONSE: number };
};
const ERROR_NAMES = new Map(Object.entries(constants.ERROR).map(([name, code]) => [code, name]));
const METHODS: readonly string[] = Object.entries(constants.METHODS).reduce<string[]>((all, [name, code]) => ((all[code] = name), all), []);
const PAUSED_UPGRADE = constants.ERROR.PAUSED_UPGRADE;
/** Node's default limit on a head (request line or status line, and header lines): past it, 431. */
const MAX_HEAD_BYTES = 16 * 1024;

/** One message being parsed: the pieces of its head as they arrive, then its trailers. */
class ParserState {
  /** The chunk being parsed and where its copy starts in the parser's memory: callbacks' offsets map back to it. */
  chunk: Buffer = Buffer.alloc(0);
  inputStart = 0;
  url = "";
  statusMessage = "";
  fields: string[] = [];
  field = "";
  value = "";
  /** The last piece was a value: the next field piece starts a new line. */
  valueLast = false;
  headBytes = 0;
  overflow = false;
  /** What a callback threw; rethrown once the parser returns. */
  thrown: Error | undefined;

  constructor(
    readonly ptr: number,
    /** What on_headers_complete does: hand the head over; 1 to skip the body. */
    readonly onHeadersComplete: (state: ParserState, status: number, upgrade: boolean, keepAlive: boolean) => number,
    readonly events: RequestEvents | ResponseEvents,
  ) {}

  text(at: number, length: number): string {
    const start = at - this.inputStart;
    return this.chunk.toString("latin1", start, start + length);
  }

  /** The fields gathered since the last take, as [name, value, ...]. */
  takeFields(): string[] {
    if (this.valueLast || this.field !== "") this.fields.push(this.field, this.value);
    const fields = this.fields;
    this.fields = [];
    this.field = this.value = "";
    this.valueLast = false;
    return fields;
  }

  countHead(length: number): number {
    this.headBytes += length;
    if (this.headBytes <= MAX_HEAD_BYTES) return 0;
    this.overflow = true;
    return -1;
  }
}

let current: ParserState | undefined;

/**
 * A callback's failure, kept for after the parser returns (it cannot unwind through the parser's
 * state safely): -1 makes llhttp stop with an error. Plain functions, not closures per call: they
 * run for every field of every message.
 */
function failed(state: ParserState, error: unknown): number {
  state.thrown = error instanceof Error ? error : new Error(String(error));
  return -1;
}

function onMessageBegin(): number {
  const s = current!;
  s.url = s.statusMessage = "";
  s.fields = [];
  s.field = s.value = "";
  s.valueLast = false;
  s.headBytes = 0;
  return 0;
}

function onUrl(_p: number, at: number, length: number): number {
  const s = current!;
  s.url += s.text(at, length);
  return s.countHead(length);
}

function onStatus(_p: number, at: number, length: number): number {
  const s = current!;
  s.statusMessage += s.text(at, length);
  return s.countHead(length);
}

function onHeaderField(_p: number, at: number, length: number): number {
  const s = current!;
  if (s.valueLast) {
    s.fields.push(s.field, s.value);
    s.field = s.value = "";
    s.valueLast = false;
  }
  s.field += s.text(at, length);
  return s.countHead(length);
}

function onHeaderValue(_p: number, at: number, length: number): number {
  const s = current!;
  s.value += s.text(at, length);
  s.valueLast = true;
  return s.countHead(length);
}

function onHeadersComplete(_p: number, status: number, upgrade: number, keepAlive: number): number {
  const s = current!;
  try {
    return s.onHeadersComplete(s, status, upgrade === 1, keepAlive === 1);
  } catch (error) {
    return failed(s, error);
  }
}

function onBody(_p: number, at: number, length: number): number {
  const s = current!;
  const start = at - s.inputStart;
  try {
    s.events.onBody(s.chunk.subarray(start, start + length));
    return 0;
  } catch (error) {
    return failed(s, error);
  }
}

/** Fields after the head completed are the trailer section; they end with their message. */
function onMessageComplete(): number {
  const s = current!;
  try {
    s.events.onComplete(s.takeFields());
    return 0;
  } catch (error) {
    return failed(s, error);
  }
}

const callbacks = {
  wasm_on_message_begin: onMessageBegin,
  wasm_on_url: onUrl,
  wasm_on_status: onStatus,
  wasm_on_header_field: onHeaderField,
  wasm_on_header_value: onHeaderValue,
  wasm_on_headers_complete: onHeadersComplete,
  wasm_on_body: onBody,
  wasm_on_message_complete: onMessageComplete,
};

function instantiate(): LlhttpExports {
  const load = (file: string) =>
    new WebAssembly.Instance(new WebAssembly.Module(require(file) as Buffer), { env: callbacks }).exports as LlhttpExports;
  let exports: LlhttpExports;
  try {
    exports = load("undici/lib/llhttp/llhttp_simd-wasm.js");
  } catch {
    // A WebAssembly engine without SIMD: the plain build parses the same.
    exports = load("undici/lib/llhttp/llhttp-wasm.js");
  }
  exports._initialize?.();
  return exports;
}

const llhttp = instantiate();
/** One input area in the parser's memory, grown as chunks need; parses never overlap (see execute). */
let inputPtr = 0;
let inputSize = 0;

function wrap(state: ParserState): HttpParser {
  const { ptr } = state;
  const run = (parse: () => number) => {
    const outer = current;
    current = state;
    state.thrown = undefined;
    try {
      return parse();
    } finally {
      current = outer;
    }
  };
  return {
    execute: (chunk) => {
      // A parse started from inside another's callback gets an input area of its own.
      const nested = current !== undefined;
      let at = inputPtr;
      if (nested) at = llhttp.malloc(Math.max(chunk.length, 1));
      else if (chunk.length > inputSize) {
        if (inputPtr) llhttp.free(inputPtr);
        inputSize = Math.max(chunk.length, 64 * 1024);
        at = inputPtr = llhttp.malloc(inputSize);
      }
      try {
        new Uint8Array(llhttp.memory.buffer, at, chunk.length).set(chunk);
        state.chunk = chunk;
        state.inputStart = at;
        const result = run(() => llhttp.llhttp_execute(ptr, at, chunk.length));
        if (state.thrown !== undefined) throw state.thrown;
        if (result === 0) return chunk.length;
        // An upgrade's head: what follows it is the new protocol's, not HTTP.
        if (result === PAUSED_UPGRADE) return llhttp.llhttp_get_error_pos(ptr) - at;
        if (state.overflow) return parseError("HEADER_OVERFLOW", "Header overflow");
        return parseError(ERROR_NAMES.get(result) ?? String(result), errorReason(ptr));
      } finally {
        state.chunk = EMPTY;
        if (nested) llhttp.free(at);
      }
    },
    finish: () => {
      const result = run(() => llhttp.llhttp_finish(ptr));
      if (state.thrown !== undefined) throw state.thrown;
      return result === 0 ? undefined : parseError(ERROR_NAMES.get(result) ?? String(result), errorReason(ptr));
    },
    close: () => llhttp.llhttp_free(ptr),
  };
}

const EMPTY = Buffer.alloc(0);

function errorReason(ptr: number): string {
  const at = llhttp.llhttp_get_error_reason(ptr);
  if (!at) return "Parse Error";
  const bytes = new Uint8Array(llhttp.memory.buffer, at);
  return Buffer.from(bytes.subarray(0, bytes.indexOf(0))).toString("latin1");
}

function parseError(name: string, reason: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`Parse Error: ${reason}`);
  error.code = `HPE_${name}`;
  return error;
}

/** A parser for one connection's requests, one after another (keep-alive, pipelining). */
export function createRequestParser(events: RequestEvents): HttpParser {
  const ptr = llhttp.llhttp_alloc(constants.TYPE.REQUEST);
  return wrap(
    new ParserState(
      ptr,
      (state, _status, upgrade, keepAlive) => {
        const url = state.url;
        events.onHead(
          METHODS[llhttp.llhttp_get_method(ptr)] ?? "GET",
          url,
          state.takeFields(),
          llhttp.llhttp_get_http_minor(ptr),
          upgrade,
          keepAlive,
        );
        state.headBytes = 0;
        return 0;
      },
      events,
    ),
  );
}

/** A parser for one connection's responses, one after another (keep-alive). */
export function createResponseParser(events: ResponseEvents): HttpParser {
  const ptr = llhttp.llhttp_alloc(constants.TYPE.RESPONSE);
  for (const leniency of RESPONSE_LENIENCIES) llhttp[`llhttp_set_lenient_${leniency}`](ptr, 1);
  return wrap(
    new ParserState(
      ptr,
      (state, status, upgrade, keepAlive) => {
        const skipBody = events.onHead(status, state.statusMessage, state.takeFields(), upgrade, keepAlive);
        state.headBytes = 0;
        return skipBody ? 1 : 0;
      },
      events,
    ),
  );
}
