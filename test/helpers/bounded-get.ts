import * as http from "node:http";

/** How one GET ended: its status, headers and body, or (status 0) the error that ended it. */
export type BoundedAnswer =
  | { status: number; headers: http.IncomingHttpHeaders; body: string; error?: undefined }
  | { status: 0; headers?: undefined; body: ""; error: string };

/**
 * One GET to the ingress on 127.0.0.1, the service named in the Host header, for the load
 * generators (clients.ts, load.ts). Bounded: a request still open after `timeoutMs` is destroyed.
 * It never rejects: a reset, a refused connection or the timeout is an answer with status 0.
 */
export function boundedGet(o: {
  port: number;
  host: string;
  path: string;
  agent: http.Agent | false;
  timeoutMs: number;
}): Promise<BoundedAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: BoundedAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const failed = (e: Error) => finish({ status: 0, body: "", error: String(e) });
    const req = http.request(
      { host: "127.0.0.1", port: o.port, path: o.path, method: "GET", headers: { host: o.host }, agent: o.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", failed);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on("error", failed);
    req.end();
  });
}
