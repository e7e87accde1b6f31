import test from "ava";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { exchange, parseAnswer, requestBytes } from "../../provider/client/plain-http";

// provider/client/plain-http.ts: the CLI's JSON calls as one HTTP/1.1 exchange over a net socket.
// The request's exact bytes, each framing rule on exact answers, and whole exchanges with node:http's
// server (what the engine's admin API is).

const answer = (text: string): Buffer => Buffer.from(text, "latin1");

test("a request is its line, host, the given headers, content-length for a body, connection: close, then the body", (t) => {
  const body = Buffer.from('{"a":"é"}');
  t.is(
    requestBytes({
      port: 4000,
      method: "PUT",
      path: "/v1/x?y=1",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body,
    }).toString("latin1"),
    "PUT /v1/x?y=1 HTTP/1.1\r\nhost: 127.0.0.1:4000\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: 10\r\nconnection: close\r\n\r\n" +
      body.toString("latin1"),
  );
  t.is(
    requestBytes({ port: 4000, method: "GET", path: "/v1/x", headers: { authorization: "Bearer t" } }).toString("latin1"),
    "GET /v1/x HTTP/1.1\r\nhost: 127.0.0.1:4000\r\nauthorization: Bearer t\r\nconnection: close\r\n\r\n",
  );
  // A POST without a body says so, as node:http's client does.
  t.is(
    requestBytes({ port: 1, method: "POST", path: "/v1/e", headers: {} }).toString("latin1"),
    "POST /v1/e HTTP/1.1\r\nhost: 127.0.0.1:1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
  );
});

test("content-length frames the body; bytes past it are not the body", (t) => {
  t.deepEqual(parseAnswer(answer('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}')), {
    status: 200,
    body: '{"a":1}',
  });
  t.deepEqual(parseAnswer(answer("HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}xyz")), { status: 404, body: "{}" });
  t.throws(() => parseAnswer(answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}")), { message: /cut short/ });
  t.throws(() => parseAnswer(answer("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")), { message: /content-length/ });
});

test("a chunked body is decoded, extensions and trailers ignored; one without its last chunk is an error", (t) => {
  t.deepEqual(
    parseAnswer(answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3;x=y\r\n:1}\r\n0\r\nTrailer: v\r\n\r\n')),
    {
      status: 200,
      body: '{"a":1}',
    },
  );
  t.deepEqual(parseAnswer(answer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n")).body, "0123456789");
  t.throws(() => parseAnswer(answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n')), { message: /cut short/ });
  t.throws(() => parseAnswer(answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{}")), { message: /cut short/ });
  t.throws(() => parseAnswer(answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")), { message: /chunk size/ });
});

test("without a length the body runs to the close; a head that never ended or is not HTTP is an error", (t) => {
  t.deepEqual(parseAnswer(answer("HTTP/1.0 200 OK\r\n\r\nall of it")), { status: 200, body: "all of it" });
  t.deepEqual(parseAnswer(answer("HTTP/1.1 204\r\n\r\n")), { status: 204, body: "" });
  t.throws(() => parseAnswer(Buffer.alloc(0)), { message: /without answering/ });
  t.throws(() => parseAnswer(answer("HTTP/1.1 200 OK\r\nContent-Le")), { message: /cut short/ });
  t.throws(() => parseAnswer(answer("SSH-2.0-OpenSSH\r\n\r\n")), { message: /not an HTTP answer/ });
});

test("a UTF-8 body split anywhere comes back whole", (t) => {
  const text = JSON.stringify({ message: "naïve ≤ 2.5× ✓" });
  const bytes = Buffer.from(text);
  const chunked = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${bytes.subarray(0, 5).toString("latin1")}\r\n${(bytes.length - 5).toString(16)}\r\n${bytes.subarray(5).toString("latin1")}\r\n0\r\n\r\n`;
  t.is(parseAnswer(answer(chunked)).body, text);
});

/** A node:http server on loopback for one test; closed after it. */
async function server(t: { teardown: (f: () => void) => void }, handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  t.teardown(() => s.close());
  return (s.address() as AddressInfo).port;
}

test("with node:http's server: the method, path, headers and body arrive, and the answer comes back, framed by length or in chunks", async (t) => {
  let seen: { method?: string; url?: string; auth?: string; type?: string; body: string } = { body: "" };
  const port = await server(t, (req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers["content-type"], body };
      if (req.url === "/chunked") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"lines":[');
        setTimeout(() => res.end('"a","b"]}'), 20);
      } else res.writeHead(201, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
    });
  });
  const sent = Buffer.from(JSON.stringify({ name: "é".repeat(3000) }));
  const put = await exchange({
    port,
    method: "PUT",
    path: "/v1/x",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: sent,
    timeoutMs: 5000,
  });
  t.deepEqual(put, { status: 201, body: sent.toString("utf8") });
  t.deepEqual(seen, { method: "PUT", url: "/v1/x", auth: "Bearer t", type: "application/json", body: sent.toString("utf8") });
  t.deepEqual(await exchange({ port, method: "GET", path: "/chunked", headers: {}, timeoutMs: 5000 }), {
    status: 200,
    body: '{"lines":["a","b"]}',
  });
  t.deepEqual(await exchange({ port, method: "DELETE", path: "/v1/x", headers: {}, timeoutMs: 5000 }), { status: 201, body: "" });
});

test("an answer the server cuts halfway, a refused connection and a silent server are errors", async (t) => {
  const port = await server(t, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"lines":["a"');
    setTimeout(() => res.destroy(), 20);
  });
  await t.throwsAsync(exchange({ port, method: "GET", path: "/", headers: {}, timeoutMs: 5000 }), { message: /cut short|ECONNRESET/ });

  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const freePort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await t.throwsAsync(exchange({ port: freePort, method: "GET", path: "/", headers: {}, timeoutMs: 5000 }), { message: /ECONNREFUSED/ });

  const silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.teardown(() => silent.close());
  const silentPort = (silent.address() as AddressInfo).port;
  await t.throwsAsync(exchange({ port: silentPort, method: "GET", path: "/", headers: {}, timeoutMs: 200 }), {
    message: /no answer within 0.2 s/,
  });
});
