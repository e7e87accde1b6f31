import type net from "node:net";
import { parseRequestHead } from "./forwarding";
import { prefaceMatch } from "./h2-preface";
import { createRequestParser, type HttpParser } from "./http-parser";
import { IngressRequest, type ClientConnection } from "./ingress-request";

/** What the ingress does with the requests a connection reads. */
export interface RequestHandler {
  request(request: IngressRequest): void;
  /** Something threw where it never should: the connection is closed; the handler says so in its log. */
  bug(error: unknown): void;
  /** A request to switch protocols (a websocket): the socket is the handler's from here on, `head` the first bytes after the request's head. */
  upgrade(request: IngressRequest, socket: net.Socket, head: Buffer): void;
  /** The connection began with HTTP/2's preface: the socket is the handler's from here on, `firstBytes` what was read of it. */
  http2(socket: net.Socket, firstBytes: Buffer, fromContainer: boolean): void;
}

export interface ConnectionTimeouts {
  /** An idle kept-alive connection closes after this long. */
  keepAliveMs: number;
  /** A request head must arrive whole within this long (slow-head clients hold no connection forever). */
  headersMs: number;
}

/** Answers owed on one connection (pipelined requests) before the client is no longer read. */
const MAX_OWED = 16;
/**
 * After the connection's last answer the ingress closes its side and reads (and drops) what the
 * client still sends, for at most this long, before it lets go: closing a socket with unread bytes
 * makes the kernel send a reset, which can destroy the answer before the client reads it (nginx's
 * lingering close, lingering_timeout 5 s).
 */
const LINGER_MS = 5_000;

/**
 * One client connection: HTTP/1.1 keep-alive and pipelining over a socket, read by llhttp.
 *
 * Pipelined requests are proxied one at a time, in the order they came, as nginx does: the next is
 * handed over once the one before it is answered. Their answers must go out in that order anyway,
 * so running them at once would only hold finished answers in memory, and it would let one client
 * connection open as many connections to an instance as it pipelines requests (an app with a small
 * listen backlog then drops connections and answers in tens of seconds). While a request waits its
 * turn its body is held (see IngressRequest), and past MAX_OWED the client is not read.
 *
 * Rules at the framing's edges, each with nginx's answer to the same bytes beside it:
 * - bytes after a request that closes the connection (`Connection: close`, HTTP/1.0) are not read;
 *   the request is answered, then the connection closes (RFC 9112 §9.6; nginx the same);
 * - a head that is not HTTP, or a second one that arrives broken after good ones: the good ones are
 *   answered in order, then 400 and close (nginx the same);
 * - a chunked body with broken framing: 400 if its answer has not begun, then close (nginx: 400);
 * - trailers: see forwarding.ts lastChunk (nginx drops them; the ingress passes them on in chunks).
 * - `Expect: 100-continue`: 100 goes out once the body has somewhere to go (IngressRequest.pipeBodyTo),
 *   so a refusal (404, 401/403, 413, 429, ...) is the only answer and the body is never sent for
 *   nothing; the connection then closes, as the client may or may not send it (RFC 9110 §10.1.1;
 *   nginx the same: 100 only when it reads the body, after client_max_body_size).
 */
export class IngressConnection implements ClientConnection {
  private readonly parser: HttpParser;
  /** Requests whose responses are owed, oldest first: only the first writes to the socket, and only it has been handed over. */
  private readonly owed: IngressRequest[] = [];
  /** Owed requests refused when their turn comes (a bad head): the status and why. */
  private readonly refusals = new Map<IngressRequest, { status: number; reason: string }>();
  /** The request whose body the parser is reading. */
  private receiving: IngressRequest | undefined;
  /** An upgrade (a websocket) waiting for its turn, with the bytes that followed its head (once the parse has returned). */
  private upgrading: { request: IngressRequest; head: Buffer | undefined } | undefined;
  /** When the connection began waiting for the next request head (0: a request is in progress). */
  private waitingSince: number;
  private partialHead = false;
  /** Until the connection's first bytes are known not to be HTTP/2's preface (h2-preface.ts); a beginning of it is held here. */
  private sniffing = true;
  private sniffed: Buffer | undefined;
  /** No more requests are read: the client is done sending, a request said close or was refused, or the socket went elsewhere. */
  private closing = false;
  /** The client half-closed: the connection ends once every owed response is out. */
  private clientDone = false;
  /** The socket went to an upgrade's proxy: its lifetime is no longer HTTP's. */
  private upgraded = false;
  /** Owed requests whose response closes the connection (what follows them is not answered). */
  private readonly closers = new Set<IngressRequest>();
  private pauses = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer) => this.read(chunk);
  private readonly onEnd = () => this.clientEnded();

  constructor(
    readonly socket: net.Socket,
    private readonly handler: RequestHandler,
    /** It came in on the Docker bridge: from one of the engine's own containers. */
    readonly fromContainer = false,
  ) {
    this.waitingSince = Date.now();
    this.parser = createRequestParser({
      onHead: (method, url, rawHeaders, httpMinor, upgrade, keepAlive) =>
        this.receiveHead(method, url, rawHeaders, httpMinor, upgrade, keepAlive),
      onBody: (chunk) => this.receiving?.receiveBody(chunk),
      onComplete: (trailers) => {
        const request = this.receiving;
        this.receiving = undefined;
        this.waitingSince = Date.now();
        this.partialHead = false;
        request?.receiveBodyEnd(trailers);
      },
    });
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("drain", () => this.owed[0]?.clientDrained());
    // A client's broken connection is that client's business; 'close' follows.
    socket.on("error", () => undefined);
    socket.once("close", () => this.closed());
  }

  /** Only the oldest owed request has been handed over, so only it writes. */
  output(data: string | Buffer): boolean {
    return typeof data === "string" ? this.socket.write(data, "latin1") : this.socket.write(data);
  }

  responded(request: IngressRequest, keepAlive: boolean): void {
    if (!keepAlive) {
      this.closers.add(request);
      this.closing = true;
    }
    if (this.owed[0] === request) this.advance();
  }

  /** Counted: each reason to stop reading the client (a held body, a slow instance, too many owed answers) resumes on its own. */
  pauseReading(): void {
    if (this.pauses++ === 0) this.socket.pause();
  }

  resumeReading(): void {
    if (this.pauses > 0 && --this.pauses === 0 && !this.upgraded) this.socket.resume();
  }

  /** Idle past keepAliveMs, or a head arriving for longer than headersMs. */
  expired(now: number, timeouts: ConnectionTimeouts): boolean {
    if (this.upgraded || this.waitingSince === 0 || this.owed.length > 0) return false;
    return now - this.waitingSince > (this.partialHead ? timeouts.headersMs : timeouts.keepAliveMs);
  }

  private read(data: Buffer): void {
    // Once closing, what the client still sends is read and dropped (see LINGER_MS).
    if (this.closing) return;
    if (this.waitingSince !== 0) this.partialHead = true;
    let chunk = data;
    if (this.sniffing) {
      const http1 = this.sniff(data);
      if (!http1) return;
      chunk = http1;
    }
    let parsed: number | Error;
    try {
      parsed = this.parser.execute(chunk);
    } catch (error) {
      // The parser's callbacks run the router's code; a throw there ends this connection, not the engine.
      this.socket.destroy();
      return this.handler.bug(error);
    }
    if (parsed instanceof Error) return this.refuse(parsed);
    if (this.upgrading && this.upgrading.head === undefined) {
      // The parser stops at an upgrade's head: what follows is the new protocol's.
      this.upgrading.head = chunk.subarray(parsed);
      this.stopReading();
      if (this.owed[0] === this.upgrading.request) this.handOverUpgrade();
    }
  }

  /**
   * The connection's first bytes: HTTP/2's preface hands the socket to the handler's HTTP/2 side
   * (prior knowledge, RFC 9113 §3.3; no Upgrade: h2c, which RFC 9113 dropped); anything else is
   * HTTP/1.1 for the connection's life, returned to be parsed. A beginning of the preface is held
   * until it is whole or turns out not to be it.
   */
  private sniff(data: Buffer): Buffer | undefined {
    const bytes = this.sniffed ? Buffer.concat([this.sniffed, data]) : data;
    const match = prefaceMatch(bytes);
    if (match === "partial") {
      this.sniffed = bytes;
      return undefined;
    }
    this.sniffing = false;
    this.sniffed = undefined;
    if (match === "http1") return bytes;
    this.stopReading();
    this.upgraded = true;
    this.handler.http2(this.socket, bytes, this.fromContainer);
    return undefined;
  }

  private receiveHead(method: string, url: string, rawHeaders: string[], httpMinor: number, upgrade: boolean, keepAlive: boolean): void {
    this.waitingSince = 0;
    this.partialHead = false;
    if (this.closing) {
      // A request after one that closes the connection, in the same read: not answered.
      this.receiving = undefined;
      return;
    }
    if (method === "CONNECT") {
      // A tunnel, which the ingress does not make.
      return this.refuseAfterOwed("CONNECT is not served");
    }
    const head = parseRequestHead(method, url, rawHeaders, this.socket.remoteAddress ?? "", httpMinor);
    const request = new IngressRequest(head, this, httpMinor, keepAlive && !head.invalid);
    this.owe(request);
    this.receiving = request;
    if (head.invalid) {
      // Answered 400 in its turn; nothing after it is read.
      this.refusals.set(request, { status: 400, reason: head.invalid });
      this.closing = true;
    } else if (upgrade) {
      // Handed over once the parse returns, with the bytes that follow the head, when its turn comes.
      this.upgrading = { request, head: undefined };
      return;
    }
    if (this.owed.length === 1) this.dispatch(request);
  }

  private owe(request: IngressRequest): void {
    // A client pipelining without reading its answers is not read further until they go out.
    if (this.owed.push(request) === MAX_OWED) this.pauseReading();
  }

  /** The request's turn has come (it is the oldest owed): it goes to the handler, or gets its 400. */
  private dispatch(request: IngressRequest): void {
    const refusal = this.refusals.get(request);
    if (refusal) {
      this.refusals.delete(request);
      return request.sendError(refusal.status, refusal.reason);
    }
    if (this.upgrading?.request === request) {
      // Until the parse returns, the bytes after its head are not known: read() hands it over then.
      if (this.upgrading.head !== undefined) this.handOverUpgrade();
      return;
    }
    this.handler.request(request);
  }

  /** The oldest owed response is finished: drop it, and hand over the next one. */
  private advance(): void {
    while (this.owed[0]?.finished) {
      const done = this.owed.shift()!;
      if (this.owed.length === MAX_OWED - 1) this.resumeReading();
      if (this.closers.delete(done)) {
        for (const dropped of this.owed.splice(0)) dropped.clientClosed();
        return this.closeAfterAnswers();
      }
      const next = this.owed[0];
      if (!next) break;
      this.dispatch(next);
    }
    if (this.owed.length > 0) return;
    if (this.clientDone) this.closeAfterAnswers();
    else this.waitingSince = Date.now();
  }

  /**
   * The client sent what is not HTTP (a bad head, a head past the size limit, bad chunk framing)
   * or bytes after a request that closes the connection: nothing more is read. What was read
   * before is answered in order; a bad head gets 400 (431 past the size limit) after those answers,
   * as nginx does; a broken body fails its own request.
   */
  private refuse(error: NodeJS.ErrnoException): void {
    this.closing = true;
    // Bytes after `Connection: close` (or an HTTP/1.0 request): the request before them is answered, they are not.
    if (error.code === "HPE_CLOSED_CONNECTION") return;
    const receiving = this.receiving;
    if (receiving) {
      this.receiving = undefined;
      return receiving.failBody();
    }
    if (error.code === "HPE_HEADER_OVERFLOW") this.refuseAfterOwed("the request head is too large", 431);
    else this.refuseAfterOwed("the request is not valid HTTP/1.1");
  }

  /** An answer owed to a head that could not be read: in its turn, then the connection closes. */
  private refuseAfterOwed(reason: string, status = 400): void {
    this.closing = true;
    const request = new IngressRequest(parseRequestHead("GET", "/", ["host", ""], this.socket.remoteAddress ?? ""), this, 1, false);
    this.owe(request);
    this.refusals.set(request, { status, reason });
    if (this.owed.length === 1) this.dispatch(request);
  }
  private clientEnded(): void {
    this.closing = true;
    this.clientDone = true;
    // A body cut off by the client's end can never be complete.
    if (this.receiving && !this.refusals.has(this.receiving)) return void this.socket.destroy();
    if (this.owed.length === 0) this.closeAfterAnswers();
  }

  /** Every answer owed is out: the ingress ends its side and lingers (see LINGER_MS). */
  private closeAfterAnswers(): void {
    this.closing = true;
    this.socket.end();
    if (this.upgraded) return;
    this.pauses = 0;
    this.socket.resume();
    this.lingerTimer ??= setTimeout(() => this.socket.destroy(), LINGER_MS);
  }

  /** An upgrade waits for its turn: the client's bytes stay in the socket for whoever takes it over. */
  private stopReading(): void {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.pause();
    this.closing = true;
  }

  /** The socket goes to the upgrade's handler: no more HTTP is read from it here. */
  private handOverUpgrade(): void {
    const { request, head } = this.upgrading!;
    this.upgrading = undefined;
    this.stopReading();
    this.upgraded = true;
    this.owed.splice(this.owed.indexOf(request), 1);
    this.handler.upgrade(request, this.socket, head ?? Buffer.alloc(0));
  }

  private closed(): void {
    this.closing = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.parser.close();
    for (const request of this.owed.splice(0)) request.clientClosed();
    this.closers.clear();
    this.refusals.clear();
  }
}
