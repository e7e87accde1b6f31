import test from "ava";
import { untraced } from "../helpers/raw-http";
import {
  clientResponseHeaders,
  lastChunk,
  parseRequestHead,
  upstreamRequestHead,
  type RequestHead,
} from "../../provider/router/forwarding";

function request(rawHeaders: string[], method = "GET", url = "/path?q=1"): RequestHead {
  return parseRequestHead(method, url, rawHeaders, "127.0.0.1");
}

test("one pass picks out what the router needs: the Host, Connection, Upgrade, Expect, and whether a body follows", (t) => {
  t.like(
    request(["HOST", "a.localhost", "Connection", "keep-alive", "connection", "Upgrade", "Upgrade", "websocket", "Expect", "100-continue"]),
    {
      host: "a.localhost",
      connection: "keep-alive, Upgrade",
      upgrade: "websocket",
      expect: "100-continue",
      hasBody: false,
      chunked: false,
    },
  );
  t.like(request(["Content-Length", "0"], "POST"), { hasBody: false, chunked: false });
  t.like(request(["Content-Length", "12"], "POST"), { hasBody: true, chunked: false });
  t.like(request(["Transfer-Encoding", "chunked"], "POST"), { hasBody: true, chunked: true });
});

test("the head keeps the client's lines as written, drops hop-by-hop ones and those Connection names, and says this hop", (t) => {
  const req = request([
    "Host",
    "svc.localhost:8080",
    "Connection",
    "keep-alive, X-Secret",
    "X-Secret",
    "s",
    "Keep-Alive",
    "timeout=5",
    "Accept",
    "*/*",
    "Accept",
    "text/plain",
    "TE",
    "trailers",
  ]);
  t.is(
    untraced(upstreamRequestHead(req, false)),
    "GET /path?q=1 HTTP/1.1\r\nHost: svc.localhost:8080\r\nAccept: */*\r\nAccept: text/plain\r\n" +
      "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: svc.localhost:8080\r\n" +
      'forwarded: for="127.0.0.1";proto=http\r\n\r\n',
  );
});

test("trace headers: a client's valid ones go on once, unchanged; an invalid one is replaced; without them both are made", (t) => {
  const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const head = upstreamRequestHead(request(["Host", "h", "TraceParent", parent, "X-Cloud-Trace-Context", "nonsense"]), false);
  t.is(head.match(/traceparent/gi)?.length, 1);
  t.true(
    head.includes(
      `traceparent: ${parent}\r\nx-cloud-trace-context: 4bf92f3577b34da6a3ce929d0e0e4736/67667974448284343;o=1\r\nx-forwarded-for`,
    ),
    head,
  );
  t.false(head.includes("nonsense"));
  t.regex(
    upstreamRequestHead(request(["Host", "h"]), false),
    /\r\ntraceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-00\r\nx-cloud-trace-context: [0-9a-f]{32}\/\d+;o=0\r\n/,
  );
});

test("a client's own X-Forwarded-* and Forwarded are replaced, unless it is trusted: then kept and For (and Forwarded) appended to", (t) => {
  const req = request([
    "Host",
    "h",
    "X-Forwarded-For",
    "10.0.0.1",
    "X-Forwarded-Proto",
    "https",
    "X-Forwarded-Host",
    "example.test",
    "Forwarded",
    'for="10.0.0.1";proto=https',
  ]);
  const untrusted = upstreamRequestHead(req, false);
  t.true(
    untrusted.endsWith(
      'x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: h\r\nforwarded: for="127.0.0.1";proto=http\r\n\r\n',
    ),
    untrusted,
  );
  t.is(untrusted.match(/\r\nforwarded: /gi)?.length, 1, "the client's Forwarded line is gone; this hop's is the only one");
  t.true(
    upstreamRequestHead(req, true).endsWith(
      "x-forwarded-for: 10.0.0.1, 127.0.0.1\r\nx-forwarded-proto: https\r\nx-forwarded-host: example.test\r\n" +
        'forwarded: for="10.0.0.1";proto=https, for="127.0.0.1";proto=http\r\n\r\n',
    ),
  );
  // RFC 7239 §6: an IPv6 node in brackets, quoted.
  const v6 = parseRequestHead("GET", "/", ["Host", "h"], "::1");
  t.true(upstreamRequestHead(v6, false).includes('forwarded: for="[::1]";proto=http\r\n'));
});

test("a chunked body is announced as chunked again; an upgrade asks for it with Connection and Upgrade", (t) => {
  const chunked = request(["Host", "h", "Transfer-Encoding", "chunked"], "POST");
  t.regex(
    untraced(upstreamRequestHead(chunked, false)),
    /^POST \/path\?q=1 HTTP\/1\.1\r\nHost: h\r\ntransfer-encoding: chunked\r\nx-forwarded-for/,
  );
  const upgrade = request(["Host", "h", "Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Key", "k"]);
  t.regex(
    untraced(upstreamRequestHead(upgrade, false, "websocket")),
    /^GET \/path\?q=1 HTTP\/1\.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\nconnection: Upgrade\r\nupgrade: websocket\r\nx-forwarded-for/,
  );
});

test("response headers lose hop-by-hop ones and keep repeated ones; Set-Cookie makes Cache-Control private", (t) => {
  t.deepEqual(
    clientResponseHeaders([
      "Content-Type",
      "text/plain",
      "Connection",
      "keep-alive",
      "Keep-Alive",
      "timeout=5",
      "Transfer-Encoding",
      "chunked",
      "X-A",
      "1",
      "X-A",
      "2",
    ]),
    {
      headers: ["Content-Type", "text/plain", "X-A", "1", "X-A", "2"],
      hasLength: false,
      length: undefined,
    },
  );
  t.deepEqual(
    clientResponseHeaders(["Cache-Control", "public, max-age=60", "Set-Cookie", "a=1", "Set-Cookie", "b=2", "Content-Length", "0"]),
    {
      headers: ["Set-Cookie", "a=1", "Set-Cookie", "b=2", "Content-Length", "0", "cache-control", "private"],
      hasLength: true,
      length: "0",
    },
  );
});

test("Host follows RFC 9112 §3.2: exactly one line in HTTP/1.1 (a second, or none, makes the head invalid); HTTP/1.0 may leave it out", (t) => {
  t.is(request(["Host", "a.localhost"]).invalid, undefined);
  t.is(request(["HOST", "a.localhost", "Host", "b.localhost"]).invalid, "more than one Host header");
  t.is(request([]).invalid, "an HTTP/1.1 request needs a Host header");
  t.is(parseRequestHead("GET", "/", [], "127.0.0.1", 0).invalid, undefined);
});

test("an absolute-form target's authority is the host: the instance gets it as Host, and the path (with its query) as target", (t) => {
  const req = request(["Host", "e.localhost", "Accept", "*/*"], "GET", "http://e2.localhost:8080/abs?q=1");
  t.like(req, { host: "e2.localhost:8080", url: "/abs?q=1", hostFromTarget: true, invalid: undefined });
  t.is(
    untraced(upstreamRequestHead(req, false)),
    "GET /abs?q=1 HTTP/1.1\r\nhost: e2.localhost:8080\r\nAccept: */*\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: e2.localhost:8080\r\n" +
      'forwarded: for="127.0.0.1";proto=http\r\n\r\n',
  );
  t.like(request(["Host", "h"], "GET", "HTTP://e2.localhost?x"), { host: "e2.localhost", url: "/?x" });
  t.is(request(["Host", "h"], "GET", "ftp://e2.localhost/").invalid, "the request target is neither a path nor an http URL");
  t.is(request(["Host", "h"], "GET", "http://user@e2.localhost/").invalid, "the request target is neither a path nor an http URL");
  t.is(request(["Host", "h"], "OPTIONS", "*").invalid, undefined);
});

test("a trailer section keeps only fields that may be trailers (RFC 9110 §6.5.1): framing, routing, auth and content fields are dropped, never merged", (t) => {
  t.is(lastChunk(undefined), "0\r\n\r\n");
  t.is(lastChunk([]), "0\r\n\r\n");
  t.is(
    lastChunk([
      "X-T",
      "1",
      "Host",
      "e2",
      "Content-Length",
      "5",
      "Authorization",
      "x",
      "Transfer-Encoding",
      "chunked",
      "grpc-status",
      "0",
      "Bad Name",
      "v",
      "X-Ctl",
      "a\x01b",
    ]),
    "0\r\nX-T: 1\r\ngrpc-status: 0\r\n\r\n",
  );
});
