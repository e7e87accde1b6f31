import { SkiffError, type ErrorCode, type FieldViolation } from "../model/errors";

/**
 * Errors as Google's APIs send them: a google.rpc.Status with its canonical code, and, for a bad
 * request, a google.rpc.BadRequest detail whose field violations name each field's path. Over
 * HTTP the body is `{"error": {"code": <HTTP status>, "message", "status": "<CODE>", "details"}}`;
 * inside a finished Operation it is the Status itself, with the numeric code. Google's clients
 * turn either into their exception types (Python: 400 → BadRequest, 409 → Conflict, ...).
 */

/** google.rpc.Code: the number and the HTTP status Google maps it to (google/rpc/code.proto). */
const RPC_CODES = {
  CANCELLED: [1, 499],
  UNKNOWN: [2, 500],
  INVALID_ARGUMENT: [3, 400],
  DEADLINE_EXCEEDED: [4, 504],
  NOT_FOUND: [5, 404],
  ALREADY_EXISTS: [6, 409],
  PERMISSION_DENIED: [7, 403],
  UNAUTHENTICATED: [16, 401],
  RESOURCE_EXHAUSTED: [8, 429],
  FAILED_PRECONDITION: [9, 400],
  ABORTED: [10, 409],
  OUT_OF_RANGE: [11, 400],
  UNIMPLEMENTED: [12, 501],
  INTERNAL: [13, 500],
  UNAVAILABLE: [14, 503],
  DATA_LOSS: [15, 500],
} as const;

export type RpcCode = keyof typeof RPC_CODES;

/** An error the Google-shaped APIs raise with a code skiff's own API has no name for (ABORTED). */
export class RpcError extends Error {
  constructor(
    readonly code: RpcCode,
    message: string,
    readonly violations: FieldViolation[] = [],
  ) {
    super(message);
    this.name = "RpcError";
  }
}

/** A change made from a stale read: the etag (or generation) it was based on no longer matches. */
export function aborted(field: string, reason: string): RpcError {
  return new RpcError("ABORTED", `${field}: ${reason}`, [{ field, reason }]);
}

/** The fields whose conflict means "changed since you read it", which Google calls ABORTED. */
const STALE_READ_FIELDS = new Set(["etag", "expectedGeneration", "policy.etag"]);

/**
 * skiff's error codes in Google's terms. A CONFLICT is ABORTED when it is about a stale read (the
 * change may succeed when read again) and FAILED_PRECONDITION otherwise (a revision that still
 * serves traffic: the state must change first).
 */
function rpcCodeOfSkiff(code: ErrorCode, violations: readonly FieldViolation[]): RpcCode {
  if (code === "CONFLICT")
    return violations.some((v) => STALE_READ_FIELDS.has(v.field) || v.field.endsWith(".etag")) ? "ABORTED" : "FAILED_PRECONDITION";
  return code;
}

export interface RpcFailure {
  code: RpcCode;
  message: string;
  violations: FieldViolation[];
}

/** Any error a handler threw, as a Status; what is neither ours nor skiff's is INTERNAL. */
export function rpcFailureOf(error: unknown): RpcFailure {
  if (error instanceof RpcError) return { code: error.code, message: error.message, violations: error.violations };
  if (error instanceof SkiffError)
    return { code: rpcCodeOfSkiff(error.code, error.violations), message: error.message, violations: error.violations };
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error), violations: [] };
}

function details(failure: RpcFailure): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (failure.code === "INVALID_ARGUMENT" && failure.violations.length > 0) {
    out.push({
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: failure.violations.map((v) => ({ field: v.field, description: v.reason })),
    });
  }
  out.push({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: failure.code, domain: "run.googleapis.com" });
  return out;
}

export function httpStatusOfRpc(code: RpcCode): number {
  return RPC_CODES[code][1];
}

/** The body of an HTTP error answer, and its status. */
export function httpErrorBody(failure: RpcFailure): { status: number; body: Record<string, unknown> } {
  const status = httpStatusOfRpc(failure.code);
  return { status, body: { error: { code: status, message: failure.message, status: failure.code, details: details(failure) } } };
}

/**
 * A google.rpc.Status message as an Operation's `error`, in its proto3 JSON form: code and message
 * only, as Cloud Run's operations carry. Google's Node client reads an Operation with the protos
 * it ships, which have google.rpc.Status but none of the detail types: one detail (an ErrorInfo)
 * made every read of the Operation fail (`promise()`, getOperation, listOperations: UNAVAILABLE,
 * "cannot find type google.rpc.ErrorInfo") instead of reporting the operation's error.
 */
export function statusMessage(failure: RpcFailure): { code: number; message: string } {
  return { code: RPC_CODES[failure.code][0], message: failure.message };
}
