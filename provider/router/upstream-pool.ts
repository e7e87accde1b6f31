import net from "node:net";
import { createResponseParser, type HttpParser } from "./http-parser";

/** Where the proxy sends a request: an instance's address. */
export interface Upstream {
  host: string;
  port: number;
  /** At most this many requests run on it at once (its concurrency): the most idle connections kept. */
  maxConnections?: number;
  /** It speaks HTTP/2 cleartext (prior knowledge) rather than HTTP/1.1. */
  http2?: boolean;
  /** Behind Docker's userland proxy: whether the app listens, asked when a new connection is reset before any answer. */
  listening?: () => Promise<boolean>;
}

/** The request in flight on a connection: what it hears of the response and of the connection's end. */
export interface Exchange {
  /** Return true to skip the body (HEAD). 1xx heads other than 101 are not passed on. */
  onHead(status: number, statusMessage: string, rawHeaders: string[], upgrade: boolean): boolean;
  onBody(chunk: Buffer): void;
  /** The whole response has arrived; `trailers` ([name, value, ...]) followed its last chunk. */
  onComplete(trailers: string[]): void;
  /** Called after each chunk read from the instance has been parsed: the time to write out what it gave. */
  flush(): void;
  /** The connection failed or ended before the response was complete. */
  onFailure(error: NodeJS.ErrnoException): void;
}

/**
 * A connection to a local container is made in well under a millisecond. One that takes longer
 * than this goes to an address nobody answers at (a container that just died: its bridge address
 * answers nothing until ARP gives up, which takes many seconds), so it counts as unreachable.
 */
const CONNECT_TIMEOUT_MS = 2_000;
/** Idle connections close after 4 s, before a Node server's default 5 s keep-alive timeout closes them under us. */
const IDLE_CONNECTION_MS = 4_000;

/**
 * One keep-alive HTTP/1.1 connection to an instance: a socket and the parser of its responses.
 * It carries one exchange at a time and goes back to its pool when a response is complete, the
 * instance kept the connection open and the request was fully sent.
 */
export class UpstreamConnection {
  readonly socket: net.Socket;
  /** It has carried a response before: a failure on it may be the instance closing an idle connection. */
  reused = false;
  idleSince = 0;
  private exchange: Exchange | undefined;
  private readonly parser: HttpParser;
  private keepAlive = false;
  private interim = false;
  private requestSent = false;
  private error: NodeJS.ErrnoException | undefined;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: UpstreamPool,
    upstream: Upstream,
  ) {
    this.socket = net.connect({ host: upstream.host, port: upstream.port, noDelay: true });
    // Its requests keep the engine running through their clients' connections; an idle one must not
    // keep a stopping engine alive until the sweep closes it (as h2-upstream-pool.ts's sessions).
    this.socket.unref();
    this.connectTimer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`);
      error.code = "ECONNTIMEOUT";
      this.socket.destroy(error);
    }, CONNECT_TIMEOUT_MS);
    this.socket.once("connect", () => this.clearConnectTimer());
    this.parser = createResponseParser({
      onHead: (status, message, headers, upgrade, keepAlive) => {
        const exchange = this.exchange;
        if (!exchange) {
          // A response nobody asked for: the connection can no longer be trusted.
          this.socket.destroy();
          return true;
        }
        this.interim = status < 200 && status !== 101;
        if (this.interim) return false;
        this.keepAlive = keepAlive;
        return exchange.onHead(status, message, headers, upgrade);
      },
      onBody: (chunk) => this.exchange?.onBody(chunk),
      onComplete: (trailers) => {
        if (this.interim) return void (this.interim = false);
        const exchange = this.exchange;
        this.exchange = undefined;
        // Back in the pool before the exchange hears of it: the request its end lets go (the next
        // one pipelined on the client's connection) then takes this connection, not a new one.
        if (this.keepAlive && this.requestSent && !this.socket.destroyed) this.pool.release(this);
        else this.socket.destroy();
        exchange?.onComplete(trailers);
      },
    });
    this.socket.on("data", (chunk: Buffer) => this.read(chunk));
    this.socket.on("end", () => {
      this.pool.forget(this);
      // A body that runs until the connection ends completes here; anything else was cut off.
      const error = this.parser.finish();
      if (this.exchange) this.fail(error ?? connectionClosed());
    });
    this.socket.on("error", (error: NodeJS.ErrnoException) => (this.error ??= error));
    this.socket.on("close", () => {
      this.clearConnectTimer();
      this.pool.forget(this);
      this.parser.close();
      if (this.exchange) this.fail(this.error ?? connectionClosed());
    });
  }

  /** Sends a request head (the body, if any, follows with `write` and `endRequest`). */
  start(exchange: Exchange, head: string, hasBody: boolean): void {
    this.exchange = exchange;
    this.keepAlive = false;
    this.interim = false;
    this.requestSent = !hasBody;
    this.socket.write(head, "latin1");
  }

  /** The request body was written to its end. */
  endRequest(): void {
    this.requestSent = true;
  }

  /** Gives up the exchange: the connection is closed, never reused mid-response. */
  abandon(): void {
    this.exchange = undefined;
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    const exchange = this.exchange;
    let parsed: number | Error;
    try {
      parsed = this.parser.execute(chunk);
    } catch (error) {
      // The parser's callbacks run the proxy's code; a throw there fails this request, not the engine.
      return this.fail(error as NodeJS.ErrnoException);
    }
    if (parsed instanceof Error) return this.fail(parsed);
    exchange?.flush();
  }

  private fail(error: NodeJS.ErrnoException): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.socket.destroy();
    exchange?.onFailure(error);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }
}

/** The instance closed the connection before its answer was complete (what Node's client calls a hang-up). */
function connectionClosed(): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error("the connection closed before the response was complete");
  error.code = "ECONNRESET";
  return error;
}

/**
 * The idle connections to one instance, newest first out (so the oldest idle out and close), made
 * on its first request and gone with it.
 */
export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = [];
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly upstream: Upstream) {}

  /** An idle connection, or a new one. */
  take(): UpstreamConnection {
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      // One the instance has just closed may not have been forgotten yet: its 'close' comes a tick later.
      if (connection.socket.writable) return connection;
    }
    return new UpstreamConnection(this, this.upstream);
  }

  /** Closes every idle connection: the instance closed one, so it most likely closed them all. */
  reset(): void {
    for (const connection of this.idle.splice(0)) connection.socket.destroy();
  }

  release(connection: UpstreamConnection): void {
    if (this.idle.length >= (this.upstream.maxConnections ?? 256)) return void connection.socket.destroy();
    connection.reused = true;
    connection.idleSince = Date.now();
    this.idle.push(connection);
    this.sweeper ??= setInterval(() => this.sweep(), IDLE_CONNECTION_MS / 4).unref();
  }

  forget(connection: UpstreamConnection): void {
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_CONNECTION_MS;
    // The oldest idle connections are at the bottom of the stack.
    while (this.idle.length > 0 && this.idle[0].idleSince <= cutoff) this.idle.shift()!.socket.destroy();
    if (this.idle.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

const pools = new WeakMap<Upstream, UpstreamPool>();

export function poolFor(upstream: Upstream): UpstreamPool {
  let pool = pools.get(upstream);
  if (!pool) {
    pool = new UpstreamPool(upstream);
    pools.set(upstream, pool);
  }
  return pool;
}
