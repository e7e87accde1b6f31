import { randomFillSync } from "node:crypto";

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

/**
 * Random bytes for new trace and span ids, drawn 4 KiB at a time: one randomFillSync per 170
 * requests, where a randomUUID per id cost a microsecond of each request's CPU (bench/router.ts).
 */
const POOL_BYTES = 4096;
const ID_BYTES = 24; // 16 for the trace id, 8 for the span id
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let poolOffset = POOL_BYTES;

function takeRandomBytes(): number {
  if (poolOffset + ID_BYTES > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += ID_BYTES;
  // The lowest bit of each id is set, so that neither is ever all zeros (W3C's invalid value):
  // 127 random bits of trace id and 63 of span id.
  pool[at + 15] |= 1;
  pool[at + 23] |= 1;
  return at;
}

/**
 * A 64-bit span id given as 16 hex digits, in decimal as X-Cloud-Trace-Context carries it. Three
 * limbs of at most 24 bits keep every step exact in a double (BigInt costs ~0.5 µs a request).
 */
export function spanIdToDecimal(hex: string): string {
  let a = parseInt(hex.slice(0, 4), 16); // the top 16 bits
  let b = parseInt(hex.slice(4, 10), 16);
  let c = parseInt(hex.slice(10, 16), 16);
  const LIMB = 0x1000000;
  const CHUNK = 1e7;
  let digits = "";
  do {
    // (a, b, c) in base 2^24 divided by 10^7; the remainder is the next 7 decimal digits.
    let rest = a % CHUNK;
    a = Math.floor(a / CHUNK);
    let part = rest * LIMB + b;
    b = Math.floor(part / CHUNK);
    rest = part % CHUNK;
    part = rest * LIMB + c;
    c = Math.floor(part / CHUNK);
    rest = part % CHUNK;
    const chunk = String(rest);
    digits = a === 0 && b === 0 && c === 0 ? chunk + digits : chunk.padStart(7, "0") + digits;
  } while (a !== 0 || b !== 0 || c !== 0);
  return digits;
}

/** The trace of a request whose client sent these header values (undefined: not sent). */
export function resolveTrace(traceparent: string | undefined, cloudTrace: string | undefined): TraceContext {
  const w3c = parseTraceparent(traceparent);
  const cloud = parseCloudTraceContext(cloudTrace);
  let traceId = w3c?.traceId ?? cloud?.traceId;
  let spanId = w3c?.spanId ?? cloud?.spanId;
  if (traceId === undefined || spanId === undefined) {
    const at = takeRandomBytes();
    traceId ??= pool.toString("hex", at, at + 16);
    spanId ??= pool.toString("hex", at + 16, at + 24);
  }
  const sampled = w3c?.sampled ?? cloud?.sampled ?? false;
  const parentLine = w3c ? traceparent!.trim() : `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
  const cloudLine = cloud ? cloudTrace!.trim() : `${traceId}/${spanIdToDecimal(spanId)};o=${sampled ? 1 : 0}`;
  return {
    traceId,
    spanId,
    sampled,
    traceparent: parentLine,
    cloudTrace: cloudLine,
    headerLines: `traceparent: ${parentLine}\r\nx-cloud-trace-context: ${cloudLine}\r\n`,
  };
}
