import http2 from "node:http2";
import net from "node:net";
import type { Upstream } from "./upstream-pool";

/** As for HTTP/1.1 (upstream-pool.ts): a local container accepts in well under a millisecond; longer is an address nobody answers at. */
const CONNECT_TIMEOUT_MS = 2_000;
/**
 * A session to an instance closes after this long without a frame. Requests of any number share
 * it, so keeping it costs one socket per instance; it goes soon after its instance stops serving.
 */
const SESSION_IDLE_MS = 30_000;

/**
 * The one HTTP/2 cleartext session (prior knowledge) to an instance of an http2 service, shared
 * by all its requests as streams. The throttler leases at most the instance's concurrency at once,
 * so at most that many streams are open on it (and never more than the instance's own
 * SETTINGS_MAX_CONCURRENT_STREAMS: Node holds a stream past it until one closes).
 *
 * A session that fails, ends, or receives GOAWAY is let go at once; the next request opens a new
 * one. Streams already open on a session that got GOAWAY finish on it (those the instance will
 * not process are refused with REFUSED_STREAM, which the proxy may send elsewhere).
 */
export class H2UpstreamPool {
  private current: http2.ClientHttp2Session | undefined;

  constructor(private readonly upstream: Upstream) {}

  /** A session that takes new streams: the current one, or a new connection. */
  session(): http2.ClientHttp2Session {
    const current = this.current;
    if (current && !current.closed && !current.destroyed) return current;
    return (this.current = this.connect());
  }

  private connect(): http2.ClientHttp2Session {
    const { host, port } = this.upstream;
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`);
      error.code = "ECONNTIMEOUT";
      socket.destroy(error);
    }, CONNECT_TIMEOUT_MS);
    socket.once("connect", () => clearTimeout(timer));
    // Before Node's own listener (which closes the session's streams, ending their readable sides
    // as if each had ended): see sessionLost.
    socket.once("close", () => {
      clearTimeout(timer);
      lost.add(session);
    });
    const session: http2.ClientHttp2Session = http2.connect(`http://${host.includes(":") ? `[${host}]` : host}:${port}`, {
      createConnection: () => socket,
      settings: { enablePush: false },
    });
    const forget = () => {
      if (this.current === session) this.current = undefined;
    };
    // Its streams hear of a failure themselves (the proxy classifies it there).
    session.on("error", forget);
    session.on("goaway", forget);
    session.once("close", forget);
    session.setTimeout(SESSION_IDLE_MS, () => {
      forget();
      session.close();
    });
    // Its requests keep the engine running through their clients' connections; the session itself
    // must not keep a stopping engine alive until its idle timeout.
    session.unref();
    return session;
  }
}

const pools = new WeakMap<Upstream, H2UpstreamPool>();
const lost = new WeakSet<http2.ClientHttp2Session>();

/**
 * The session's connection closed. When it does, Node ends the readable side of each stream still
 * open on it as if the instance had ended it (the 'end' event, and 'close' with code 0 for all but
 * the last): a response cut off with its connection would pass for a whole one. The proxy asks
 * this at a stream's end instead.
 */
export function sessionLost(session: http2.ClientHttp2Session | undefined): boolean {
  return session !== undefined && lost.has(session);
}

/** The instance's session pool, made on its first request and gone with its Upstream. */
export function h2PoolFor(upstream: Upstream): H2UpstreamPool {
  let pool = pools.get(upstream);
  if (!pool) {
    pool = new H2UpstreamPool(upstream);
    pools.set(upstream, pool);
  }
  return pool;
}
