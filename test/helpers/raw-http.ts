import net from "node:net";

// HTTP/1.1 spoken by hand on a socket, for tests that need exact bytes on the wire.

/**
 * Sends `parts` on one connection (each a separate write, `gapMs` apart), then reads until the
 * server closes the connection, `until` says what was read is all, or `quietMs` pass with nothing
 * new; resolves with all it read.
 */
export interface ExchangeOptions {
  gapMs?: number;
  quietMs?: number;
  until?: (raw: string) => boolean;
}

export function rawExchange(
  port: number,
  parts: (string | Buffer)[],
  { gapMs = 0, quietMs = 300, until = () => false }: ExchangeOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (until(received)) done();
      else quiet();
    });
    socket.on("close", done);
    socket.on("error", reject);
    socket.on("connect", async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (!socket.destroyed) socket.write(part);
      }
      quiet();
    });
  });
}

export interface ParsedResponse {
  status: string;
  headers: string[];
  body: string;
  trailers: string[];
}

/** The HTTP/1.1 responses in `raw`, each as { status line, head lines, body, trailer lines }; throws when the last is incomplete. */
export function splitResponses(raw: string): ParsedResponse[] {
  const { responses, rest } = completeResponses(raw);
  if (rest !== "") throw new Error(`an incomplete response: ${JSON.stringify(rest.slice(0, 300))}`);
  return responses;
}

/**
 * The whole responses at the start of `raw` (bodies by Content-Length or chunks, trailers kept
 * apart) and what is left of an incomplete one.
 */
export function completeResponses(raw: string): { responses: ParsedResponse[]; rest: string } {
  const responses: ParsedResponse[] = [];
  let at = 0;
  for (;;) {
    const start = at;
    const headEnd = raw.indexOf("\r\n\r\n", at);
    if (headEnd < 0) return { responses, rest: raw.slice(start) };
    const [status = "", ...headers] = raw.slice(at, headEnd).split("\r\n");
    at = headEnd + 4;
    const header = (name: string) =>
      headers
        .find((h) => h.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    let body = "";
    const trailers: string[] = [];
    let complete = true;
    if (header("transfer-encoding")?.toLowerCase() === "chunked") {
      chunks: for (;;) {
        const lineEnd = raw.indexOf("\r\n", at);
        if (lineEnd < 0) {
          complete = false;
          break;
        }
        const size = parseInt(raw.slice(at, lineEnd), 16);
        at = lineEnd + 2;
        if (size === 0) {
          for (;;) {
            const next = raw.indexOf("\r\n", at);
            if (next < 0) {
              complete = false;
              break chunks;
            }
            if (next === at) {
              at += 2;
              break chunks;
            }
            trailers.push(raw.slice(at, next));
            at = next + 2;
          }
        }
        if (raw.length < at + size + 2) {
          complete = false;
          break;
        }
        body += raw.slice(at, at + size);
        at += size + 2;
      }
    } else {
      const length = Number(header("content-length") ?? 0);
      if (raw.length < at + length) complete = false;
      body = raw.slice(at, at + length);
      at += length;
    }
    if (!complete) return { responses, rest: raw.slice(start) };
    responses.push({ status, headers, body, trailers });
    if (at >= raw.length) return { responses, rest: "" };
  }
}

/** The trace headers the ingress makes for a request without them (router/trace-context.ts), taken out: they are new each time. */
export function untraced(text: string): string {
  return text.replace(/traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]\r\nx-cloud-trace-context: [0-9a-f]{32}\/\d+;o=[01]\r\n/g, "");
}
