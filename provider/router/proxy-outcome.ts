/** Why the instance did not answer properly; each gets its own 502 message and a line in engine.log. */
export type UpstreamFailure = "refused" | "reset" | "bad-response" | "timeout" | "unreachable" | "goaway";

export interface ProxyOutcome {
  status: number;
  failure?: { kind: UpstreamFailure; detail: string };
  /** Nothing was written to the client and nothing reached the instance: the caller may send it elsewhere. */
  retry?: boolean;
}

/** Failures where the request cannot have reached the app: the connection was never made, or (HTTP/2) the instance refused the stream. */
export const NEVER_CONNECTED: ReadonlySet<UpstreamFailure> = new Set(["refused", "unreachable", "goaway"]);

/**
 * Failures that say nothing about the instance being gone: a timeout is the app's slowness, and an
 * HTTP/2 instance that refuses a stream (GOAWAY) is closing one connection, not dying.
 */
export const INSTANCE_STILL_THERE: ReadonlySet<UpstreamFailure> = new Set(["timeout", "goaway"]);

const FAILURE_MESSAGES: Record<UpstreamFailure, string> = {
  refused: "the instance refused the connection (nothing listens on its port)",
  reset: "the instance reset the connection before it answered",
  "bad-response": "the instance sent a malformed HTTP response",
  timeout: "upstream request timeout",
  unreachable: "the instance could not be reached",
  goaway: "the instance refused the stream (it is closing its HTTP/2 connection)",
};

export function failureMessage(kind: UpstreamFailure): string {
  return FAILURE_MESSAGES[kind];
}
