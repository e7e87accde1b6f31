import test from "ava";
import { parseRequestHead } from "../../provider/router/forwarding";
import {
  clientH2HeaderList,
  grpcMessage,
  grpcStatusFor,
  h2RequestHead,
  headerList,
  headersFromList,
  isGrpc,
  trailerMap,
  upstreamH2HeaderList,
  upstreamH2Headers,
} from "../../provider/router/h2-headers";
import { H2_PREFACE, prefaceMatch } from "../../provider/router/h2-preface";

// The pure rules where HTTP/2 meets the router: the preface on a connection's first bytes, an
// HTTP/2 request as the router reads it, a request as an HTTP/2 instance gets it (from either
// HTTP), responses and trailers on the way back, and the router's own answers to gRPC calls.

test("the preface is recognised whole, held while partial, and any other first byte is HTTP/1.1 at once", (t) => {
  t.is(prefaceMatch(H2_PREFACE), "h2");
  t.is(prefaceMatch(Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0, 4])])), "h2", "with the SETTINGS frame behind it");
  t.is(prefaceMatch(Buffer.from("PRI * HTTP/2")), "partial");
  t.is(prefaceMatch(Buffer.from("P")), "partial");
  t.is(prefaceMatch(Buffer.alloc(0)), "partial");
  t.is(prefaceMatch(Buffer.from("GET / HTTP/1.1\r\n")), "http1");
  t.is(prefaceMatch(Buffer.from("POST / HTTP/1.1\r\n")), "http1", "P, then not R");
  t.is(prefaceMatch(Buffer.from("PRI * HTTP/1.1\r\n\r\n")), "http1", "the same method, another version");
});

test("an HTTP/2 request's head: pseudo-headers become method, path and host; cookie crumbs join; a body without length goes on chunked", (t) => {
  const head = h2RequestHead(
    [
      ":method",
      "POST",
      ":path",
      "/p?q=1",
      ":scheme",
      "http",
      ":authority",
      "svc.localhost",
      "cookie",
      "a=1",
      "cookie",
      "b=2",
      "authorization",
      "Bearer t",
    ],
    "127.0.0.1",
    false,
  );
  t.like(head, {
    method: "POST",
    url: "/p?q=1",
    host: "svc.localhost",
    hasBody: true,
    chunked: true,
    invalid: undefined,
  });
  t.deepEqual(head.rawHeaders, ["authorization", "Bearer t", "cookie", "a=1; b=2"]);
  t.like(h2RequestHead([":method", "PUT", ":path", "/", ":authority", "a", "content-length", "3"], "", false), {
    chunked: false,
    hasBody: true,
  });
  t.like(h2RequestHead([":method", "GET", ":path", "/", "host", "from-host"], "", true), {
    host: "from-host",
    hostFromTarget: false,
    hasBody: false,
  });
  t.is(h2RequestHead([":method", "GET", ":path", "/"], "", true).invalid, "an HTTP/2 request needs :authority or Host");
  t.is(h2RequestHead([":method", "CONNECT", ":authority", "a:443"], "", false).invalid, "CONNECT is not served");
});

test("to an HTTP/2 instance: pseudo-headers, the client's fields less hop-by-hop ones (te: trailers stays), X-Forwarded-* of this hop", (t) => {
  const h1 = parseRequestHead(
    "POST",
    "/svc.Echo/Say",
    [
      "Host",
      "svc.localhost",
      "Content-Type",
      "application/grpc",
      "TE",
      "trailers, deflate",
      "Connection",
      "keep-alive, X-Hop",
      "X-Hop",
      "1",
      "Transfer-Encoding",
      "chunked",
      "X-Forwarded-For",
      "6.6.6.6",
      "Cookie",
      "a=1",
      "Cookie",
      "b=2",
      "X-Many",
      "1",
      "X-Many",
      "2",
      "Traceparent",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ],
    "127.0.0.9",
  );
  t.deepEqual(upstreamH2Headers(h1, false), {
    ":method": "POST",
    ":path": "/svc.Echo/Say",
    ":scheme": "http",
    ":authority": "svc.localhost",
    "content-type": "application/grpc",
    te: "trailers",
    cookie: "a=1; b=2",
    "x-many": ["1", "2"],
    // The trace headers as for HTTP/1.1: a client's valid traceparent unchanged, the other made from it.
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "x-cloud-trace-context": "4bf92f3577b34da6a3ce929d0e0e4736/67667974448284343;o=1",
    "x-forwarded-for": "127.0.0.9",
    "x-forwarded-proto": "http",
    "x-forwarded-host": "svc.localhost",
    forwarded: 'for="127.0.0.9";proto=http',
  });
  const trusted = upstreamH2Headers(
    parseRequestHead("GET", "/", ["Host", "h", "X-Forwarded-For", "1.2.3.4", "X-Forwarded-Proto", "https"], "10.0.0.1"),
    true,
  );
  t.like(trusted, {
    "x-forwarded-for": "1.2.3.4, 10.0.0.1",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "h",
    forwarded: 'for="10.0.0.1";proto=http',
  });
  t.false("te" in upstreamH2Headers(parseRequestHead("GET", "/", ["Host", "h", "TE", "gzip"], ""), false), "only TE: trailers is HTTP/2's");
  // As the raw list Node takes: the pseudo-headers first, a repeated field as repeated pairs, cookie crumbs as one field.
  const list = upstreamH2HeaderList(
    parseRequestHead("GET", "/p", ["Host", "h", "X-Many", "1", "Cookie", "a=1", "X-Many", "2", "Cookie", "b=2"], "10.0.0.1"),
    false,
  );
  t.deepEqual(list.slice(0, 8), [":method", "GET", ":path", "/p", ":scheme", "http", ":authority", "h"]);
  t.deepEqual(list.slice(8, 14), ["x-many", "1", "x-many", "2", "cookie", "a=1; b=2"]);
  t.deepEqual(list.slice(-8), [
    "x-forwarded-for",
    "10.0.0.1",
    "x-forwarded-proto",
    "http",
    "x-forwarded-host",
    "h",
    "forwarded",
    'for="10.0.0.1";proto=http',
  ]);
});

test("responses from an HTTP/2 instance: no pseudo-headers or hop-by-hop fields; Set-Cookie makes Cache-Control private", (t) => {
  t.deepEqual(
    clientH2HeaderList([
      ":status",
      "200",
      "content-type",
      "text/plain",
      "set-cookie",
      "a=1",
      "cache-control",
      "public, max-age=60",
      "set-cookie",
      "b=2",
    ]),
    ["content-type", "text/plain", "set-cookie", "a=1", "set-cookie", "b=2", "cache-control", "private"],
  );
  t.deepEqual(clientH2HeaderList([":status", "200", ":path", "/ignored", "keep-alive", "timeout=5", "x-a", "1"]), ["x-a", "1"]);
  t.deepEqual(headersFromList(["Content-Type", "text/plain", "Set-Cookie", "a=1", "Set-Cookie", "b=2"]), {
    "content-type": "text/plain",
    "set-cookie": ["a=1", "b=2"],
  });
  t.deepEqual(headerList({ "set-cookie": ["a=1", "b=2"], "x-a": "1" }), ["set-cookie", "a=1", "set-cookie", "b=2", "x-a", "1"]);
});

test("trailers go on by forwarding.ts's rule: grpc-status and the like pass, fields that may not be trailers are dropped", (t) => {
  t.deepEqual(trailerMap({ "grpc-status": "0", "grpc-message": "ok", "content-length": "5", host: "x", "x-checksum": "abc" }), {
    "grpc-status": "0",
    "grpc-message": "ok",
    "x-checksum": "abc",
  });
  t.is(trailerMap({ "content-type": "text/plain" }), undefined);
  t.is(trailerMap(undefined), undefined);
});

test("gRPC: which requests are gRPC, the router's HTTP statuses as gRPC statuses, and grpc-message's percent-encoding", (t) => {
  t.true(isGrpc("application/grpc"));
  t.true(isGrpc("application/grpc+proto"));
  t.true(isGrpc("application/grpc; charset=utf-8"));
  t.false(isGrpc("application/grpc-web"), "gRPC-Web carries its status in the body and passes as any HTTP");
  t.false(isGrpc("application/json"));
  t.false(isGrpc(undefined));
  t.deepEqual(
    [400, 401, 403, 404, 429, 500, 502, 503, 504, 418].map(grpcStatusFor),
    [13, 16, 7, 12, 14, 14, 14, 14, 4, 2],
    "gRPC's HTTP mapping, with the request timeout as DEADLINE_EXCEEDED",
  );
  t.is(grpcMessage("upstream request timeout"), "upstream request timeout");
  t.is(grpcMessage("100% é\n"), "100%25 %C3%A9%0A");
});
