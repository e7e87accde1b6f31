import { STATUS_CODES } from "node:http";
import type net from "node:net";
import type { Writable } from "node:stream";
import { lastChunk, TOKEN, UNSENDABLE, type RequestHead } from "./forwarding";
import type { BodyTarget } from "./proxy-client";
import type { CompletedRequest, RequestObserver, ServedBy } from "./request-observer";
import { withAffinityCookie } from "./session-affinity";

/** What a request needs of the client connection it came on. */
export interface ClientConnection {
  readonly socket: net.Socket;
  /** It came in on the Docker bridge: from one of the engine's own containers. */
  readonly fromContainer: boolean;
  /** Writes to the client (only a request whose turn has come is handed over, so responses go out in the order requests came). */
  output(data: string | Buffer): boolean;
  /** `request`'s response is complete: the next one's may go out. */
  responded(request: IngressRequest, keepAlive: boolean): void;
  pauseReading(): void;
  resumeReading(): void;
}

/** Bodies held while a request waits for an instance; past this the client is not read until one is found. */
const HELD_BODY_BYTES = 64 * 1024;

/** One cached Date header value a second, as Node's server does. */
let dateLine = "";
let dateSecond = 0;
function currentDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateLine = new Date(second * 1000).toUTCString();
  }
  return dateLine;
}

/** One chunk of a chunked body as one write: its size line, its bytes, CRLF. */
function writeChunk(socket: Writable, put: (data: string | Buffer) => boolean, chunk: Buffer): boolean {
  socket.cork();
  put(`${chunk.length.toString(16)}\r\n`);
  put(chunk);
  const ready = put("\r\n");
  socket.uncork();
  return ready;
}

/**
 * One client request and its response: the head the parser read, its body on its way to the
 * instance, and the response written back with the framing this client understands (its length,
 * chunks for HTTP/1.1, or the connection's end for HTTP/1.0).
 */
export class IngressRequest implements CompletedRequest {
  /** The response has begun: an error can no longer be a status, only a cut connection. */
  headersSent = false;
  finished = false;
  private bodyEnded = false;
  private heldBody: Buffer[] = [];
  private heldBytes = 0;
  private sink: BodyTarget | undefined;
  /** The request failed before its body found an instance: the rest of the body is read and dropped. */
  private bodyDropped = false;
  private pausedWhileHeld = false;
  private framing: "length" | "chunked" | "close" | "none" = "length";
  /** The body's chunked framing was broken (and the connection will close): it can never reach the instance whole. */
  bodyBroken = false;
  private trailers: string[] | undefined;
  private closeListener: (() => void) | undefined;
  private bodyBrokenListener: (() => void) | undefined;
  private drainListener: (() => void) | undefined;
  // What a request log entry and the metrics read once the response is complete (request-observer.ts).
  readonly startedAt = performance.now();
  status = 0;
  requestBodyBytes = 0;
  responseBytes = 0;
  cut = false;
  servedBy!: ServedBy;
  instanceId: string | undefined;
  affinityCookie: string | undefined = undefined;
  private observer: RequestObserver | undefined;

  constructor(
    readonly head: RequestHead,
    private readonly connection: ClientConnection,
    /** HTTP/1.0 (0) or 1.1 (1). */
    readonly httpMinor: number,
    /** The client allows the connection to stay open after this response. */
    private keepAlive: boolean,
  ) {
    if (!head.hasBody) this.bodyEnded = true;
  }

  get protocol(): string {
    return this.httpMinor === 0 ? "HTTP/1.0" : "HTTP/1.1";
  }

  /** The request came from one of the engine's own containers (an internal service answers only these). */
  get fromContainer(): boolean {
    return this.connection.fromContainer;
  }

  /** The request was routed to `servedBy`: `observer` is told when its response is complete. */
  observe(observer: RequestObserver, servedBy: ServedBy): void {
    this.observer = observer;
    this.servedBy = servedBy;
  }

  // ---- the request body, from the parser to the instance ----

  /** A piece of the body, as the parser decoded it. */
  receiveBody(chunk: Buffer): void {
    if (chunk.length === 0 || this.bodyDropped) return;
    this.requestBodyBytes += chunk.length;
    if (this.sink) return void this.writeToSink(chunk);
    // Copied: the parser's chunk is a view of a read buffer that is not ours to keep.
    this.heldBody.push(Buffer.from(chunk));
    this.heldBytes += chunk.length;
    if (this.heldBytes > HELD_BODY_BYTES && !this.pausedWhileHeld) {
      this.pausedWhileHeld = true;
      this.connection.pauseReading();
    }
  }

  /** The body is complete; `trailers` ([name, value, ...]) followed its last chunk. */
  receiveBodyEnd(trailers?: string[]): void {
    this.bodyEnded = true;
    if (trailers && trailers.length > 0) this.trailers = trailers;
    if (this.sink) this.endSink(this.sink);
  }

  /**
   * The client's body broke off in a way no instance could read (bad chunk framing): the request
   * fails with 400 where its answer has not begun, and the connection closes after it.
   */
  failBody(): void {
    this.bodyBroken = true;
    this.keepAlive = false;
    const listener = this.bodyBrokenListener;
    this.bodyBrokenListener = undefined;
    if (listener) listener();
    else this.dropBody();
  }

  /** Sends the body (what was held, then what comes) to the instance; its `onEnd` once all of it went. */
  pipeBodyTo(sink: BodyTarget): void {
    // The client waits for this before it sends the body (see IngressConnection on Expect).
    if (this.wantsContinue()) this.connection.output("HTTP/1.1 100 Continue\r\n\r\n");
    this.sink = sink;
    for (const chunk of this.heldBody) this.writeToSink(chunk);
    this.releaseHeld();
    if (this.bodyEnded) this.endSink(sink);
  }

  /** The client asked to be told to send its body (`Expect: 100-continue`) and has not sent any of it yet. */
  wantsContinue(): boolean {
    return (
      this.httpMinor >= 1 &&
      !this.bodyEnded &&
      this.requestBodyBytes === 0 &&
      !this.headersSent &&
      this.head.expect !== undefined &&
      this.head.expect.toLowerCase() === "100-continue"
    );
  }

  /** The body goes nowhere (the request failed). */
  dropBody(): void {
    this.bodyDropped = true;
    this.sink = undefined;
    this.releaseHeld();
  }

  private releaseHeld(): void {
    this.heldBody = [];
    this.heldBytes = 0;
    if (this.pausedWhileHeld) {
      this.pausedWhileHeld = false;
      this.connection.resumeReading();
    }
  }

  private writeToSink(chunk: Buffer): void {
    const { stream, chunked } = this.sink!;
    if (stream.destroyed) return;
    const ready = chunked ? writeChunk(stream, (data) => stream.write(data), chunk) : stream.write(chunk);
    if (!ready) {
      // The instance reads slower than the client sends: stop reading the client until it drains.
      this.connection.pauseReading();
      stream.once("drain", () => this.connection.resumeReading());
    }
  }

  private endSink(sink: BodyTarget): void {
    if (sink.stream.destroyed) return;
    if (sink.chunked) sink.stream.write(lastChunk(this.trailers), "latin1");
    sink.onEnd(this.trailers);
  }

  // ---- the response, to the client ----

  /**
   * Writes the response's head, and `body` after it in the same write. `complete`: `body` is the
   * whole body, so its length is sent when the instance gave none. Throws when a header cannot
   * go out as it is (the caller answers 502 instead).
   */
  respond(
    status: number,
    statusMessage: string,
    headers: readonly string[],
    hasLength: boolean,
    body: Buffer | undefined,
    complete: boolean,
  ): void {
    if (UNSENDABLE.test(statusMessage)) throw new Error(`invalid status message ${JSON.stringify(statusMessage)}`);
    if (this.affinityCookie !== undefined) headers = withAffinityCookie(headers, this.affinityCookie);
    let head = `HTTP/1.1 ${status} ${statusMessage}\r\n`;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      if (!TOKEN.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
      if (UNSENDABLE.test(value)) throw new Error(`invalid value for header ${name}`);
      if (name.length === 4 && name.toLowerCase() === "date") hasDate = true;
      head += `${name}: ${value}\r\n`;
    }
    if (!hasDate) head += `date: ${currentDate()}\r\n`;
    const bodyless = this.head.method === "HEAD" || status < 200 || status === 204 || status === 304;
    if (bodyless) this.framing = "none";
    else if (hasLength) this.framing = "length";
    else if (complete) {
      this.framing = "length";
      head += `content-length: ${body?.length ?? 0}\r\n`;
    } else if (this.httpMinor >= 1) {
      this.framing = "chunked";
      head += "transfer-encoding: chunked\r\n";
    } else {
      // An HTTP/1.0 client knows a body without a length ends with the connection.
      this.framing = "close";
      this.keepAlive = false;
    }
    if (!this.keepAlive) head += "connection: close\r\n";
    else if (this.httpMinor === 0) head += "connection: keep-alive\r\n";
    head += "\r\n";
    this.headersSent = true;
    this.status = status;
    this.responseBytes += head.length;
    const socket = this.connection.socket;
    if (body && body.length > 0 && !bodyless) {
      socket.cork();
      this.connection.output(head);
      this.write(body);
      socket.uncork();
    } else {
      this.connection.output(head);
    }
    if (complete) this.end();
  }

  /** A piece of the body; false when the client should be given time to read (see onDrain). */
  write(chunk: Buffer): boolean {
    if (this.finished || chunk.length === 0) return true;
    this.responseBytes += chunk.length;
    switch (this.framing) {
      case "none":
        return true;
      case "chunked":
        return writeChunk(this.connection.socket, (data) => this.connection.output(data), chunk);
      default:
        return this.connection.output(chunk);
    }
  }

  /** Whether trailers can reach this client: it takes a chunked response (HTTP/1.1) with a body. */
  takesTrailers(): boolean {
    return this.httpMinor >= 1 && this.head.method !== "HEAD";
  }

  /** The response is complete; `trailers` go out after its last chunk where it is chunked, else nowhere. */
  end(trailers?: readonly string[]): void {
    if (this.finished) return;
    this.finished = true;
    if (this.framing === "chunked") this.connection.output(lastChunk(trailers));
    this.observer?.completed(this);
    this.connection.responded(this, this.keepAlive);
  }

  /** An error answer as text (with the connection kept, unless the client asked otherwise). */
  sendError(status: number, message: string, challenge?: string): void {
    this.dropBody();
    // A body refused for its size is not read to its end to keep the connection (nginx closes too);
    // nor is one the client was never told to send: it may not come.
    if (status === 413 || this.wantsContinue()) this.keepAlive = false;
    if (this.headersSent) return this.destroy();
    const body = Buffer.from(`${message}\n`);
    this.respond(
      status,
      STATUS_CODES[status] ?? "Error",
      [
        "content-type",
        "text/plain; charset=utf-8",
        "content-length",
        String(body.length),
        ...(challenge === undefined ? [] : ["www-authenticate", challenge]),
      ],
      true,
      body,
      true,
    );
  }

  /** Cuts the client's connection: a response that cannot be finished properly. */
  destroy(): void {
    this.dropBody();
    if (!this.finished) {
      this.cut = true;
      this.observer?.completed(this);
    }
    this.finished = true;
    this.connection.socket.destroy();
  }

  // ---- what the proxy hears of the client ----

  /** The client's connection closed before this response was finished. */
  onClose(listener: () => void): void {
    this.closeListener = listener;
  }

  /** The client's body broke off while this request was being proxied (see failBody). */
  onBodyBroken(listener: () => void): void {
    this.bodyBrokenListener = listener;
  }

  /** The client read what was written (after `write` answered false). */
  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  /** From the connection. */
  clientClosed(): void {
    if (!this.finished) this.closeListener?.();
  }

  /** From the connection. */
  clientDrained(): void {
    const listener = this.drainListener;
    this.drainListener = undefined;
    listener?.();
  }
}
