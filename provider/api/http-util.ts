import type http from "node:http";
import { ErrorBody, httpStatusOf, invalid, SkiffError } from "../model/errors";
import { MAX_REQUEST_BODY_BYTES } from "../model/request-limits";


export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendSkiffError(res: http.ServerResponse, error: SkiffError): void {
  sendJson(res, httpStatusOf[error.code], error.toJSON());
}

export function internalError(message: string): ErrorBody {
  return { error: { code: "INTERNAL", message, violations: [] } };
}

export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BODY_BYTES) throw new SkiffError("INVALID_ARGUMENT", `request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new SkiffError("INVALID_ARGUMENT", `request body is not JSON: ${(error as Error).message}`);
  }
}

/** An optional whole-number query parameter, at least `min`; a 400 naming it otherwise. */
export function wholeNumberParam(query: URLSearchParams, name: string, min: number): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) throw invalid(name, `must be a whole number of at least ${min}, got "${text}"`);
  return value;
}

/** Past this much unsent output a follower is too slow: lines are dropped (and counted) rather than buffered. */
const FOLLOW_BUFFER_BYTES = 1024 * 1024;

/**
 * `logs tail`: the tail, then every new line, until the client goes away. A client that cannot keep
 * up with a flooding service loses lines (it is told how many), never the engine's memory.
 */
export function followLogs(res: http.ServerResponse, req: http.IncomingMessage, tail: string[], subscribe: (write: (line: string) => void) => () => void): void {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  let dropped = 0;
  const write = (line: string) => {
    if (res.destroyed) return;
    if (res.writableLength > FOLLOW_BUFFER_BYTES) {
      dropped += 1;
      return;
    }
    if (dropped > 0) {
      res.write(`[skiff: ${dropped} lines dropped: the reader was slower than the service wrote]\n`);
      dropped = 0;
    }
    res.write(line + "\n");
  };
  for (const line of tail) write(line);
  const unsubscribe = subscribe(write);
  res.on("error", unsubscribe);
  req.on("close", unsubscribe);
}
