import { connect, constants } from "node:http2";
import type { ProbeOutcome, ProbeTarget } from "./http-probe";

/**
 * A gRPC probe, as Cloud Run and Kubernetes run one: one unary call of the standard health service
 * (`grpc.health.v1.Health/Check`, github.com/grpc/grpc/blob/master/doc/health-checking.md) over
 * h2c, which passes when it answers SERVING. One call is small enough to write out with Node's
 * http2 (no gRPC library in the engine): a gRPC message is a 5-byte prefix (a compression flag of
 * 0, then the length as a 32-bit big-endian integer) and the protobuf bytes. HealthCheckRequest is
 * `string service = 1` (tag 0x0a, a varint length, UTF-8); HealthCheckResponse is
 * `ServingStatus status = 1` (tag 0x08, a varint). The call's own status is the `grpc-status`
 * trailer (or header, in a trailers-only answer): anything but 0 fails the check.
 */

/** HealthCheckResponse.ServingStatus by number. */
export const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

function varint(n: number): number[] {
  const bytes: number[] = [];
  for (; n > 0x7f; n >>>= 7) bytes.push((n & 0x7f) | 0x80);
  bytes.push(n);
  return bytes;
}

/** A HealthCheckRequest for `service` as one gRPC message; the empty name (the server as a whole) is an empty message, as proto3 writes it. */
export function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, "utf8");
  const body = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...varint(name.length)]), name]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/**
 * The serving status in a HealthCheckResponse message (with its 5-byte prefix), by name; a field
 * it does not know is skipped, a missing status is UNKNOWN (proto3's default). Undefined when the
 * bytes are not one uncompressed message.
 */
export function decodeHealthResponse(message: Buffer): string | undefined {
  if (message.length < 5 || message[0] !== 0) return undefined;
  const length = message.readUInt32BE(1);
  if (message.length !== 5 + length) return undefined;
  let at = 5;
  const readVarint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; at < message.length && shift < 35; shift += 7) {
      const byte = message[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  let status = 0;
  while (at < message.length) {
    const key = readVarint();
    if (key === undefined) return undefined;
    const wire = key & 7;
    if (wire === 0) {
      const value = readVarint();
      if (value === undefined) return undefined;
      if (key >>> 3 === 1) status = value;
    } else if (wire === 2) {
      const len = readVarint();
      if (len === undefined || at + len > message.length) return undefined;
      at += len;
    } else if (wire === 5) at += 4;
    else if (wire === 1) at += 8;
    else return undefined;
  }
  return SERVING_STATUS[status] ?? `status ${status}`;
}

/** One Health/Check call of `service` at the target (a fresh h2c connection each time); never rejects. */
export function grpcHealthOnce(target: ProbeTarget, service: string, timeoutMs: number, userAgent: string): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const session = connect(`http://${target.host}:${target.port}`);
    const done = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    session.on("error", (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    const call = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: "/grpc.health.v1.Health/Check",
      [constants.HTTP2_HEADER_AUTHORITY]: `${target.host}:${target.port}`,
      "content-type": "application/grpc",
      te: "trailers",
      "user-agent": userAgent,
      "grpc-timeout": `${Math.max(1, Math.round(timeoutMs))}m`,
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = "";
    const readStatus = (headers: Record<string, unknown>) => {
      if (headers["grpc-status"] !== undefined) grpcStatus = String(headers["grpc-status"]);
      if (headers["grpc-message"] !== undefined) grpcMessage = decodeURIComponent(String(headers["grpc-message"]));
    };
    call.on("response", (headers) => {
      const status = headers[constants.HTTP2_HEADER_STATUS];
      if (Number(status) !== 200) done({ error: `HTTP status ${String(status)}, not a gRPC answer` });
      readStatus(headers);
    });
    call.on("trailers", readStatus);
    call.on("data", (chunk: Buffer) => chunks.push(chunk));
    call.on("error", (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    call.on("end", () => {
      if (grpcStatus !== "0") {
        const why = grpcStatus === undefined ? "no grpc-status" : `grpc-status ${grpcStatus}${grpcMessage ? ` (${grpcMessage})` : ""}`;
        return done({ error: `the health call failed: ${why}` });
      }
      const serving = decodeHealthResponse(Buffer.concat(chunks));
      done(serving === undefined ? { error: "the health answer was not a HealthCheckResponse" } : { grpc: serving });
    });
    call.end(encodeHealthRequest(service));
  });
}
