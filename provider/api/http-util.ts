import type http from "node:http";
import { ownerOf } from "../logs/log-entry";
import { recordFilter, type RecordFilter } from "../logs/log-filter";
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
    if (size > MAX_REQUEST_BODY_BYTES)
      throw new SkiffError("INVALID_ARGUMENT", `request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
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
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min)
    throw invalid(name, `must be a whole number of at least ${min}, got "${text}"`);
  return value;
}

/** Past this much unsent output a follower is too slow: lines are dropped (and counted) rather than buffered. */
const FOLLOW_BUFFER_BYTES = 1024 * 1024;

/** Writes a piece of a streamed answer, waiting while the client's socket is full; rejects once the client is gone. */
export function writeOrWait(res: http.ServerResponse, piece: Uint8Array | string): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.reject(new Error("the client went away"));
  if (res.write(piece)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("the client went away"));
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

/**
 * `logs read`: answers `{ "lines": [...] }`, written as the lines are read (`read` writes the
 * array's items), so a big read is never one JSON document in memory. A read that fails before
 * its first line is an ordinary error answer; after it, the connection is cut (the client sees a
 * truncated answer, never a wrong one).
 */
export async function sendLogLines(
  res: http.ServerResponse,
  read: (write: (piece: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const begin = () => {
    if (res.headersSent) return;
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"lines":[');
  };
  try {
    await read((piece) => {
      begin();
      return writeOrWait(res, piece);
    });
  } catch (error) {
    if (!res.headersSent) throw error;
    res.destroy();
    return;
  }
  begin();
  res.end("]}");
}

/**
 * `logs tail`: the tail (`readTail` writes it as text lines), then every new line, until the
 * client goes away. A client that cannot keep up with a flooding service loses lines (it is told
 * how many), never the engine's memory.
 */
export async function followLogs(
  res: http.ServerResponse,
  readTail: (write: (piece: Uint8Array) => Promise<void>) => Promise<void>,
  subscribe: (write: (line: string) => void) => () => void,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  try {
    await readTail((piece) => writeOrWait(res, piece));
  } catch {
    res.destroy(); // gone, or the read failed: either way this follow is over
    return;
  }
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
  if (res.destroyed) return;
  const unsubscribe = subscribe(write);
  // The answer never ends: its 'close' is the client's connection closing.
  res.on("error", unsubscribe);
  res.on("close", unsubscribe);
}

/** A log read's `filter` (log-filter.ts), checked before any answer is begun: a 400 naming --log-filter when it is not one. */
export function logFilterParam(query: URLSearchParams, project: string, logName: string): { filter?: string; wanted?: RecordFilter } {
  const filter = query.get("filter") ?? undefined;
  if (filter === undefined) return {};
  return { filter, wanted: recordFilter(filter, ownerOf(project, logName)) };
}
