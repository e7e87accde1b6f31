import type { OutgoingHttpHeaders, ServerHttp2Stream, ServerStreamResponseOptions } from "node:http2";
import { lastChunk, type RequestHead } from "./forwarding";
import {
  grpcStatusFor,
  grpcStatusTrailers,
  grpcTrailersOnly,
  GRPC,
  h2RequestHead,
  headerList,
  headersFromList,
  isGrpc,
} from "./h2-headers";
import { withAffinityCookie } from "./session-affinity";
import type { BodyTarget, HeaderMap, ProxyClient } from "./proxy-client";
import type { CompletedRequest, RequestObserver, ServedBy } from "./request-observer";

/** Statuses whose response has no body; Node ends such a stream at its head (and a HEAD request's). */
const BODYLESS_STATUSES = new Set([204, 205, 304]);

/**
 * One request an HTTP/2 client sent on a stream: the head the router reads, its body on to the
 * instance (with backpressure: the client is not read while the instance does not read), and the
 * response written back on the stream, trailers included.
 *
 * A response that cannot be finished is cut with RST_STREAM (INTERNAL_ERROR), the HTTP/2 way of
 * HTTP/1.1's cut connection, and only this stream is cut. For gRPC calls (content-type
 * application/grpc) the router's own answers are gRPC statuses in a trailers-only response (HTTP
 * 200), and the request timeout is DEADLINE_EXCEEDED, also after the response began (in its
 * trailers): a gRPC client reads a status from trailers, never from an HTTP status or a reset.
 */
export class H2IngressStream implements ProxyClient, CompletedRequest {
  readonly head: RequestHead;
  readonly grpc: boolean;
  responded = false;
  /** The response went out whole, or was cut: nothing more is written. */
  private finished = false;
  /** The response was ended properly (its last frame queued): a stream that closes otherwise was cut. */
  private endedWhole = false;
  // What a request log entry and the metrics read once the stream has closed (request-observer.ts).
  readonly protocol = "HTTP/2";
  readonly startedAt = performance.now();
  status = 0;
  requestBodyBytes = 0;
  responseBytes = 0;
  cut = false;
  servedBy!: ServedBy;
  instanceId: string | undefined;
  affinityCookie: string | undefined = undefined;
  private observer: RequestObserver | undefined;
  private responseTrailers: HeaderMap | undefined;
  private requestTrailers: string[] | undefined;
  private abortListener: ((why: "closed" | "body-broken") => void) | undefined;

  constructor(
    readonly stream: ServerHttp2Stream,
    rawHeaders: readonly string[],
    remoteAddress: string,
    readonly fromContainer: boolean,
  ) {
    this.head = h2RequestHead(rawHeaders, remoteAddress, stream.endAfterHeaders);
    this.grpc = isGrpc(headerValue(this.head.rawHeaders, "content-type"));
    // A client's reset (or a broken session) is that client's business: 'close' follows.
    stream.on("error", () => undefined);
    // The proxy hears of every close; once its exchange is settled it no longer listens.
    stream.once("close", () => {
      this.finished = true;
      this.abortListener?.("closed");
      this.completed();
    });
    stream.on("wantTrailers", () => this.sendTrailers());
  }

  /** The request was routed to `servedBy`: `observer` is told once the stream has closed. */
  observe(observer: RequestObserver, servedBy: ServedBy): void {
    this.observer = observer;
    this.servedBy = servedBy;
  }

  respond(status: number, headers: HeaderMap | string[], final: boolean): void {
    // A client gone (its 'close' may still be on its way) is no fault of the instance's answer.
    if (this.finished || this.stream.destroyed || this.stream.closed) return;
    const ends = final || this.head.method === "HEAD" || BODYLESS_STATUSES.has(status);
    // Trailers can follow only a stream that waits for them; an empty trailer section costs one empty DATA frame.
    const options = ends ? { endStream: true } : { waitForTrailers: true };
    if (this.affinityCookie !== undefined)
      headers = withAffinityCookie(Array.isArray(headers) ? headers : headerList(headers), this.affinityCookie);
    if (Array.isArray(headers)) respondWithList(this.stream, status, headers, options);
    else {
      headers[":status"] = String(status);
      this.stream.respond(headers, options);
    }
    this.responded = true;
    this.status = status;
    this.responseBytes += fieldBytes(headers);
    if (ends) this.finished = this.endedWhole = true;
  }

  write(chunk: Buffer): boolean {
    if (this.finished) return true;
    this.responseBytes += chunk.length;
    return this.stream.write(chunk);
  }

  onDrain(listener: () => void): void {
    this.stream.once("drain", listener);
  }

  end(trailers: HeaderMap | undefined): void {
    if (this.finished) return;
    this.finished = this.endedWhole = true;
    this.responseTrailers = trailers;
    if (trailers) this.responseBytes += fieldBytes(trailers);
    // 'wantTrailers' comes once the last DATA frame is queued.
    this.stream.end();
  }

  sendError(status: number, message: string, challenge?: string): void {
    if (this.finished) return;
    if (this.responded) return this.cutStream();
    if (this.grpc) return this.answer(grpcTrailersOnly(grpcStatusFor(status), message));
    const body = Buffer.from(`${message}\n`);
    this.answer(
      {
        "content-type": "text/plain; charset=utf-8",
        "content-length": String(body.length),
        ...(challenge === undefined ? {} : { "www-authenticate": challenge }),
      },
      status,
      this.head.method === "HEAD" ? undefined : body,
    );
  }

  timedOut(message: string): void {
    if (this.finished) return;
    if (!this.grpc || !this.responded) return this.sendError(504, message);
    // The response began: the call still ends with its status, in trailers.
    this.end(grpcStatusTrailers(GRPC.DEADLINE_EXCEEDED, message));
  }

  pipeBodyTo(target: BodyTarget): void {
    const { stream } = this;
    stream.on("trailers", (_headers, _flags, raw: string[]) => (this.requestTrailers = raw));
    stream.on("data", (chunk: Buffer) => {
      this.requestBodyBytes += chunk.length;
      if (target.stream.destroyed) return;
      const ready = target.chunked ? writeChunked(target, chunk) : target.stream.write(chunk);
      if (!ready) {
        // The instance reads slower than the client sends: the client's stream is not read until it drains.
        stream.pause();
        target.stream.once("drain", () => stream.resume());
      }
    });
    stream.once("end", () => {
      // A stream Node closed because its connection went away is ended too: that body was cut off,
      // and never goes on as if whole ('close' tells the proxy, which cancels the instance's side).
      if (target.stream.destroyed || stream.closed || stream.destroyed) return;
      if (target.chunked) target.stream.write(lastChunk(this.requestTrailers), "latin1");
      target.onEnd(this.requestTrailers);
    });
    if (stream.readableEnded) target.onEnd(undefined);
  }

  onAbort(listener: (why: "closed" | "body-broken") => void): void {
    this.abortListener = listener;
  }

  /** The router's answer, whole: a head, and a body if any (no trailers, so the stream ends with the body). */
  private answer(headers: HeaderMap, status = 200, body?: Buffer): void {
    this.finished = true;
    if (this.stream.destroyed || this.stream.closed) return;
    headers[":status"] = String(status);
    try {
      this.stream.respond(headers, { endStream: body === undefined });
      this.responded = true;
      this.status = status;
      this.responseBytes += fieldBytes(headers) + (body?.length ?? 0);
      this.endedWhole = true;
      if (body !== undefined) this.stream.end(body);
    } catch {
      this.cutStream();
    }
  }

  /** RST_STREAM: the client's other streams on the connection go on. */
  private cutStream(): void {
    this.finished = true;
    this.endedWhole = false;
    if (!this.stream.destroyed) this.stream.destroy(new Error("the response could not be finished"));
  }

  /** The stream closed: a routed request is reported once, cut unless its response ended properly (and no reset came after). */
  private completed(): void {
    const observer = this.observer;
    if (!observer) return;
    this.observer = undefined;
    const code = this.stream.rstCode;
    this.cut = !this.endedWhole || (code !== undefined && code !== 0);
    observer.completed(this);
  }

  private sendTrailers(): void {
    if (this.stream.destroyed) return;
    try {
      this.stream.sendTrailers(this.responseTrailers ?? {});
    } catch {
      this.cutStream();
    }
  }
}

/** One chunk of a body of unknown length to an HTTP/1.1 instance. */
function writeChunked(target: BodyTarget, chunk: Buffer): boolean {
  const { stream } = target;
  stream.cork();
  stream.write(`${chunk.length.toString(16)}\r\n`, "latin1");
  stream.write(chunk);
  const ready = stream.write("\r\n", "latin1");
  stream.uncork();
  return ready;
}

/** Whether this Node's `stream.respond` takes a raw header list (nodejs/node#59455); learnt on first use. */
let respondTakesList: boolean | undefined;

/** A response head from a raw list: as the list where Node takes one, else as a map. */
function respondWithList(stream: ServerHttp2Stream, status: number, list: string[], options: ServerStreamResponseOptions): void {
  if (respondTakesList !== false) {
    try {
      stream.respond([":status", String(status), ...list] as unknown as OutgoingHttpHeaders, options);
      respondTakesList = true;
      return;
    } catch (error) {
      // An older Node refuses the list's type before it sends anything: fall back to the map, for good.
      if (respondTakesList === true || (error as NodeJS.ErrnoException).code !== "ERR_INVALID_ARG_TYPE") throw error;
      respondTakesList = false;
    }
  }
  const headers = headersFromList(list);
  headers[":status"] = String(status);
  stream.respond(headers, options);
}

function isList(headers: HeaderMap | readonly string[]): headers is readonly string[] {
  return Array.isArray(headers);
}

/** A header or trailer section's size as HTTP/1.1 would write it (a name, ": ", a value, CRLF per field): HTTP/2 compresses it, so this is what was sent before compression. */
function fieldBytes(headers: HeaderMap | readonly string[]): number {
  let bytes = 0;
  if (isList(headers)) {
    for (let i = 0; i < headers.length; i += 2) bytes += headers[i].length + headers[i + 1].length + 4;
    return bytes;
  }
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) for (const one of value) bytes += name.length + one.length + 4;
    else bytes += name.length + value.length + 4;
  }
  return bytes;
}

/** The first value of a field in [name, value, ...] with lowercase names. */
function headerValue(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) return raw[i + 1];
  return undefined;
}
