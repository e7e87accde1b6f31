import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { clientResponseHeaders, hasBody, hasChunkedBody, upstreamRequestHead } from "./forwarding";
import { poolFor, type Exchange, type Upstream, type UpstreamConnection } from "./upstream-pool";

export { hasBody } from "./forwarding";
export type { Upstream } from "./upstream-pool";

/** Why the instance did not answer properly; each gets its own 502 message and a line in engine.log. */
export type UpstreamFailure = "refused" | "reset" | "bad-response" | "timeout" | "unreachable";

export interface ProxyOutcome {
  status: number;
  failure?: { kind: UpstreamFailure; detail: string };
  /** Nothing was written to the client and nothing reached the instance: the caller may send it elsewhere. */
  retry?: boolean;
}

/** Failures where the connection was never made, so the request cannot have reached the app. */
const NEVER_CONNECTED: ReadonlySet<UpstreamFailure> = new Set(["refused", "unreachable"]);

const FAILURE_MESSAGES: Record<UpstreamFailure, string> = {
  refused: "the instance refused the connection (nothing listens on its port)",
  reset: "the instance reset the connection before it answered",
  "bad-response": "the instance sent a malformed HTTP response",
  timeout: "upstream request timeout",
  unreachable: "the instance could not be reached",
};

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
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: Upstream,
  timeoutMs: number,
  trustForwarded = false,
  /** When the connection cannot be made, answer { retry: true } instead of a 502 (for a request without a body). */
  retryElsewhere = false,
): Promise<ProxyOutcome> {
  return new Promise((resolve) => new ProxiedRequest(req, res, upstream, timeoutMs, trustForwarded, retryElsewhere, resolve).send());
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
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly upstream: Upstream,
    private readonly timeoutMs: number,
    trustForwarded: boolean,
    private readonly retryElsewhere: boolean,
    private readonly resolve: (outcome: ProxyOutcome) => void,
  ) {
    this.bodyless = !hasBody(req);
    this.head = upstreamRequestHead(req, trustForwarded);
    this.timer = setTimeout(() => {
      this.connection.abandon();
      this.fail("timeout", `no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    res.once("close", () => {
      // The client went away (or the response ended, and this is settled already).
      if (this.settled) return;
      this.connection.abandon();
      this.finish({ status: res.statusCode });
    });
    res.on("error", () => undefined);
  }

  send(): void {
    this.connection = poolFor(this.upstream).take();
    this.connection.start(this, this.head, !this.bodyless);
    if (!this.bodyless) this.sendBody(this.connection);
  }

  onHead(status: number, statusMessage: string, rawHeaders: string[], upgrade: boolean): boolean {
    if (upgrade) {
      // Switching protocols on a request that did not ask to (upgrades have their own path).
      this.connection.abandon();
      this.fail("bad-response", "HPE_UNEXPECTED_UPGRADE");
      return true;
    }
    this.answered = true;
    this.status = status;
    this.statusMessage = statusMessage;
    const { headers, hasLength } = clientResponseHeaders(rawHeaders);
    this.pendingHeaders = headers;
    this.pendingHasLength = hasLength;
    return this.req.method === "HEAD";
  }

  onBody(chunk: Buffer): void {
    this.pendingBody.push(chunk);
  }

  flush(): void {
    if (this.settled || (!this.pendingHeaders && this.pendingBody.length === 0)) return;
    if (this.pendingHeaders && !this.writeHead()) return;
    let ready = true;
    for (const chunk of this.pendingBody) ready = this.res.write(chunk) && ready;
    this.pendingBody = [];
    if (!ready) {
      // The client reads slower than the instance writes: stop reading the instance until it drains.
      const socket = this.connection.socket;
      socket.pause();
      this.res.once("drain", () => socket.resume());
    }
  }

  onComplete(): void {
    if (this.settled) return;
    let body: Buffer | undefined;
    if (this.pendingBody.length > 0) body = this.pendingBody.length === 1 ? this.pendingBody[0] : Buffer.concat(this.pendingBody);
    this.pendingBody = [];
    // The whole response is here: head and body go out in one write, with its length when the
    // instance sent it in chunks or until its connection's end.
    if (this.pendingHeaders && !this.pendingHasLength && this.carriesBody()) {
      this.pendingHeaders.push("content-length", String(body?.length ?? 0));
    }
    if (this.pendingHeaders && !this.writeHead()) return;
    this.res.end(body);
    this.finish({ status: this.status });
  }

  onFailure(error: NodeJS.ErrnoException): void {
    if (this.settled) return;
    const connection = this.connection;
    // A kept-alive connection the instance closed just as it was reused: nothing reached the
    // app, so a request without a body goes again on a new connection (nginx does the same).
    if (!this.retried && this.bodyless && connection.reused && !this.answered && error.code === "ECONNRESET" && !this.res.headersSent) {
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

  private carriesBody(): boolean {
    return this.req.method !== "HEAD" && this.status >= 200 && this.status !== 204 && this.status !== 304;
  }

  /** Writes the pending head; false (and a 502) when Node refuses it, e.g. a control character the lenient parser let in. */
  private writeHead(): boolean {
    const headers = this.pendingHeaders!;
    this.pendingHeaders = undefined;
    try {
      this.res.writeHead(this.status, this.statusMessage, headers);
      return true;
    } catch (error) {
      this.pendingBody = [];
      this.connection.abandon();
      this.fail("bad-response", (error as Error).message);
      return false;
    }
  }

  /** The request body, as Node's server decoded it, re-framed for the instance and paced by its socket. */
  private sendBody(connection: UpstreamConnection): void {
    const socket = connection.socket;
    const chunked = hasChunkedBody(this.req);
    this.req.on("data", (chunk: Buffer) => {
      if (socket.destroyed || chunk.length === 0) return;
      let ready: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        ready = socket.write("\r\n");
        socket.uncork();
      } else {
        ready = socket.write(chunk);
      }
      if (!ready) {
        this.req.pause();
        socket.once("drain", () => this.req.resume());
      }
    });
    this.req.once("end", () => {
      if (socket.destroyed) return;
      if (chunked) socket.write("0\r\n\r\n");
      connection.endRequest();
    });
    this.req.once("error", () => connection.abandon());
  }

  private fail(kind: UpstreamFailure, detail: string): void {
    if (this.settled) return;
    if (this.retryElsewhere && NEVER_CONNECTED.has(kind) && !this.res.headersSent) {
      return this.finish({ status: 0, failure: { kind, detail }, retry: true });
    }
    const status = kind === "timeout" ? 504 : 502;
    if (!this.res.headersSent) sendError(this.res, status, `${FAILURE_MESSAGES[kind]}${kind === "timeout" ? "" : ` (${detail})`}`);
    else this.res.destroy();
    this.finish({ status, failure: { kind, detail } });
  }

  private finish(outcome: ProxyOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(outcome);
  }
}

/** WebSocket and other upgrades: a raw TCP pipe to the instance once the request line is replayed. */
export function proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstreamAt: Upstream, onClose: () => void, trustForwarded = false): void {
  const upstream = net.connect({ host: upstreamAt.host, port: upstreamAt.port }, () => {
    upstream.write(upstreamRequestHead(req, trustForwarded, String(req.headers.upgrade ?? "")));
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    upstream.destroy();
    socket.destroy();
    onClose();
  };
  upstream.on("error", close);
  upstream.on("close", close);
  socket.on("error", close);
  socket.on("close", close);
}

export function sendError(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  const body = `${message}\n`;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
