import net from "node:net";

/**
 * One HTTP/1.1 exchange with the engine's admin API over a plain `net` socket: the request written
 * at once with `connection: close`, the answer read until the engine closes the connection, then
 * parsed. Why not node:http: in a CLI call, loading it and sending its first request cost ~4.5 ms
 * against ~1 ms here (SPEC §8 holds a command's start-up to 2.5× `node -e 0`, ~26 ms). The engine's
 * API is node:http's server, and this client keeps to the part of RFC 9112 that server speaks:
 *
 * - The request: `METHOD /path HTTP/1.1`, `host`, the given headers, `content-length` for a body
 *   (and 0 for a POST, PUT or PATCH without one), `connection: close`, then the body (§3, §6.2, §9.6).
 *   The socket is never half-closed: node:http's server cancels a request whose client ends first.
 * - The answer's framing (§6.3): `transfer-encoding: chunked` is decoded (chunk extensions ignored,
 *   trailers dropped), and an answer whose last chunk never came is an error; else `content-length`
 *   bytes, and fewer is an error; else everything until the close. Either way a cut answer is never
 *   taken for a whole one (`logs read` cuts its answer when a read fails halfway, api/http-util.ts).
 * - A status line that is not `HTTP/1.x NNN` is an error; 1xx answers are not expected (no
 *   `expect: 100-continue` is sent) and not handled.
 *
 * test/unit/plain-http.test.ts checks the request's exact bytes and each framing rule with exact
 * answers, against node:http's server as well.
 */

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface PlainRequest {
  port: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

/** The request's bytes: its head, then its body. */
export function requestBytes(request: Omit<PlainRequest, "timeoutMs">): Buffer {
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `host: 127.0.0.1:${request.port}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  if (request.body) lines.push(`content-length: ${request.body.length}`);
  else if (METHODS_WITH_BODY.has(request.method)) lines.push("content-length: 0");
  lines.push("connection: close", "", "");
  const head = Buffer.from(lines.join("\r\n"), "latin1");
  return request.body ? Buffer.concat([head, request.body]) : head;
}

/** Sends the request and resolves with the whole answer; rejects when the connection fails, times out, or the answer is cut short. */
export function exchange(request: PlainRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port: request.port });
    const chunks: Buffer[] = [];
    socket.setTimeout(request.timeoutMs, () => socket.destroy(new Error(`no answer within ${request.timeoutMs / 1000} s`)));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.write(requestBytes(request));
  });
}

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

/** An answer read to the connection's close, as status and body text (UTF-8). */
export function parseAnswer(bytes: Buffer): HttpAnswer {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0)
    throw new Error(bytes.length === 0 ? "the engine closed the connection without answering" : "the engine's answer was cut short");
  const [statusLine, ...fields] = bytes.toString("latin1", 0, headEnd).split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine.slice(0, 40))}`);
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(":");
    if (colon > 0) headers.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1).trim());
  }
  const rest = bytes.subarray(headEnd + HEAD_END.length);
  let body: Buffer;
  if (/(^|,)\s*chunked\s*$/i.test(headers.get("transfer-encoding") ?? "")) body = dechunk(rest);
  else if (headers.has("content-length")) {
    const length = Number(headers.get("content-length"));
    if (!Number.isSafeInteger(length) || length < 0) throw new Error(`bad content-length: ${headers.get("content-length")}`);
    if (rest.length < length) throw new Error("the engine's answer was cut short");
    body = rest.subarray(0, length);
  } else body = rest;
  return { status: Number(status[1]), body: body.toString("utf8") };
}

/** A chunked body's data (RFC 9112 §7.1); throws if it ends before its last (zero-size) chunk. */
function dechunk(bytes: Buffer): Buffer {
  const pieces: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf(CRLF, at);
    if (lineEnd < 0) throw new Error("the engine's answer was cut short");
    const sizeText = bytes.toString("latin1", at, lineEnd).split(";")[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) return Buffer.concat(pieces);
    const start = lineEnd + CRLF.length;
    if (bytes.length < start + size + CRLF.length) throw new Error("the engine's answer was cut short");
    pieces.push(bytes.subarray(start, start + size));
    at = start + size + CRLF.length;
  }
}
