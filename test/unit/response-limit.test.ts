import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import test from "ava";
import { silentLogger } from "../../provider/base/logger";
import { HTTP1_RESPONSE_LENGTH_LIMIT_BYTES } from "../../provider/model/request-limits";
import { overResponseLimit } from "../../provider/router/forwarding";
import { Ingress } from "../../provider/router/ingress";
import { RoutingTable } from "../../provider/router/routing-table";
import { RevisionThrottlers } from "../../provider/scaling/revision-throttlers";
import { routeToLoopbackInstance } from "../helpers/loopback-route";

// Cloud Run fails an HTTP/1 container's response whose Content-Length is over 32 MiB with 500
// ("Response size was too large"); one sent in chunks has no limit. The real Ingress in front of a
// loopback instance (node:http) that answers /length/<n> with that Content-Length and /chunked/<n>
// with that many bytes in chunks.

const LIMIT = HTTP1_RESPONSE_LENGTH_LIMIT_BYTES;
const MiB = Buffer.alloc(1024 * 1024, 120);
let ingressPort: number;
let close: () => Promise<void>;

/** Writes `total` bytes of x, a MiB at a time, respecting back-pressure. */
function writeBytes(res: http.ServerResponse, total: number): void {
  let left = total;
  const more = (): void => {
    while (left > 0) {
      const piece = left >= MiB.length ? MiB : MiB.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) return void res.once("drain", more);
    }
    res.end();
  };
  more();
}

test.before(async () => {
  const instance = http.createServer((req, res) => {
    const [, kind, size] = (req.url ?? "").split("/");
    const bytes = Number(size);
    if (kind === "length") res.setHeader("content-length", String(bytes));
    res.writeHead(200, { "content-type": "application/octet-stream" });
    if (req.method === "HEAD") return void res.end();
    writeBytes(res, bytes);
  });
  await new Promise<void>((resolve) => instance.listen(0, "127.0.0.1", resolve));
  const routes = new RoutingTable();
  const throttlers = new RevisionThrottlers();
  routeToLoopbackInstance(routes, throttlers, "big", { port: (instance.address() as AddressInfo).port, timeoutMs: 30_000 });
  const ingress = new Ingress(routes, throttlers, silentLogger);
  ingress.open();
  await new Promise<void>((resolve) => ingress.server.listen(0, "127.0.0.1", resolve));
  ingressPort = (ingress.server.address() as AddressInfo).port;
  close = async () => {
    ingress.closeConnections();
    instance.closeAllConnections();
    await Promise.all([new Promise((r) => ingress.server.close(r)), new Promise((r) => instance.close(r))]);
  };
});

test.after.always(async () => {
  await close?.();
});

/** Status, the body's length and its start, over HTTP/1.1. */
function get(path: string, method = "GET"): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: ingressPort, path, method, headers: { host: "big.localhost" }, agent: false },
      (res) => {
        let bytes = 0;
        let text = "";
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (text.length < 400) text += chunk.toString("latin1", 0, Math.min(chunk.length, 400));
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("the limit's rule: a Content-Length over 32 MiB, parsed only when it has the digits to be", (t) => {
  t.false(overResponseLimit(undefined));
  t.false(overResponseLimit("0"));
  t.false(overResponseLimit(String(LIMIT)));
  t.true(overResponseLimit(String(LIMIT + 1)));
  t.true(overResponseLimit("100000000000"));
});

test("a response with a Content-Length over 32 MiB is answered 500, as Cloud Run fails it", async (t) => {
  // Before: the 32 MiB + 1 bytes reached the client, as they never would on Cloud Run.
  const answer = await get(`/length/${LIMIT + 1}`);
  t.is(answer.status, 500);
  t.regex(answer.text, /^Response size was too large/);
  t.true(answer.bytes < 1024, `${answer.bytes} bytes`);
});

test("a response of exactly 32 MiB with its length, one streamed in chunks past it, and a HEAD's length pass", async (t) => {
  const exact = await get(`/length/${LIMIT}`);
  t.deepEqual([exact.status, exact.bytes], [200, LIMIT]);
  const chunked = await get(`/chunked/${LIMIT + MiB.length}`);
  t.deepEqual([chunked.status, chunked.bytes], [200, LIMIT + MiB.length]);
  const head = await get(`/length/${LIMIT + 1}`, "HEAD");
  t.is(head.status, 200);
});

test("an HTTP/2 client gets the same 500 from an HTTP/1 instance's response over the limit", async (t) => {
  const session = http2.connect(`http://127.0.0.1:${ingressPort}`);
  t.teardown(() => session.close());
  const status = await new Promise<number>((resolve, reject) => {
    const stream = session.request({ ":path": `/length/${LIMIT + 1}`, ":authority": "big.localhost" });
    stream.on("response", (headers) => resolve(Number(headers[":status"])));
    stream.on("error", reject);
    stream.resume();
  });
  t.is(status, 500);
});
