import type net from "node:net";
import { parseRequestHead } from "./forwarding";
import { createRequestParser, type HttpParser } from "./http-parser";
import { IngressRequest, type ClientConnection } from "./ingress-request";

/** What the ingress does with the requests a connection reads. */
export interface RequestHandler {
  request(request: IngressRequest): void;
  /** Something threw where it never should: the connection is closed; the handler says so in its log. */
  bug(error: unknown): void;
  /** A request to switch protocols (a websocket): the socket is the handler's from here on, `head` the first bytes after the request's head. */
  upgrade(request: IngressRequest, socket: net.Socket, head: Buffer): void;
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
 * One client connection: HTTP/1.1 keep-alive and pipelining over a socket, read by llhttp.
 * Requests are handed over as their heads arrive; their responses go out in the order the requests
 * came (a later one's output waits in memory until the earlier ones are finished).
 */
export class IngressConnection implements ClientConnection {
  private readonly parser: HttpParser;
  /** Requests whose responses are owed, oldest first: only the first writes to the socket. */
  private readonly owed: IngressRequest[] = [];
  /** Output of owed requests whose turn has not come. */
  private readonly waiting = new Map<IngressRequest, (string | Buffer)[]>();
  /** The request whose body the parser is reading. */
  private receiving: IngressRequest | undefined;
  private upgrading: IngressRequest | undefined;
  /** When the connection began waiting for the next request head (0: a request is in progress). */
  private waitingSince: number;
  private partialHead = false;
  /** No more requests are read: the client is done sending, a response said close, or the socket went elsewhere. */
  private closing = false;
  /** The client half-closed: the connection ends once every owed response is out. */
  private clientDone = false;
  private tunnelAsked = false;
  /** The socket went to an upgrade's proxy: its lifetime is no longer HTTP's. */
  private upgraded = false;
  /** Owed requests whose response closes the connection (what follows them is not answered). */
  private readonly closers = new Set<IngressRequest>();
  private pauses = 0;
  private readonly onData = (chunk: Buffer) => this.read(chunk);
  private readonly onEnd = () => this.clientEnded();

  constructor(readonly socket: net.Socket, private readonly handler: RequestHandler) {
    this.waitingSince = Date.now();
    this.parser = createRequestParser({
      onHead: (method, url, rawHeaders, httpMinor, upgrade, keepAlive) => this.receiveHead(method, url, rawHeaders, httpMinor, upgrade, keepAlive),
      onBody: (chunk) => this.receiving?.receiveBody(chunk),
      onComplete: () => {
        const request = this.receiving;
        this.receiving = undefined;
        this.waitingSince = Date.now();
        this.partialHead = false;
        request?.receiveBodyEnd();
      },
    });
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("drain", () => this.owed[0]?.clientDrained());
    // A client's broken connection is that client's business; 'close' follows.
    socket.on("error", () => undefined);
    socket.once("close", () => this.closed());
  }

  output(request: IngressRequest, data: string | Buffer): boolean {
    if (this.owed[0] === request) return typeof data === "string" ? this.socket.write(data, "latin1") : this.socket.write(data);
    let queued = this.waiting.get(request);
    if (!queued) this.waiting.set(request, (queued = []));
    queued.push(data);
    return true;
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

  private read(chunk: Buffer): void {
    if (this.closing) return;
    if (this.waitingSince !== 0) this.partialHead = true;
    let parsed: number | Error;
    try {
      parsed = this.parser.execute(chunk);
    } catch (error) {
      // The parser's callbacks run the router's code; a throw there ends this connection, not the engine.
      this.socket.destroy();
      return this.handler.bug(error);
    }
    if (parsed instanceof Error) return this.refuse(parsed);
    if (this.tunnelAsked) return this.refuse(new Error("CONNECT is not served"));
    const upgrading = this.upgrading;
    if (upgrading) {
      this.upgrading = undefined;
      this.detach(upgrading);
      this.handler.upgrade(upgrading, this.socket, chunk.subarray(parsed));
    }
  }

  private receiveHead(method: string, url: string, rawHeaders: string[], httpMinor: number, upgrade: boolean, keepAlive: boolean): void {
    this.waitingSince = 0;
    this.partialHead = false;
    if (method === "CONNECT") {
      // A tunnel, which the ingress does not make: refused once the parse returns.
      this.closing = this.tunnelAsked = true;
      return;
    }
    const request = new IngressRequest(parseRequestHead(method, url, rawHeaders, this.socket.remoteAddress ?? ""), this, httpMinor, keepAlive);
    // A client pipelining without reading its answers is not read further until they go out.
    if (this.owed.push(request) === MAX_OWED) this.pauseReading();
    this.receiving = request;
    if (upgrade) {
      // Handed over once the parse returns, with the bytes that follow the head.
      this.upgrading = request;
      return;
    }
    if (httpMinor >= 1 && request.head.expect?.toLowerCase() === "100-continue" && this.owed.length === 1) {
      this.socket.write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    this.handler.request(request);
  }

  /** The oldest owed response is finished: drop it, and let the next one write what it has. */
  private advance(): void {
    while (this.owed[0]?.finished) {
      const done = this.owed.shift()!;
      if (this.owed.length === MAX_OWED - 1) this.resumeReading();
      if (this.closers.delete(done)) {
        for (const dropped of this.owed.splice(0)) dropped.clientClosed();
        return void this.socket.end();
      }
      const next = this.owed[0];
      if (!next) break;
      const queued = this.waiting.get(next);
      if (queued) {
        this.waiting.delete(next);
        for (const data of queued) this.output(next, data);
      }
    }
    if (this.owed.length > 0) return;
    if (this.clientDone) this.socket.end();
    else this.waitingSince = Date.now();
  }

  /** Not HTTP, or a head past the size limit: answered (when nothing else is owed) and closed, as Node's server does. */
  private refuse(error: NodeJS.ErrnoException): void {
    this.closing = true;
    this.tunnelAsked = false;
    if (this.owed.length > 0) return void this.socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    this.socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  }

  private clientEnded(): void {
    this.closing = true;
    this.clientDone = true;
    // A body cut off by the client's end can never be complete.
    if (this.receiving) return void this.socket.destroy();
    if (this.owed.length === 0) this.socket.end();
  }

  /** The socket is handed over for an upgrade: no more HTTP is read from it here. */
  private detach(request: IngressRequest): void {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    // Nothing reads it until the handler pipes it on: hold what the client sends meanwhile.
    this.socket.pause();
    this.upgraded = true;
    this.owed.splice(this.owed.indexOf(request), 1);
    this.closing = true;
  }

  private closed(): void {
    this.closing = true;
    this.parser.close();
    for (const request of this.owed.splice(0)) request.clientClosed();
    this.waiting.clear();
    this.closers.clear();
  }
}
