import * as http from "node:http";

/**
 * Requests to the ingress by Host header. glibc (and so Node's dns.lookup) does not resolve
 * `*.localhost`, so tests connect to 127.0.0.1 and name the service in the Host header, as the engine expects.
 */

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Upper bound on the whole exchange; the request is aborted and the promise rejects after it. */
  timeoutMs?: number;
}

export function httpRequest(port: number, host: string, path: string, init: RequestInit = {}): Promise<HttpAnswer> {
  const timeoutMs = init.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: init.method ?? "GET",
        headers: { ...init.headers, host },
        // A fresh connection per request: keep-alive reuse would hide per-request routing bugs.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", fail);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`${init.method ?? "GET"} ${host}${path} did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    req.on("error", fail);
    req.end(init.body);
  });
}

/** Polls until `check` resolves truthy, or rejects with the last failure after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = `${what}: condition not met`;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; last: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
