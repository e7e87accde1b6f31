import test from "ava";
import type http from "node:http";
import { responseHeaderList, classifyUpstreamError } from "../../provider/router/upstream";
import { forwardedHeaderList } from "../../provider/router/upstream-pool";

/** Just what forwardedHeaderList reads of a request: its raw and parsed headers and the client's address. */
function request(rawHeaders: string[], remoteAddress = "10.1.2.3"): http.IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    headers[name] = headers[name] === undefined ? rawHeaders[i + 1]! : `${headers[name]}, ${rawHeaders[i + 1]}`;
  }
  return { rawHeaders, headers, socket: { remoteAddress } } as unknown as http.IncomingMessage;
}

test("the request's headers keep the client's spelling and order, drop this hop's, and X-Forwarded-* describe this hop", (t) => {
  const req = request([
    "Host", "shop.localhost:8080",
    "Connection", "keep-alive, X-Secret-Hop",
    "X-Secret-Hop", "1",
    "Keep-Alive", "timeout=5",
    "Expect", "100-continue",
    "X-Forwarded-For", "6.6.6.6",
    "X-Forwarded-Proto", "https",
    "Accept", "text/html",
    "Cookie", "a=1",
    "Cookie", "b=2",
  ]);
  t.deepEqual(forwardedHeaderList(req, false), [
    "Host", "shop.localhost:8080",
    "Accept", "text/html",
    "Cookie", "a=1",
    "Cookie", "b=2",
    "x-forwarded-for", "10.1.2.3",
    "x-forwarded-proto", "http",
    "x-forwarded-host", "shop.localhost:8080",
  ]);
});

test("from a trusted proxy its X-Forwarded-* are kept and the client's address appended", (t) => {
  const req = request(["Host", "a.localhost", "X-Forwarded-For", "6.6.6.6", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "example.test"]);
  t.deepEqual(forwardedHeaderList(req, true).slice(2), [
    "x-forwarded-for", "6.6.6.6, 10.1.2.3",
    "x-forwarded-proto", "https",
    "x-forwarded-host", "example.test",
  ]);
});

test("the response's hop-by-hop headers are dropped; one that sets a cookie is private, whatever cache-control it had", (t) => {
  t.deepEqual(responseHeaderList(["Content-Type", "text/plain", "Transfer-Encoding", "chunked", "Connection", "keep-alive", "Keep-Alive", "timeout=5"]), [
    "Content-Type", "text/plain",
  ]);
  t.deepEqual(responseHeaderList(["Set-Cookie", "a=1", "Cache-Control", "public, max-age=60", "Set-Cookie", "b=2"]), [
    "Set-Cookie", "a=1",
    "Set-Cookie", "b=2",
    "cache-control", "private",
  ]);
});

test("upstream errors are named by cause, from Node's and undici's codes", (t) => {
  const named = (code: string) => classifyUpstreamError(Object.assign(new Error(code), { code }));
  t.deepEqual(
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "HPE_INVALID_CONSTANT", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH"].map(named),
    ["refused", "reset", "reset", "reset", "bad-response", "unreachable", "unreachable"],
  );
});
