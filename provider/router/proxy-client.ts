import type { Duplex } from "node:stream";
import type { RequestHead } from "./forwarding";
import type { RequestObserver, ServedBy } from "./request-observer";

/** Header fields as Node's http2 gives and takes them: lowercase names, a repeated field as a list. */
export type HeaderMap = Record<string, string | string[]>;

/** What the ingress needs of a request to route it, whichever HTTP its client speaks. */
export interface IngressCall {
  readonly head: RequestHead;
  /** It came in on the Docker bridge: from one of the engine's own containers. */
  readonly fromContainer: boolean;
  /** The instance the request went to (the request log's); set by the ingress once it has a lease. */
  instanceId: string | undefined;
  /** A Set-Cookie value the response carries besides the instance's (session affinity), set by the ingress. */
  affinityCookie: string | undefined;
  /** The request was routed to `servedBy`: `observer` is told once its response is complete (or cut). */
  observe(observer: RequestObserver, servedBy: ServedBy): void;
  /** The router's own answer (no instance answered): a status and why; a 401's WWW-Authenticate challenge. */
  sendError(status: number, message: string, challenge?: string): void;
}

/** Where a request's body goes: an instance's socket, or an HTTP/2 stream to it. */
export interface BodyTarget {
  stream: Duplex;
  /** Framed as HTTP/1.1 chunks (a body of unknown length on its way to an HTTP/1.1 instance); the last chunk is written before onEnd. */
  chunked: boolean;
  /** The whole body was written; `trailers` ([name, value, ...]) followed it. */
  onEnd(trailers: readonly string[] | undefined): void;
}

/**
 * The client's side of one request on its way to an instance, whichever HTTP the client speaks:
 * what a proxy to an HTTP/2 instance (h2-exchange.ts), or from an HTTP/2 client to an HTTP/1.1
 * instance (h2-to-h1-proxy.ts), does with it.
 */
export interface ProxyClient extends IngressCall {
  /** The response has begun: an error can no longer be a status, only a cut. */
  readonly responded: boolean;
  /**
   * The response's head (the set-cookie rule already applied), as a map or as a raw list
   * ([name, value, ...], lowercase names, no pseudo-headers); `final`: no body or trailers follow.
   * Throws when a field cannot go out as it is.
   */
  respond(status: number, headers: HeaderMap | string[], final: boolean): void;
  /** A piece of the body; false when the client should be given time to read (see onDrain). */
  write(chunk: Buffer): boolean;
  onDrain(listener: () => void): void;
  /** The response is complete, with these trailers (as they may go on). */
  end(trailers: HeaderMap | undefined): void;
  /** Past the request timeout: 504 (gRPC: DEADLINE_EXCEEDED) before the response began, a cut (gRPC: DEADLINE_EXCEEDED in trailers) after. */
  timedOut(message: string): void;
  /** The request's body, as it arrives, to the instance. */
  pipeBodyTo(target: BodyTarget): void;
  /** The client went away before its response was complete, or its body broke off (HTTP/1.1's bad chunk framing). */
  onAbort(listener: (why: "closed" | "body-broken") => void): void;
}
