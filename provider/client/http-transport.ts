import http from "node:http";

export interface HttpAnswer {
  status: number;
  body: string;
}

/** The longest an admin API call may take (a deploy waits for its revision's startup deadline). */
const REQUEST_TIMEOUT_MS = 15 * 60_000;

/**
 * HTTP/1.1 to the admin API on 127.0.0.1 with the bearer token: JSON calls and a streamed read.
 * Written on node:http directly: it is all a CLI call needs, and it keeps a command's start-up
 * down to loading a few modules (an HTTP client library costs more to load than the call itself).
 */
export class ApiTransport {
  constructor(
    readonly port: number,
    private readonly token: string,
  ) {}

  request(method: string, path: string, body?: unknown, search?: Record<string, string>): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: this.port,
          method,
          path: withQuery(path, search),
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
          },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** A POST of JSON whose answer comes as lines (a build's progress): each whole line goes to onLine. */
  postLines(path: string, body: unknown, onLine: (line: string) => void): Promise<HttpAnswer> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: this.port,
          method: "POST",
          path: withQuery(path),
          headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json", "content-length": payload.length },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          res.setEncoding("utf8");
          let text = "";
          const ok = (res.statusCode ?? 0) < 400;
          res.on("data", (chunk: string) => {
            text += chunk;
            if (!ok) return;
            let newline;
            while ((newline = text.indexOf("\n")) >= 0) {
              onLine(text.slice(0, newline));
              text = text.slice(newline + 1);
            }
          });
          res.on("end", () => {
            if (ok && text) onLine(text);
            resolve({ status: res.statusCode ?? 0, body: ok ? "" : text });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** A GET whose answer is streamed: each chunk of text goes to onChunk until the engine ends it. */
  stream(path: string, search: Record<string, string>, onChunk: (text: string) => void): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.get(
        { host: "127.0.0.1", port: this.port, path: withQuery(path, search), headers: { authorization: `Bearer ${this.token}` } },
        (res) => {
          if ((res.statusCode ?? 0) >= 400) {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            return;
          }
          res.setEncoding("utf8");
          res.on("data", onChunk);
          res.on("end", () => resolve({ status: res.statusCode ?? 200, body: "" }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
    });
  }
}

function withQuery(path: string, search?: Record<string, string>): string {
  const query = search && Object.keys(search).length > 0 ? `?${new URLSearchParams(search).toString()}` : "";
  return `/v1/${path}${query}`;
}
