import { clientResponseHeaders, overResponseLimit, responseTooLarge, upstreamRequestHead } from "./forwarding";
import { headersFromList, trailerMapFromList } from "./h2-headers";
import { classifyUpstreamError } from "./proxy";
import type { HeaderMap, ProxyClient } from "./proxy-client";
import { failureMessage, NEVER_CONNECTED, type ProxyOutcome, type UpstreamFailure } from "./proxy-outcome";
import { poolFor, type Exchange, type Upstream, type UpstreamConnection } from "./upstream-pool";

/**
 * Proxies an HTTP/2 client's request to an instance that speaks HTTP/1.1 (a service without
 * http2), on the same keep-alive pool as HTTP/1.1 requests: the stream's head becomes a request
 * line and header lines (:authority as Host, cookie crumbs joined), a body of unknown length goes
 * in chunks (with the client's trailers after the last one), and the response comes back as
 * HTTP/2 (its trailers too). This is what Cloud Run does for services without HTTP/2 end to end.
 */
export function proxyH2ToH1(
  client: ProxyClient,
  upstream: Upstream,
  timeoutMs: number,
  trustForwarded = false,
  retryElsewhere = false,
): Promise<ProxyOutcome> {
  return new Promise((resolve) => new H2ToH1Exchange(client, upstream, timeoutMs, trustForwarded, retryElsewhere, resolve).send());
}

class H2ToH1Exchange implements Exchange {
  private readonly head: string;
  private connection!: UpstreamConnection;
  private retried = false;
  private settled = false;
  private answered = false;
  private status = 0;
  private pendingHeaders: HeaderMap | undefined;
  private pendingBody: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: ProxyClient,
    private readonly upstream: Upstream,
    timeoutMs: number,
    trustForwarded: boolean,
    private readonly retryElsewhere: boolean,
    private readonly resolve: (outcome: ProxyOutcome) => void,
  ) {
    this.head = upstreamRequestHead(client.head, trustForwarded);
    this.timer = setTimeout(() => {
      this.connection.abandon();
      this.client.timedOut(failureMessage("timeout"));
      this.finish({ status: 504, failure: { kind: "timeout", detail: `no answer within ${timeoutMs} ms` } });
    }, timeoutMs);
    client.onAbort(() => {
      if (this.settled) return;
      this.connection.abandon();
      this.finish({ status: this.status });
    });
  }

  send(): void {
    const connection = (this.connection = poolFor(this.upstream).take());
    const hasBody = this.client.head.hasBody;
    connection.start(this, this.head, hasBody);
    if (hasBody)
      this.client.pipeBodyTo({ stream: connection.socket, chunked: this.client.head.chunked, onEnd: () => connection.endRequest() });
  }

  onHead(status: number, _statusMessage: string, rawHeaders: string[], upgrade: boolean): boolean {
    if (upgrade) {
      this.connection.abandon();
      this.fail("bad-response", "HPE_UNEXPECTED_UPGRADE");
      return true;
    }
    this.answered = true;
    const { headers, length } = clientResponseHeaders(rawHeaders);
    if (overResponseLimit(length) && this.client.head.method !== "HEAD" && status >= 200 && status !== 204 && status !== 304) {
      // As proxy.ts: Cloud Run fails an HTTP/1 container's response over its limit.
      this.connection.abandon();
      this.client.sendError(500, responseTooLarge(length!));
      this.finish({ status: 500 });
      return true;
    }
    this.status = status;
    this.pendingHeaders = headersFromList(headers);
    return this.client.head.method === "HEAD";
  }

  onBody(chunk: Buffer): void {
    this.pendingBody.push(chunk);
  }

  flush(): void {
    if (this.settled) return;
    if (this.pendingHeaders && !this.respond(false)) return;
    let ready = true;
    for (const chunk of this.pendingBody) ready = this.client.write(chunk) && ready;
    this.pendingBody = [];
    if (!ready) {
      // The client reads slower than the instance writes: stop reading the instance until it drains.
      const socket = this.connection.socket;
      socket.pause();
      this.client.onDrain(() => socket.resume());
    }
  }

  onComplete(trailers: string[]): void {
    if (this.settled) return;
    const forwarded = trailerMapFromList(trailers);
    if (this.pendingHeaders) {
      const final = this.pendingBody.length === 0 && forwarded === undefined;
      if (!this.respond(final)) return;
      if (final) return this.finish({ status: this.status });
    }
    for (const chunk of this.pendingBody) this.client.write(chunk);
    this.pendingBody = [];
    this.client.end(forwarded);
    this.finish({ status: this.status });
  }

  onFailure(error: NodeJS.ErrnoException): void {
    if (this.settled) return;
    const connection = this.connection;
    // A kept-alive connection the instance closed as it was reused: nothing reached the app (see proxy.ts).
    const bodyless = !this.client.head.hasBody;
    if (!this.retried && bodyless && connection.reused && !this.answered && error.code === "ECONNRESET" && !this.client.responded) {
      this.retried = true;
      poolFor(this.upstream).reset();
      return this.send();
    }
    const kind = classifyUpstreamError(error);
    const detail = error.code ?? error.message;
    if (kind === "reset" && !connection.reused && !this.answered && this.upstream.listening) {
      this.upstream.listening().then(
        (listens) => (listens ? this.fail("reset", detail) : this.fail("refused", "ECONNREFUSED")),
        () => this.fail("reset", detail),
      );
      return;
    }
    this.fail(kind, detail);
  }

  /** Writes the pending head; false (and a 502) when a field cannot go out over HTTP/2 as it is. */
  private respond(final: boolean): boolean {
    const headers = this.pendingHeaders!;
    this.pendingHeaders = undefined;
    try {
      this.client.respond(this.status, headers, final);
      return true;
    } catch (error) {
      this.connection.abandon();
      this.fail("bad-response", (error as Error).message);
      return false;
    }
  }

  private fail(kind: UpstreamFailure, detail: string): void {
    if (this.settled) return;
    if (this.retryElsewhere && NEVER_CONNECTED.has(kind) && !this.client.responded) {
      return this.finish({ status: 0, failure: { kind, detail }, retry: true });
    }
    if (kind === "timeout") this.client.timedOut(failureMessage(kind));
    else this.client.sendError(502, `${failureMessage(kind)} (${detail})`);
    this.finish({ status: kind === "timeout" ? 504 : 502, failure: { kind, detail } });
  }

  private finish(outcome: ProxyOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(outcome);
  }
}
