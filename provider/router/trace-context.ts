import { randomUUID } from "node:crypto";

/**
 * The trace a request belongs to, as the ingress hands it to the instance (and writes it into the
 * request log). Cloud Run's front end sets both headers on every request: W3C `traceparent`
 * (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`) and Google's older
 * `X-Cloud-Trace-Context` (`<32 hex trace id>/<decimal span id>;o=<0|1>`). A client's header that
 * is well-formed goes on unchanged; a missing or malformed one is made from the trace: the id of the
 * client's valid `traceparent`, else of its valid `X-Cloud-Trace-Context`, else a new one.
 */
export interface TraceContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  sampled: boolean;
  /** The header values for the instance (an HTTP/2 one gets them as fields). */
  traceparent: string;
  cloudTrace: string;
  /** The same as header lines for an HTTP/1.1 instance (each ending in CRLF). */
  headerLines: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const CLOUD_TRACE = /^([0-9a-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/;
const ALL_ZERO_TRACE = "0".repeat(32);
const ALL_ZERO_SPAN = "0".repeat(16);
const MAX_UINT64 = (1n << 64n) - 1n;

/** A client's `traceparent`, when it is one (version ff and all-zero ids are invalid; a future version may carry more after the flags). */
export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string; sampled: boolean } | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (version === "ff" || traceId === ALL_ZERO_TRACE || spanId === ALL_ZERO_SPAN) return undefined;
  // Version 00 has exactly four fields.
  if (version === "00" && value.trim().length !== 55) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** A client's `X-Cloud-Trace-Context`, when it is one: the span id is a decimal uint64. */
export function parseCloudTraceContext(value: string | undefined): { traceId: string; spanId?: string; sampled: boolean } | undefined {
  if (value === undefined) return undefined;
  const match = CLOUD_TRACE.exec(value.trim());
  if (!match) return undefined;
  const traceId = match[1].toLowerCase();
  if (traceId === ALL_ZERO_TRACE) return undefined;
  let spanId: string | undefined;
  if (match[2] !== undefined) {
    const span = BigInt(match[2]);
    if (span > MAX_UINT64) return undefined;
    if (span > 0n) spanId = span.toString(16).padStart(16, "0");
  }
  return { traceId, spanId, sampled: match[3] === "1" };
}

/** 32 random hex digits (randomUUID draws from a pool: far cheaper per call than randomBytes). */
function newTraceId(): string {
  const uuid = randomUUID();
  return uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
}

function newSpanId(): string {
  const uuid = randomUUID();
  // Never all zeros: the first digit of a UUID's 4th group is 8–b.
  return uuid.slice(19, 23) + uuid.slice(24);
}

/** The trace of a request whose client sent these header values (undefined: not sent). */
export function resolveTrace(traceparent: string | undefined, cloudTrace: string | undefined): TraceContext {
  const w3c = parseTraceparent(traceparent);
  const cloud = parseCloudTraceContext(cloudTrace);
  const traceId = w3c?.traceId ?? cloud?.traceId ?? newTraceId();
  const spanId = w3c?.spanId ?? cloud?.spanId ?? newSpanId();
  const sampled = w3c?.sampled ?? cloud?.sampled ?? false;
  const parentLine = w3c ? traceparent!.trim() : `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
  const cloudLine = cloud ? cloudTrace!.trim() : `${traceId}/${BigInt(`0x${spanId}`).toString()};o=${sampled ? 1 : 0}`;
  return {
    traceId,
    spanId,
    sampled,
    traceparent: parentLine,
    cloudTrace: cloudLine,
    headerLines: `traceparent: ${parentLine}\r\nx-cloud-trace-context: ${cloudLine}\r\n`,
  };
}
