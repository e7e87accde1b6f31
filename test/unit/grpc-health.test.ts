import test from "ava";
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { decodeHealthResponse, encodeHealthRequest, grpcHealthOnce } from "../../provider/runtime/grpc-health";
import { describeOutcome, httpProbeFailure, probePassed } from "../../provider/runtime/http-probe";

// The gRPC probe's one call, byte by byte: the 5-byte prefix and the protobuf of
// grpc.health.v1's HealthCheckRequest/Response; then the call against an h2c server on loopback
// (Node's http2, answering as a gRPC server does: trailers, or trailers-only for an error).

test("a HealthCheckRequest: the prefix (flag 0, big-endian length), then field 1 as a length-delimited string", (t) => {
  t.deepEqual([...encodeHealthRequest("")], [0, 0, 0, 0, 0], "the whole server: an empty message");
  t.deepEqual([...encodeHealthRequest("echo")], [0, 0, 0, 0, 6, 0x0a, 4, ...Buffer.from("echo")]);
  const long = "s".repeat(200);
  t.deepEqual([...encodeHealthRequest(long).subarray(0, 8)], [0, 0, 0, 0, 203, 0x0a, 0xc8, 0x01], "a varint length over 127");
});

test("a HealthCheckResponse: field 1's varint by name; missing is UNKNOWN; other fields skipped; bad bytes undefined", (t) => {
  t.is(decodeHealthResponse(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), "SERVING");
  t.is(decodeHealthResponse(Buffer.from([0, 0, 0, 0, 2, 0x08, 2])), "NOT_SERVING");
  t.is(decodeHealthResponse(Buffer.from([0, 0, 0, 0, 0])), "UNKNOWN");
  t.is(decodeHealthResponse(Buffer.from([0, 0, 0, 0, 5, 0x12, 1, 0x41, 0x08, 1])), "SERVING", "an unknown string field first");
  t.is(decodeHealthResponse(Buffer.from([0, 0, 0, 0, 3, 0x08, 1])), undefined, "the length does not match");
  t.is(decodeHealthResponse(Buffer.from([1, 0, 0, 0, 2, 0x08, 1])), undefined, "compressed");
});

test("SERVING passes and nothing else; the failure reason says what was asked and what came back", (t) => {
  t.true(probePassed({ grpc: "SERVING" }));
  t.false(probePassed({ grpc: "NOT_SERVING" }));
  t.is(describeOutcome({ grpc: "NOT_SERVING" }, "call"), "the last answer was NOT_SERVING");
  const probe = { path: "", headers: [], grpc: { service: "echo" }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000 };
  t.is(
    httpProbeFailure(probe, 8080, 5000, { error: "ECONNREFUSED" }),
    'the startup probe gRPC health check of "echo" on port 8080 did not answer SERVING within the startup deadline of 5 s (the last call failed: ECONNREFUSED)',
  );
});

/** An h2c server answering Health/Check: `answer(service)` is a serving status number, or a gRPC error code (trailers-only). */
async function healthServer(answer: (service: string) => { status: number } | { code: number; message: string }) {
  const seen: { path: string; contentType: string; body: number[] }[] = [];
  const server: Http2Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ path: req.url, contentType: String(req.headers["content-type"]), body: [...body] });
      const service = body.length > 7 ? body.subarray(7).toString() : "";
      const a = answer(service);
      if ("code" in a) {
        res.writeHead(200, {
          "content-type": "application/grpc",
          "grpc-status": String(a.code),
          "grpc-message": encodeURIComponent(a.message),
        });
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/grpc" });
      res.addTrailers({ "grpc-status": "0" });
      res.end(Buffer.from([0, 0, 0, 0, 2, 0x08, a.status]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, seen, target: { host: "127.0.0.1", port: (server.address() as AddressInfo).port } };
}

test("one call over h2c: SERVING, NOT_SERVING, an error status, and nothing listening", async (t) => {
  const h = await healthServer((service) =>
    service === "" ? { status: 1 } : service === "down" ? { status: 2 } : { code: 5, message: "unknown service" },
  );
  try {
    t.deepEqual(await grpcHealthOnce(h.target, "", 1000, "test"), { grpc: "SERVING" });
    t.deepEqual(h.seen[0], { path: "/grpc.health.v1.Health/Check", contentType: "application/grpc", body: [0, 0, 0, 0, 0] });
    t.deepEqual(await grpcHealthOnce(h.target, "down", 1000, "test"), { grpc: "NOT_SERVING" });
    t.deepEqual(await grpcHealthOnce(h.target, "nope", 1000, "test"), { error: "the health call failed: grpc-status 5 (unknown service)" });
  } finally {
    await new Promise((resolve) => h.server.close(resolve));
  }
  const refused = await grpcHealthOnce(h.target, "", 1000, "test");
  t.true("error" in refused, JSON.stringify(refused));
});

test("a server that does not answer within the timeout fails the check in about the timeout", async (t) => {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const started = Date.now();
    const outcome = await grpcHealthOnce({ host: "127.0.0.1", port: (server.address() as AddressInfo).port }, "", 300, "test");
    t.deepEqual(outcome, { error: "no answer within 0.3 s" });
    t.true(Date.now() - started < 2000);
  } finally {
    server.close();
  }
});
