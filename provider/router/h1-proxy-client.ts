import { STATUS_CODES } from "node:http";
import type { RequestHead } from "./forwarding";
import { headerList } from "./h2-headers";
import type { IngressRequest } from "./ingress-request";
import type { BodyTarget, HeaderMap, ProxyClient } from "./proxy-client";
import type { RequestObserver, ServedBy } from "./request-observer";

/**
 * An HTTP/1.1 client's request on its way to an HTTP/2 instance (an http2 service): the
 * instance's response is translated back to HTTP/1.1 by the IngressRequest's own framing (its
 * length, or chunks with the trailers after the last one, or the connection's end for HTTP/1.0).
 * Errors are HTTP/1.1's: a status before the response began, a cut connection after; a timeout is
 * 504 (there is no gRPC over HTTP/1.1).
 */
export class H1ProxyClient implements ProxyClient {
  constructor(private readonly request: IngressRequest) {}

  get head(): RequestHead {
    return this.request.head;
  }

  get fromContainer(): boolean {
    return this.request.fromContainer;
  }

  get instanceId(): string | undefined {
    return this.request.instanceId;
  }

  set instanceId(id: string | undefined) {
    this.request.instanceId = id;
  }

  get affinityCookie(): string | undefined {
    return this.request.affinityCookie;
  }

  set affinityCookie(cookie: string | undefined) {
    this.request.affinityCookie = cookie;
  }

  /** The IngressRequest reports itself (its status and sizes are counted as it writes). */
  observe(observer: RequestObserver, servedBy: ServedBy): void {
    this.request.observe(observer, servedBy);
  }

  get responded(): boolean {
    return this.request.headersSent;
  }

  respond(status: number, headers: HeaderMap | string[], final: boolean): void {
    const list = Array.isArray(headers) ? headers : headerList(headers);
    // HTTP/2 has no reason phrase: the standard one goes out.
    this.request.respond(status, STATUS_CODES[status] ?? "Unknown", list, hasField(list, "content-length"), undefined, final);
  }

  write(chunk: Buffer): boolean {
    return this.request.write(chunk);
  }

  onDrain(listener: () => void): void {
    this.request.onDrain(listener);
  }

  end(trailers: HeaderMap | undefined): void {
    this.request.end(trailers ? headerList(trailers) : undefined);
  }

  sendError(status: number, message: string, challenge?: string): void {
    this.request.sendError(status, message, challenge);
  }

  timedOut(message: string): void {
    this.request.sendError(504, message);
  }

  pipeBodyTo(target: BodyTarget): void {
    this.request.pipeBodyTo(target);
  }

  onAbort(listener: (why: "closed" | "body-broken") => void): void {
    this.request.onClose(() => listener("closed"));
    this.request.onBodyBroken(() => listener("body-broken"));
  }
}

/** Whether [name, value, ...] with lowercase names has the field. */
function hasField(list: readonly string[], name: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
  return false;
}
