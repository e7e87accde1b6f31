import test from "ava";
import http2 from "node:http2";
import net from "node:net";
import { H2_PREFACE } from "../../provider/router/h2-preface";
import { h2Harness, h2Request, type H2Harness } from "../helpers/h2-harness";
import { rawExchange } from "../helpers/raw-http";

// The ingress's HTTP/2 side on loopback, without Docker: the real Ingress, throttlers and proxies
// in front of Node servers as instances (h2c for http2 services, HTTP/1.1 otherwise). HTTP/2
// with prior knowledge shares the port with HTTP/1.1; requests go through unchanged rules
// (X-Forwarded-*, Set-Cookie, trailers); HTTP/1.1 <-> HTTP/2 are translated both ways.

const { NGHTTP2_CANCEL } = http2.constants;

let harness: H2Harness;
/** What the h2 instance saw of each request, by path. */
const seen = new Map<string, http2.IncomingHttpHeaders>();
const cancelled: string[] = [];

test.before(async () => {
  harness = await h2Harness({
    grpc: {
      http2: true,
      timeoutMs: 1_000,
      onStream: (stream, headers) => {
        const path = String(headers[":path"]);
        seen.set(path, headers);
        stream.on("close", () => {
          if (stream.rstCode === NGHTTP2_CANCEL) cancelled.push(path);
        });
        if (path === "/echo") {
          // Each message answered as it comes: nothing may be buffered on the way.
          stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
          stream.on("data", (chunk: Buffer) => stream.write(chunk));
          stream.on("end", () => stream.end());
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-count": "done" }));
        } else if (path === "/hang") {
          // Never answers: the request timeout decides.
        } else if (path === "/hang-after-head") {
          stream.respond({ ":status": 200, "content-type": String(headers["content-type"] ?? "text/plain") });
          stream.write("first");
        } else if (path === "/big") {
          stream.respond({ ":status": 200 });
          let written = 0;
          const chunk = Buffer.alloc(64 * 1024, 120);
          const pump = () => {
            while (written < 32 * 1024 * 1024) {
              written += chunk.length;
              if (!stream.write(chunk)) return void stream.once("drain", pump);
            }
            stream.end();
          };
          pump();
          bigStreams.push(() => written);
        } else if (path === "/cookie") {
          stream.respond({ ":status": 200, "set-cookie": ["a=1", "b=2"], "cache-control": "public" });
          stream.end("ok");
        } else if (path === "/trailers-only") {
          stream.respond(
            { ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "not found" },
            { endStream: true },
          );
        } else if (path === "/die") {
          stream.respond({ ":status": 200 });
          stream.write("part");
          // session.destroy() closes its socket with no GOAWAY, as a killed process would; Node 22 refuses socket.destroy() through the session.
          setTimeout(() => stream.session?.destroy(), 50);
        } else if (path === "/reset") {
          stream.respond({ ":status": 200 });
          stream.write("part");
          setTimeout(() => stream.destroy(new Error("the app resets")), 50);
        } else if (path === "/goaway") {
          stream.respond({ ":status": 200 });
          stream.end("bye");
          stream.session?.goaway();
        } else {
          stream.respond({ ":status": 200, "content-type": "text/plain" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-trailer": "t" }));
          stream.end(`hello ${path}`);
        }
      },
    },
    plain: {
      http2: false,
      timeoutMs: 1_000,
      onRequest: (req, res) => {
        let body = "";
        req.setEncoding("utf8");
        req.on("data", (c: string) => (body += c));
        req.on("end", () => {
          if (req.url === "/trailers") {
            res.writeHead(200, { "content-type": "text/plain", trailer: "x-sum" });
            res.write("abc");
            res.addTrailers({ "x-sum": "3" });
            return res.end();
          }
          res.writeHead(200, { "content-type": "application/json", "set-cookie": "s=1", "x-version": req.httpVersion });
          res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
        });
      },
    },
  });
});

test.after.always(() => harness?.close());

const bigStreams: (() => number)[] = [];

test.serial("HTTP/2 to an h2c instance: body, trailers, X-Forwarded-*; :authority reaches it as the client's host", async (t) => {
  const session = harness.connect();
  const answer = await h2Request(session, { ":path": "/hello", ":authority": "grpc.localhost", te: "trailers" });
  session.close();
  t.is(answer.status, 200);
  t.is(answer.body, "hello /hello");
  t.like(answer.trailers, { "grpc-status": "0", "x-trailer": "t" });
  t.like(seen.get("/hello"), {
    ":authority": "grpc.localhost",
    ":scheme": "http",
    te: "trailers",
    "x-forwarded-for": "127.0.0.1",
    "x-forwarded-proto": "http",
    "x-forwarded-host": "grpc.localhost",
  });
});

test.serial(
  "a trailers-only answer (gRPC's error at once) passes as one HEADERS frame; Set-Cookie makes Cache-Control private",
  async (t) => {
    const session = harness.connect();
    const only = await h2Request(session, { ":path": "/trailers-only", ":authority": "grpc.localhost" });
    t.is(only.headers["grpc-status"], "5");
    t.is(only.headers["grpc-message"], "not found");
    t.is(only.trailers, undefined);
    const cookie = await h2Request(session, { ":path": "/cookie", ":authority": "grpc.localhost" });
    t.deepEqual(cookie.headers["set-cookie"], ["a=1", "b=2"]);
    t.is(cookie.headers["cache-control"], "private");
    session.close();
  },
);

test.serial("a bidirectional stream is not buffered: each of 200 messages comes back before the next is sent", async (t) => {
  const session = harness.connect();
  const stream = session.request({
    ":path": "/echo",
    ":authority": "grpc.localhost",
    ":method": "POST",
    "content-type": "application/grpc",
  });
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on("trailers", resolve));
  let received = "";
  for (let i = 0; i < 200; i++) {
    const message = `m${i};`;
    const echoed = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        received += chunk.toString();
        if (received.endsWith(message)) {
          stream.off("data", onData);
          resolve();
        }
      };
      stream.on("data", onData);
    });
    stream.write(message);
    await echoed;
  }
  stream.end();
  t.like(await trailers, { "grpc-status": "0", "x-count": "done" });
  t.is(received.split(";").length - 1, 200);
  session.close();
});

test.serial("backpressure: an instance writing 32 MiB to a client that does not read is held to flow-control windows", async (t) => {
  const session = harness.connect();
  const stream = session.request({ ":path": "/big", ":authority": "grpc.localhost" });
  stream.on("error", () => undefined);
  stream.pause();
  await new Promise((resolve) => setTimeout(resolve, 700));
  const written = bigStreams.at(-1)?.() ?? 0;
  t.true(written > 0 && written < 4 * 1024 * 1024, `the instance got ${written} bytes out while nobody read`);
  stream.close(NGHTTP2_CANCEL);
  session.close();
});

test.serial(
  "gRPC past the request timeout: DEADLINE_EXCEEDED trailers-only before the response, in trailers after it began; the instance's stream is cancelled",
  async (t) => {
    const session = harness.connect();
    const before = await h2Request(
      session,
      { ":path": "/hang", ":authority": "grpc.localhost", ":method": "POST", "content-type": "application/grpc" },
      "x",
    );
    t.is(before.status, 200);
    t.is(before.headers["grpc-status"], "4");
    t.is(before.headers["grpc-message"], "upstream request timeout");
    const after = await h2Request(
      session,
      { ":path": "/hang-after-head", ":authority": "grpc.localhost", ":method": "POST", "content-type": "application/grpc" },
      "x",
    );
    t.is(after.body, "first");
    t.is(after.trailers?.["grpc-status"], "4");
    t.is(after.rstCode, 0, "the call ends with its status, not a reset");
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.true(cancelled.includes("/hang") && cancelled.includes("/hang-after-head"), `cancelled: ${cancelled.join(", ")}`);
    session.close();
  },
);

test.serial("plain HTTP/2 past the request timeout: 504 before the response, RST_STREAM after it began", async (t) => {
  const session = harness.connect();
  const before = await h2Request(session, { ":path": "/hang", ":authority": "grpc.localhost" });
  t.is(before.status, 504);
  t.is(before.body, "upstream request timeout\n");
  const after = await h2Request(session, { ":path": "/hang-after-head", ":authority": "grpc.localhost" });
  t.is(after.status, 200);
  t.is(after.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
  session.close();
});

test.serial("an instance that dies mid-stream, or resets one: that stream is reset, the engine and other streams go on", async (t) => {
  const session = harness.connect();
  const [died, reset] = await Promise.all([
    h2Request(session, { ":path": "/die", ":authority": "grpc.localhost" }),
    h2Request(session, { ":path": "/reset", ":authority": "grpc.localhost" }),
  ]);
  t.is(died.status, 200);
  t.not(died.rstCode, 0);
  t.is(reset.status, 200);
  t.not(reset.rstCode, 0);
  const after = await h2Request(session, { ":path": "/after", ":authority": "grpc.localhost" });
  t.is(after.body, "hello /after");
  session.close();
});

test.serial("an instance's GOAWAY: the stream in flight finishes, the next request opens a new session", async (t) => {
  const session = harness.connect();
  const bye = await h2Request(session, { ":path": "/goaway", ":authority": "grpc.localhost" });
  t.is(bye.body, "bye");
  const next = await h2Request(session, { ":path": "/after-goaway", ":authority": "grpc.localhost" });
  t.is(next.body, "hello /after-goaway");
  session.close();
});

test.serial("a client that resets its stream: the instance's stream is cancelled, its slot freed", async (t) => {
  const session = harness.connect();
  const stream = session.request({ ":path": "/hang", ":authority": "grpc.localhost", "x-which": "client-reset" });
  stream.on("error", () => undefined);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = cancelled.length;
  stream.close(NGHTTP2_CANCEL);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(cancelled.length, before + 1);
  session.close();
});

test.serial(
  "HTTP/2 to an HTTP/1.1 instance: translated (Host, joined cookies, a body in chunks); the answer's Set-Cookie rule and trailers",
  async (t) => {
    const session = harness.connect();
    const answer = await h2Request(
      session,
      { ":path": "/form", ":method": "POST", ":authority": "plain.localhost", cookie: ["a=1", "b=2"], "content-type": "text/plain" },
      "the body",
    );
    t.is(answer.status, 200);
    const echoed = JSON.parse(answer.body) as { method: string; url: string; headers: Record<string, string>; body: string };
    t.like(echoed, { method: "POST", url: "/form", body: "the body" });
    t.like(echoed.headers, {
      host: "plain.localhost",
      cookie: "a=1; b=2",
      "transfer-encoding": "chunked",
      "x-forwarded-host": "plain.localhost",
    });
    t.is(answer.headers["x-version"], "1.1");
    t.is(answer.headers["cache-control"], "private");
    const trailers = await h2Request(session, { ":path": "/trailers", ":authority": "plain.localhost" });
    t.is(trailers.body, "abc");
    t.like(trailers.trailers, { "x-sum": "3" });
    session.close();
  },
);

test.serial(
  "HTTP/1.1 to an h2c instance: translated; the answer chunked with its trailers; HTTP/1.1 on the same port is unchanged",
  async (t) => {
    const h1 = await rawExchange(harness.port, [
      "GET /hello HTTP/1.1\r\nHost: grpc.localhost\r\nTE: trailers\r\nConnection: close\r\n\r\n",
    ]);
    t.regex(h1, /^HTTP\/1\.1 200 OK\r\n/);
    t.regex(h1, /transfer-encoding: chunked\r\n/i);
    t.regex(h1, /\r\nc\r\nhello \/hello\r\n0\r\ngrpc-status: 0\r\nx-trailer: t\r\n\r\n$/);
    t.like(seen.get("/hello"), { te: "trailers", ":authority": "grpc.localhost" });
    const plain = await rawExchange(harness.port, ["GET /x HTTP/1.1\r\nHost: plain.localhost\r\nConnection: close\r\n\r\n"]);
    t.regex(plain, /^HTTP\/1\.1 200 OK\r\n/);
  },
);

test.serial("the preface split over several writes is still HTTP/2; garbage after it ends that session only", async (t) => {
  const split = await new Promise<string>((resolve) => {
    const socket = net.connect(harness.port, "127.0.0.1");
    socket.on("error", () => undefined);
    let got = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => (got = Buffer.concat([got, chunk])));
    socket.on("close", () => resolve(got.toString("latin1")));
    socket.write(H2_PREFACE.subarray(0, 5));
    setTimeout(() => socket.write(H2_PREFACE.subarray(5)), 30);
    // A frame header announcing a frame type 0xff of a huge length on stream 1, then junk.
    setTimeout(() => socket.write(Buffer.from([0xff, 0xff, 0xff, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 1, 2, 3])), 60);
    setTimeout(() => socket.destroy(), 500);
  });
  // The server's SETTINGS frame (type 4) came back, then GOAWAY (type 7) for the bad frame.
  t.true(split.length >= 9 && split.charCodeAt(3) === 4, "the ingress answered with HTTP/2 SETTINGS");
  const session = harness.connect();
  const after = await h2Request(session, { ":path": "/still", ":authority": "grpc.localhost" });
  t.is(after.body, "hello /still");
  session.close();
});

test.serial("an HTTP/2 request the router cannot route: 404 with the same words as HTTP/1.1; a missing authority is 400", async (t) => {
  const session = harness.connect();
  const unknown = await h2Request(session, { ":path": "/", ":authority": "nothing.localhost" });
  t.is(unknown.status, 404);
  t.regex(unknown.body, /no service "nothing"/);
  const grpcUnknown = await h2Request(session, { ":path": "/", ":authority": "nothing.localhost", "content-type": "application/grpc" });
  t.is(grpcUnknown.status, 200);
  t.is(grpcUnknown.headers["grpc-status"], "12", "UNIMPLEMENTED, as gRPC reads a 404");
  session.close();
});
