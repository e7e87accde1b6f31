import test from "ava";
import { rawExchange } from "../helpers/raw-http";
import { wireIngress, type WireIngress } from "../helpers/wire-ingress";

// `Expect: 100-continue` at the ingress (router/ingress-connection.ts): 100 goes out only once the
// body has an instance to go to, so a request the ingress refuses gets its refusal as the only
// answer and the client never uploads a body for nothing (RFC 9110 §10.1.1). nginx 1.22 the same:
// it sends 100 when it starts reading the body, after its own checks (client_max_body_size: 413
// without 100). Service e is a raw-socket instance that echoes the bytes it received.

let ingress: WireIngress;

test.before(async () => {
  ingress = await wireIngress(["e"]);
});

test.after.always(async () => {
  await ingress?.close();
});

test("a refused request with Expect: 100-continue gets its refusal, no 100 before it, and the connection closes", async (t) => {
  // Before: "HTTP/1.1 100 Continue" and then the 404, so the client sent its body for nothing.
  const raw = await rawExchange(
    ingress.port,
    ["POST /up HTTP/1.1\r\nHost: nowhere.localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"],
    {
      quietMs: 2_000,
    },
  );
  t.true(raw.startsWith("HTTP/1.1 404 Not Found\r\n"), raw);
  t.false(raw.includes("100 Continue"), raw);
  // The client was never told to send the body, so the ingress does not wait for it on this connection.
  t.regex(raw, /\r\nconnection: close\r\n/);
});

test("an accepted request with Expect: 100-continue gets 100 once routed, then its body reaches the instance", async (t) => {
  const before = ingress.received("e").join("").length;
  const raw = await rawExchange(
    ingress.port,
    ["POST /up HTTP/1.1\r\nHost: e.localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", "hello"],
    { gapMs: 300, until: (text) => text.includes("\r\n\r\nPOST /up") && text.endsWith("hello") },
  );
  t.true(raw.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), raw);
  t.true(ingress.received("e").join("").slice(before).endsWith("\r\n\r\nhello"));
});
