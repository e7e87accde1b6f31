import type http from "node:http";
import { ErrorBody, httpStatusOf, SkiffError } from "../model/errors";

const MAX_BODY_BYTES = 1024 * 1024;

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
    if (size > MAX_BODY_BYTES) throw new SkiffError("INVALID_ARGUMENT", `request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new SkiffError("INVALID_ARGUMENT", `request body is not JSON: ${(error as Error).message}`);
  }
}
