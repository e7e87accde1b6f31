import net from "node:net";
import { clientResponseHeaders, hasForwardableTrailers, overResponseLimit, responseTooLarge, upstreamRequestHead } from "./forwarding";
import type { IngressRequest } from "./ingress-request";
import { failureMessage, NEVER_CONNECTED, type ProxyOutcome, type UpstreamFailure } from "./proxy-outcome";
import { poolFor, type Exchange, type Upstream, type UpstreamConnection } from "./upstream-pool";

export type { Upstream } from "./upstream-pool";

export type { ProxyOutcome, UpstreamFailure } from "./proxy-outcome";

export function classifyUpstreamError(error: NodeJS.ErrnoException): UpstreamFailure {
  if (error.code === "ECONNREFUSED") return "refused";
  if (error.code === "ECONNRESET" || error.code === "EPIPE") return "reset";
  if (error.code?.startsWith("HPE_")) return "bad-response";
  return "unreachable";
}

/**
 * Streams the request to the instance and the response back. Past timeoutMs the client gets 504
 * (or, once the response has begun, a cut connection); the instance is left running, as on Cloud
 * Run. The instance's response is parsed leniently where nginx is (header lines ending in a bare
 * LF); a response Node cannot forward as it is becomes a 502.
 */
export function proxyRequest(
  client: IngressRequest,
  upstream: Upstream,
  timeoutMs: number,
  trustForwarded = false,
  /** When the connection cannot be made, answer { retry: true } instead of a 502 (for a request without a body). */
  retryElsewhere = false,
): Promise<ProxyOutcome> {
  return new Promise((resolve) => new ProxiedRequest(client, upstream, timeoutMs, trustForwarded, retryElsewhere, resolve).send());
}

/**
 * One request's trip: its head (and body) to a pooled connection, the response back. What one read
 * of the instance's socket brings is written to the client at once, so a small response goes out
 * as one write of head and body.
 */
class ProxiedRequest implements Exchange {
  private readonly bodyless: boolean;
  private readonly head: string;
  private connection!: UpstreamConnection;
  private retried = false;
  private settled = false;
  private answered = false;
  private status = 0;
  private statusMessage = "";
  private pendingHeaders: string[] | undefined;
  private pendingHasLength = false;
  private pendingBody: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: IngressRequest,
    private readonly upstream: Upstream,
    timeoutMs: number,
    trustForwarded: boolean,
    private readonly retryElsewhere: boolean,
    private readonly resolve: (outcome: ProxyOutcome) => void,
  ) {
    this.bodyless = !client.head.hasBody;
    this.head = upstreamRequestHead(client.head, trustForwarded);
    this.timer = setTimeout(() => {
      this.connection.abandon();
      this.fail("timeout", `no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    client.onClose(() => {
      // The client went away before its response was finished.
      if (this.settled) return;
      this.connection.abandon();
      this.finish({ status: this.status });
    });
    client.onBodyBroken(() => {
      if (this.settled) return;
      // What reached the instance is not a whole request: its connection cannot be reused.
      this.connection.abandon();
      this.refuseBrokenBody();
    });
  }

  send(): void {
    if (this.client.bodyBroken) return this.refuseBrokenBody();
    const connection = (this.connection = poolFor(this.upstream).take());
    connection.start(this, this.head, !this.bodyless);
    if (!this.bodyless)
      this.client.pipeBodyTo({ stream: connection.socket, chunked: this.client.head.chunked, onEnd: () => connection.endRequest() });
  }

  onHead(status: number, statusMessage: string, rawHeaders: string[], upgrade: boolean): boolean {
    if (upgrade) {
      // Switching protocols on a request that did not ask to (upgrades have their own path).
      this.connection.abandon();
      this.fail("bad-response", "HPE_UNEXPECTED_UPGRADE");
      return true;
    }
    this.answered = true;
    const { headers, hasLength, length } = clientResponseHeaders(rawHeaders);
    if (overResponseLimit(length) && this.client.head.method !== "HEAD" && status >= 200 && status !== 204 && status !== 304) {
      // Cloud Run fails it rather than pass it on; the instance is fine, its connection is not reusable.
      this.connection.abandon();
      this.client.sendError(500, responseTooLarge(length!));
      this.finish({ status: 500 });
      return true;
    }
    this.status = status;
    this.statusMessage = statusMessage;
    this.pendingHeaders = headers;
    this.pendingHasLength = hasLength;
    return this.client.head.method === "HEAD";
  }

  onBody(chunk: Buffer): void {
    this.pendingBody.push(chunk);
  }

  flush(): void {
    if (this.settled || (!this.pendingHeaders && this.pendingBody.length === 0)) return;
    let ready = true;
    if (this.pendingHeaders) {
      // The head, with what came of the body in the same read, in one write.
      const body = this.takePendingBody();
      if (!this.respond(body, false)) return;
    } else {
      for (const chunk of this.pendingBody) ready = this.client.write(chunk) && ready;
      this.pendingBody = [];
    }
    if (!ready) {
      // The client reads slower than the instance writes: stop reading the instance until it drains.
      const socket = this.connection.socket;
      socket.pause();
      this.client.onDrain(() => socket.resume());
    }
  }

  onComplete(trailers: string[]): void {
    if (this.settled) return;
    const body = this.takePendingBody();
    // Trailers can only go on in chunks: a response that has them is not given a length.
    const withTrailers = trailers.length > 0 && this.client.takesTrailers() && hasForwardableTrailers(trailers);
    if (this.pendingHeaders) {
      // The whole response is here: head and body go out in one write, with its length when the
      // instance sent it in chunks or until its connection's end.
      if (!this.respond(body, !withTrailers)) return;
      if (withTrailers) this.client.end(trailers);
    } else {
      if (body) this.client.write(body);
      this.client.end(trailers);
    }
    this.finish({ status: this.status });
  }

  onFailure(error: NodeJS.ErrnoException): void {
    if (this.settled) return;
    const connection = this.connection;
    // A kept-alive connection the instance closed just as it was reused: nothing reached the
    // app, so a request without a body goes again on a new connection (nginx does the same).
    if (!this.retried && this.bodyless && connection.reused && !this.answered && error.code === "ECONNRESET" && !this.client.headersSent) {
      this.retried = true;
      poolFor(this.upstream).reset();
      return this.send();
    }
    const kind = classifyUpstreamError(error);
    const detail = error.code ?? error.message;
    // Through Docker's userland proxy a port nobody listens on looks like a reset of a new
    // connection: ask whether the app listens before naming the cause.
    if (kind === "reset" && !connection.reused && !this.answered && this.upstream.listening) {
      this.upstream.listening().then(
        (listens) => (listens ? this.fail("reset", detail) : this.fail("refused", "ECONNREFUSED")),
        () => this.fail("reset", detail),
      );
      return;
    }
    this.fail(kind, detail);
  }

  private takePendingBody(): Buffer | undefined {
    const chunks = this.pendingBody;
    if (chunks.length === 0) return undefined;
    this.pendingBody = [];
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }

  /** Writes the pending head; false (and a 502) when it cannot go out, e.g. a control character the lenient parser let in. */
  private respond(body: Buffer | undefined, complete: boolean): boolean {
    const headers = this.pendingHeaders!;
    this.pendingHeaders = undefined;
    try {
      this.client.respond(this.status, this.statusMessage, headers, this.pendingHasLength, body, complete);
      return true;
    } catch (error) {
      this.connection.abandon();
      this.fail("bad-response", (error as Error).message);
      return false;
    }
  }

  /** The client's chunked body was malformed: 400 (nginx's answer), or a cut connection once the answer has begun. */
  private refuseBrokenBody(): void {
    this.client.sendError(400, "the request body's chunked framing is malformed");
    this.finish({ status: 400 });
  }

  private fail(kind: UpstreamFailure, detail: string): void {
    if (this.settled) return;
    if (this.retryElsewhere && NEVER_CONNECTED.has(kind) && !this.client.headersSent) {
      return this.finish({ status: 0, failure: { kind, detail }, retry: true });
    }
    const status = kind === "timeout" ? 504 : 502;
    this.client.sendError(status, `${failureMessage(kind)}${kind === "timeout" ? "" : ` (${detail})`}`);
    this.finish({ status, failure: { kind, detail } });
  }

  private finish(outcome: ProxyOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(outcome);
  }
}

/**
 * WebSocket and other upgrades: a raw TCP pipe to the instance once the request head is replayed,
 * cut at the request timeout (`timeoutMs`), as Cloud Run cuts a websocket.
 */
export function proxyUpgrade(
  client: IngressRequest,
  socket: net.Socket,
  head: Buffer,
  upstreamAt: Upstream,
  onClose: () => void,
  trustForwarded = false,
  timeoutMs = Infinity,
): void {
  // The client may have gone while the upgrade waited for an instance: its 'close' has passed.
  if (socket.destroyed) return onClose();
  const upstream = net.connect({ host: upstreamAt.host, port: upstreamAt.port }, () => {
    upstream.write(upstreamRequestHead(client.head, trustForwarded, client.head.upgrade ?? ""), "latin1");
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  let closed = false;
  const timer = Number.isFinite(timeoutMs) ? setTimeout(() => close(), timeoutMs) : undefined;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    upstream.destroy();
    socket.destroy();
    onClose();
  };
  upstream.on("error", close);
  upstream.on("close", close);
  socket.on("error", close);
  socket.on("close", close);
}
