import type { RequestHead } from "./forwarding";

/** The service and revision a request was routed to. */
export interface ServedBy {
  project: string;
  service: string;
  revision: string;
}

/**
 * What the ingress knows of a request once its response is complete (or cut): what a request log
 * entry and the request metrics are made of. Read during the `completed` call only: the request
 * object is the ingress's own.
 */
export interface CompletedRequest {
  readonly head: RequestHead;
  readonly servedBy: ServedBy;
  /** The instance that answered; undefined when none did (refused by the access check, or no capacity). */
  readonly instanceId: string | undefined;
  /** The status sent to the client. */
  readonly status: number;
  /** "HTTP/1.0", "HTTP/1.1" or "HTTP/2" (an HTTP/2 stream is one request). */
  readonly protocol: string;
  /** performance.now() when the request's head had arrived. */
  readonly startedAt: number;
  /** Body bytes read from the client (the head's size is computed from the head). */
  readonly requestBodyBytes: number;
  /** Bytes of the response written to the client, head included. */
  readonly responseBytes: number;
  /** The connection was cut before the response was complete. */
  readonly cut: boolean;
}

/**
 * Told once per routed request, at the moment its response is complete: the one hook on the
 * request path for request logs and metrics. It runs on the event loop that proxies, so it must
 * only take note (no I/O, nothing that waits).
 */
export interface RequestObserver {
  completed(request: CompletedRequest): void;
}
