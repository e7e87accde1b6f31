import test from "ava";
import { clientResponseHeaders, parseRequestHead, upstreamRequestHead, type RequestHead } from "../../provider/router/forwarding";

function request(rawHeaders: string[], method = "GET", url = "/path?q=1"): RequestHead {
  return parseRequestHead(method, url, rawHeaders, "127.0.0.1");
}

test("one pass picks out what the router needs: the first Host, Connection, Upgrade, Expect, and whether a body follows", (t) => {
  t.like(request(["HOST", "a.localhost", "Host", "b.localhost", "Connection", "keep-alive", "connection", "Upgrade", "Upgrade", "websocket", "Expect", "100-continue"]), {
    host: "a.localhost", connection: "keep-alive, Upgrade", upgrade: "websocket", expect: "100-continue", hasBody: false, chunked: false,
  });
  t.like(request(["Content-Length", "0"], "POST"), { hasBody: false, chunked: false });
  t.like(request(["Content-Length", "12"], "POST"), { hasBody: true, chunked: false });
  t.like(request(["Transfer-Encoding", "chunked"], "POST"), { hasBody: true, chunked: true });
});

test("the head keeps the client's lines as written, drops hop-by-hop ones and those Connection names, and says this hop", (t) => {
  const req = request(["Host", "svc.localhost:8080", "Connection", "keep-alive, X-Secret", "X-Secret", "s", "Keep-Alive", "timeout=5", "Accept", "*/*", "Accept", "text/plain", "TE", "trailers"]);
  t.is(
    upstreamRequestHead(req, false),
    "GET /path?q=1 HTTP/1.1\r\nHost: svc.localhost:8080\r\nAccept: */*\r\nAccept: text/plain\r\n" +
      "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: svc.localhost:8080\r\n\r\n",
  );
});

test("a client's own X-Forwarded-* are replaced, unless it is trusted: then kept and For appended to", (t) => {
  const req = request(["Host", "h", "X-Forwarded-For", "10.0.0.1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "example.test"]);
  t.true(upstreamRequestHead(req, false).endsWith("x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: h\r\n\r\n"));
  t.true(upstreamRequestHead(req, true).endsWith("x-forwarded-for: 10.0.0.1, 127.0.0.1\r\nx-forwarded-proto: https\r\nx-forwarded-host: example.test\r\n\r\n"));
});

test("a chunked body is announced as chunked again; an upgrade asks for it with Connection and Upgrade", (t) => {
  const chunked = request(["Host", "h", "Transfer-Encoding", "chunked"], "POST");
  t.regex(upstreamRequestHead(chunked, false), /^POST \/path\?q=1 HTTP\/1\.1\r\nHost: h\r\ntransfer-encoding: chunked\r\nx-forwarded-for/);
  const upgrade = request(["Host", "h", "Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Key", "k"]);
  t.regex(upstreamRequestHead(upgrade, false, "websocket"), /^GET \/path\?q=1 HTTP\/1\.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\nconnection: Upgrade\r\nupgrade: websocket\r\nx-forwarded-for/);
});

test("response headers lose hop-by-hop ones and keep repeated ones; Set-Cookie makes Cache-Control private", (t) => {
  t.deepEqual(clientResponseHeaders(["Content-Type", "text/plain", "Connection", "keep-alive", "Keep-Alive", "timeout=5", "Transfer-Encoding", "chunked", "X-A", "1", "X-A", "2"]), {
    headers: ["Content-Type", "text/plain", "X-A", "1", "X-A", "2"],
    hasLength: false,
  });
  t.deepEqual(clientResponseHeaders(["Cache-Control", "public, max-age=60", "Set-Cookie", "a=1", "Set-Cookie", "b=2", "Content-Length", "0"]), {
    headers: ["Set-Cookie", "a=1", "Set-Cookie", "b=2", "Content-Length", "0", "cache-control", "private"],
    hasLength: true,
  });
});
