import http2 from "node:http2";
import type net from "node:net";
import { H2IngressStream } from "./h2-ingress-stream";

/**
 * A client's HTTP/2 session closes (GOAWAY, then its open streams finish) after this long without
 * a frame either way. Longer than HTTP/1.1's 5 s keep-alive: gRPC clients keep one connection per
 * channel, and each reconnection costs them a round trip and a SETTINGS exchange.
 */
const SESSION_IDLE_MS = 60_000;
/**
 * Streams one client connection may have open at once. HTTP/1.1 clients get as many connections
 * as they open; an HTTP/2 client gets this many streams per connection (past it Node refuses
 * a stream with REFUSED_STREAM, which clients retry). The throttler limits what reaches instances.
 */
const MAX_STREAMS_PER_SESSION = 1_000;

/** What the ingress does with each stream an HTTP/2 client opens. */
export interface StreamHandler {
  stream(call: H2IngressStream): void;
  /** Something threw where it never should: the stream is reset; the handler says so in its log. */
  bug(error: unknown): void;
}

/**
 * The ingress's HTTP/2 side: connections whose first bytes were the HTTP/2 preface (see
 * h2-preface.ts), handed over by IngressConnection, each run as a session of Node's `http2`.
 * One Http2Server per listener, which itself listens nowhere: it is given each socket through its
 * public 'connection' event, with the bytes already read put back in the socket first. Every
 * stream becomes an H2IngressStream, routed, gated and throttled exactly like an HTTP/1.1 request.
 *
 * A session's errors (a malformed frame, a flow-control violation, a reset connection) end that
 * session only: Node answers GOAWAY with the error code and closes it; nothing reaches the engine.
 */
export class H2Sessions {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();

  /** Each session's client address. */
  private readonly remoteAddresses = new WeakMap<http2.Http2Session, string>();

  constructor(
    private readonly handler: StreamHandler,
    /** Sessions on the Docker bridge's listener: from the engine's own containers. */
    private readonly fromContainers: boolean,
  ) {
    this.server = http2.createServer({ settings: { maxConcurrentStreams: MAX_STREAMS_PER_SESSION } });
    this.server.on("session", (session) => this.track(session));
    this.server.on("stream", (stream, _headers, _flags, rawHeaders) => this.receive(stream, rawHeaders));
    // Node emits a session's 'error' here too; the session is already being closed.
    this.server.on("sessionError", () => undefined);
  }

  /** Takes over a client connection that began with the preface; `firstBytes` were read from it already. */
  accept(socket: net.Socket, firstBytes: Buffer): void {
    // Put back while the socket is paused: the session takes what the socket holds when it starts
    // (a flowing socket would hand these bytes to 'data' listeners, of which there are none).
    socket.unshift(firstBytes);
    this.server.emit("connection", socket);
  }

  /** At shutdown: idle sessions must not hold the engine open. */
  closeAll(): void {
    for (const session of this.sessions) session.destroy();
  }

  private track(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    // Read once per session: the socket's address is a system call (and its socket a Proxy) per read.
    this.remoteAddresses.set(session, session.socket?.remoteAddress ?? "");
    session.once("close", () => this.sessions.delete(session));
    session.on("error", () => undefined);
    session.setTimeout(SESSION_IDLE_MS, () => session.close());
  }

  private receive(stream: http2.ServerHttp2Stream, rawHeaders: string[]): void {
    let call: H2IngressStream;
    try {
      const remote = (stream.session && this.remoteAddresses.get(stream.session)) ?? stream.session?.socket?.remoteAddress ?? "";
      call = new H2IngressStream(stream, rawHeaders, remote, this.fromContainers);
    } catch (error) {
      stream.on("error", () => undefined);
      stream.destroy();
      return this.handler.bug(error);
    }
    this.handler.stream(call);
  }
}
