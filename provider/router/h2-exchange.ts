import http2 from "node:http2";
import { clientH2HeaderList, trailerMap, trailerMapFromList, upstreamH2HeaderList, upstreamH2Headers } from "./h2-headers";
import { h2PoolFor, sessionLost } from "./h2-upstream-pool";
import type { HeaderMap, ProxyClient } from "./proxy-client";
import { failureMessage, NEVER_CONNECTED, type ProxyOutcome, type UpstreamFailure } from "./proxy-outcome";
import type { Upstream } from "./upstream-pool";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, HTTP2_HEADER_STATUS } = http2.constants;

/** `session.request` takes a raw header list ([name, value, ...]) since Node 22.17 and 24.0 (nodejs/node#57917). */
const RAW_REQUEST_HEADERS = (() => {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major >= 24 || (major === 22 && minor >= 17);
})();

/**
 * Proxies one request to an instance that speaks HTTP/2 (an http2 service), from a client of
 * either HTTP: a stream on the instance's pooled session, the body both ways as it comes (each
 * side paused while the other does not read), the response's trailers passed on (gRPC's status).
 *
 * Past timeoutMs the instance's stream is cancelled (RST_STREAM CANCEL: the app sees the call
 * cancelled, as a gRPC server does when its deadline passes) and the client is answered as
 * ProxyClient.timedOut says. A stream the instance resets is passed on as a cut; a session that
 * dies under its streams fails them (502, or a cut once the response began) and is reported.
 */
export function proxyToH2(
  client: ProxyClient,
  upstream: Upstream,
  timeoutMs: number,
  trustForwarded = false,
  /** When the stream never reached the app, answer { retry: true } instead of a 502 (for a request without a body). */
  retryElsewhere = false,
): Promise<ProxyOutcome> {
  return new Promise((resolve) => new H2Exchange(client, upstream, timeoutMs, trustForwarded, retryElsewhere, resolve).send());
}

class H2Exchange {
  private stream: http2.ClientHttp2Stream | undefined;
  /** Kept: a destroyed stream no longer knows its session. */
  private session: http2.ClientHttp2Session | undefined;
  private settled = false;
  private status = 0;
  private trailers: HeaderMap | undefined;
  private requestTrailers: HeaderMap | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: ProxyClient,
    private readonly upstream: Upstream,
    timeoutMs: number,
    private readonly trustForwarded: boolean,
    private readonly retryElsewhere: boolean,
    private readonly resolve: (outcome: ProxyOutcome) => void,
  ) {
    this.timer = setTimeout(() => {
      this.cancelUpstream();
      this.client.timedOut(failureMessage("timeout"));
      this.finish({ status: 504, failure: { kind: "timeout", detail: `no answer within ${timeoutMs} ms` } });
    }, timeoutMs);
    client.onAbort((why) => {
      if (this.settled) return;
      this.cancelUpstream();
      if (why === "body-broken") {
        this.client.sendError(400, "the request body's chunked framing is malformed");
        return this.finish({ status: 400 });
      }
      // The client went away before its response was complete.
      this.finish({ status: this.status });
    });
  }

  send(): void {
    const { client } = this;
    const hasBody = client.head.hasBody;
    let stream: http2.ClientHttp2Stream;
    try {
      const session = (this.session = h2PoolFor(this.upstream).session());
      const headers = RAW_REQUEST_HEADERS
        ? upstreamH2HeaderList(client.head, this.trustForwarded)
        : upstreamH2Headers(client.head, this.trustForwarded);
      stream = session.request(headers, { endStream: !hasBody, waitForTrailers: hasBody });
    } catch (error) {
      // A session closing under us (GOAWAY received a moment ago): the request never left.
      return this.fail("goaway", (error as NodeJS.ErrnoException).code ?? (error as Error).message);
    }
    this.stream = stream;
    stream.on("response", (headers, flags, rawHeaders: string[]) => this.onResponse(headers, flags, rawHeaders));
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("trailers", (headers) => (this.trailers = trailerMap(headers)));
    stream.on("end", () => this.onEnd());
    stream.on("error", (error: NodeJS.ErrnoException) => this.onError(error));
    stream.once("close", () => this.onClose());
    if (hasBody) {
      stream.on("wantTrailers", () => stream.sendTrailers(this.requestTrailers ?? {}));
      client.pipeBodyTo({
        stream,
        chunked: false,
        onEnd: (trailers) => {
          this.requestTrailers = trailerMapFromList(trailers);
          stream.end();
        },
      });
    }
  }

  private onResponse(headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, flags: number, rawHeaders: string[]): void {
    if (this.settled) return;
    this.status = Number(headers[HTTP2_HEADER_STATUS]);
    // gRPC's trailers-only answer (an error status at once) is one HEADERS frame that ends the stream.
    const final = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    try {
      this.client.respond(this.status, clientH2HeaderList(rawHeaders), final);
    } catch (error) {
      this.cancelUpstream();
      return this.fail("bad-response", (error as Error).message);
    }
    if (final) this.finish({ status: this.status });
  }

  private onData(chunk: Buffer): void {
    if (this.settled) return;
    if (!this.client.write(chunk)) {
      // The client reads slower than the instance writes: the instance's stream waits (its flow-control window fills).
      const stream = this.stream!;
      stream.pause();
      this.client.onDrain(() => stream.resume());
    }
  }

  private onEnd(): void {
    // Node also ends the readable side of a stream it closes because its connection went away
    // (marking it closed first): such a stream was cut off, and 'close' fails it. One the instance
    // ended with END_STREAM is still open when its end is read.
    const stream = this.stream!;
    if (this.settled || stream.closed || stream.destroyed || sessionLost(this.session)) return;
    if (!this.client.responded) return; // no response at all: onClose says why
    this.client.end(this.trailers);
    this.finish({ status: this.status });
  }

  private onError(error: NodeJS.ErrnoException): void {
    if (this.settled) return;
    const stream = this.stream!;
    const session = this.session;
    if (error.code === "ERR_HTTP2_STREAM_ERROR" && stream.rstCode === NGHTTP2_REFUSED_STREAM) return this.fail("goaway", "REFUSED_STREAM");
    const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    if (cause === "ECONNREFUSED") return this.fail("refused", cause);
    if (cause === "ECONNTIMEOUT" || cause === "EHOSTUNREACH" || cause === "ENETUNREACH") return this.fail("unreachable", cause);
    if (error.code === "ERR_HTTP2_GOAWAY_SESSION") return this.fail("goaway", error.code);
    if (session && !session.destroyed && !session.closed && error.code === "ERR_HTTP2_STREAM_ERROR") {
      // The app reset this stream (its session is fine): its answer, passed on as a cut.
      this.client.sendError(502, `the instance reset the stream (code ${stream.rstCode})`);
      return this.finish({ status: this.client.responded ? this.status : 502 });
    }
    this.fail("reset", cause ?? error.code ?? error.message);
  }

  private onClose(): void {
    if (this.settled) return;
    const stream = this.stream!;
    // Closed without END_STREAM and without an error: the session went away (the instance died, or its connection broke).
    const code = stream.rstCode;
    if (code === NGHTTP2_REFUSED_STREAM) return this.fail("goaway", "REFUSED_STREAM");
    this.fail("reset", `the stream closed before the response was complete (code ${code ?? "none"})`);
  }

  private cancelUpstream(): void {
    const stream = this.stream;
    if (stream && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
  }

  private fail(kind: UpstreamFailure, detail: string): void {
    if (this.settled) return;
    this.cancelUpstream();
    if (this.retryElsewhere && NEVER_CONNECTED.has(kind) && !this.client.responded) {
      return this.finish({ status: 0, failure: { kind, detail }, retry: true });
    }
    this.client.sendError(502, `${failureMessage(kind)} (${detail})`);
    this.finish({ status: 502, failure: { kind, detail } });
  }

  private finish(outcome: ProxyOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(outcome);
  }
}
