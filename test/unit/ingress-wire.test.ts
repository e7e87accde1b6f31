import test from "ava";
import { rawExchange, splitResponses, untraced } from "../helpers/raw-http";
import { wireIngress, type WireIngress } from "../helpers/wire-ingress";

// The ingress at the edges of HTTP/1.1 framing, byte for byte: the real Ingress, routing table,
// throttlers and proxy in front of raw-socket instances on loopback (services e and e2), each
// answering with the exact bytes it received. Beside each test, nginx 1.22's answer to the same
// bytes (proxy_pass to the same kind of instance, proxy_http_version 1.1, keepalive upstreams,
// Host $host), recorded on this machine kind.

let ingress: WireIngress;

test.before(async () => {
  ingress = await wireIngress(["e", "e2"]);
});

test.after.always(async () => {
  await ingress?.close();
});

/** What the ingress adds for the hop from a loopback client. */
const forwarded = (host: string) =>
  `x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: ${host}\r\nforwarded: for="127.0.0.1";proto=http\r\n\r\n`;

/** What each service received on every connection, joined, from `from` on (the instances are shared by the tests). */
function receivedSince(marks: Record<string, number>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(marks).map(([service, from]) => [service, untraced(ingress.received(service).join("").slice(from))]),
  );
}

function marks(): Record<string, number> {
  return { e: ingress.received("e").join("").length, e2: ingress.received("e2").join("").length };
}

test.serial(
  "a request's trailers stay with it: they reach its instance as trailers (Host dropped), never the next request, which goes where its own Host says",
  async (t) => {
    // nginx: buffers the body and sends it with Content-Length, trailers dropped; /second reaches e.
    const before = marks();
    const raw = await rawExchange(ingress.port, [
      "POST /a HTTP/1.1\r\nHost: e.localhost\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nHost: e2.localhost\r\nX-T: 1\r\n\r\n" +
        "GET /second HTTP/1.1\r\nHost: e.localhost\r\n\r\n",
    ]);
    const first = `POST /a HTTP/1.1\r\nHost: e.localhost\r\ntransfer-encoding: chunked\r\n${forwarded("e.localhost")}3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n`;
    const second = `GET /second HTTP/1.1\r\nHost: e.localhost\r\n${forwarded("e.localhost")}`;
    t.deepEqual(receivedSince(before), { e: first + second, e2: "" });
    const responses = splitResponses(raw);
    t.deepEqual(
      responses.map((r) => untraced(r.body)),
      [first, second],
    );
    t.true(responses.every((r) => r.headers.includes("x-service: e")));
  },
);

test.serial(
  "an instance's response trailers reach only that response's client, as trailers; the next response on the same instance connection has none",
  async (t) => {
    // nginx: drops the trailer section (passes the Trailer header); the next response has no X-Leak.
    const withTrailers = splitResponses(await rawExchange(ingress.port, ["GET /trailer HTTP/1.1\r\nHost: e.localhost\r\n\r\n"]));
    t.is(withTrailers.length, 1);
    t.true(withTrailers[0].headers.includes("transfer-encoding: chunked"));
    t.regex(withTrailers[0].trailers.join("\n"), /^X-Leak: \d+-\d+$/);
    const connection = withTrailers[0].headers.find((h) => h.startsWith("x-connection:"));
    for (let i = 0; i < 3; i++) {
      const [next] = splitResponses(await rawExchange(ingress.port, [`GET /next${i} HTTP/1.1\r\nHost: e.localhost\r\n\r\n`]));
      t.is(
        next.headers.find((h) => h.startsWith("x-connection:")),
        connection,
        "the instance connection was reused",
      );
      t.false(
        next.headers.some((h) => /x-leak/i.test(h)),
        next.headers.join("\n"),
      );
      t.deepEqual(next.trailers, []);
    }
    // An HTTP/1.0 client cannot take trailers: the body runs to the connection's end, without them.
    const old = await rawExchange(ingress.port, ["GET /trailer HTTP/1.0\r\nHost: e.localhost\r\n\r\n"]);
    t.false(/^x-leak:/im.test(old), old);
    t.true(untraced(old).endsWith(`GET /trailer HTTP/1.1\r\nHost: e.localhost\r\n${forwarded("e.localhost")}`), old);
  },
);

test.serial(
  "bytes after a request that closes the connection: the request is answered, then the connection closes; the bytes reach no one",
  async (t) => {
    // nginx: 200 with Connection: close, then closes; GARBAGE is not read.
    for (const request of [
      "GET /x HTTP/1.1\r\nHost: e.localhost\r\nConnection: close\r\n\r\n",
      "GET /x HTTP/1.0\r\nHost: e.localhost\r\n\r\n",
    ]) {
      const before = marks();
      const raw = await rawExchange(ingress.port, [`${request}GARBAGE AND GET /y HTTP/1.1\r\nHost: e2.localhost\r\n\r\n`], {
        quietMs: 2_000,
      });
      const responses = splitResponses(raw);
      t.is(responses.length, 1, raw);
      t.is(responses[0].status, "HTTP/1.1 200 OK");
      t.true(responses[0].headers.includes("connection: close"));
      const sent = receivedSince(before);
      t.is(sent.e, `GET /x HTTP/1.1\r\nHost: e.localhost\r\n${forwarded("e.localhost")}`);
      t.is(sent.e2, "");
    }
  },
);

test.serial("two Host headers, or none in HTTP/1.1: 400 and close, nothing forwarded", async (t) => {
  // nginx: 400 Bad Request, Connection: close, for both.
  const before = marks();
  for (const head of [
    "GET /dup HTTP/1.1\r\nHost: e.localhost\r\nHost: e2.localhost\r\n\r\n",
    "GET /none HTTP/1.1\r\n\r\n",
    "GET http://e2.localhost/none HTTP/1.1\r\n\r\n",
  ]) {
    const [answer, ...more] = splitResponses(await rawExchange(ingress.port, [head], { quietMs: 2_000 }));
    t.is(answer.status, "HTTP/1.1 400 Bad Request", head);
    t.true(answer.headers.includes("connection: close"));
    t.deepEqual(more, []);
  }
  t.deepEqual(receivedSince(before), { e: "", e2: "" });
});

test.serial(
  "an absolute-form target is routed by its authority, which reaches the instance as Host, with the path as target",
  async (t) => {
    // nginx: routed to e2 as `GET /abs?q=1` with Host: e2.localhost.
    const before = marks();
    const [answer] = splitResponses(
      await rawExchange(ingress.port, ["GET http://e2.localhost/abs?q=1 HTTP/1.1\r\nHost: e.localhost\r\nX-A: 1\r\n\r\n"]),
    );
    const expected = `GET /abs?q=1 HTTP/1.1\r\nhost: e2.localhost\r\nX-A: 1\r\n${forwarded("e2.localhost")}`;
    t.is(untraced(answer.body), expected);
    t.deepEqual(receivedSince(before), { e: "", e2: expected });
  },
);

test.serial("broken chunk framing in a body: 400 and close (the instance's connection is not reused)", async (t) => {
  // nginx: 400 Bad Request, Connection: close (it reads the whole body before it forwards anything).
  const raw = await rawExchange(
    ingress.port,
    ["POST /c HTTP/1.1\r\nHost: e.localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "zz\r\n"],
    { gapMs: 50, quietMs: 2_000 },
  );
  const [answer, ...more] = splitResponses(raw);
  t.is(answer.status, "HTTP/1.1 400 Bad Request", raw);
  t.true(answer.headers.includes("connection: close"));
  t.deepEqual(more, []);
  // The instance's connection carried half a request: it is never used again.
  const broken = ingress.received("e").length - 1;
  const halfSent = ingress.received("e")[broken];
  t.true(untraced(halfSent).endsWith(`${forwarded("e.localhost")}3\r\nabc\r\n`), JSON.stringify(halfSent));
  const [after] = splitResponses(await rawExchange(ingress.port, ["GET /after HTTP/1.1\r\nHost: e.localhost\r\n\r\n"]));
  t.is(after.status, "HTTP/1.1 200 OK");
  t.is(ingress.received("e")[broken], halfSent);
});

test.serial("a broken head after good pipelined ones: the good ones are answered in order, then 400 and close", async (t) => {
  // nginx: 200, 200, then 400 with Connection: close.
  const raw = await rawExchange(
    ingress.port,
    ["GET /a HTTP/1.1\r\nHost: e.localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: e2.localhost\r\n\r\nBROKEN\r\n\r\n"],
    { quietMs: 2_000 },
  );
  const responses = splitResponses(raw);
  t.deepEqual(
    responses.map((r) => r.status),
    ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"],
  );
  t.deepEqual(
    responses.slice(0, 2).map((r) => r.body.split("\r\n")[0]),
    ["GET /a HTTP/1.1", "GET /b HTTP/1.1"],
  );
});

test.serial("pipelined requests go to the instance one at a time, on one connection, in order", async (t) => {
  // nginx: the same (one upstream connection, requests in order).
  const connectionsBefore = ingress.received("e").length;
  const requests = Array.from({ length: 30 }, (_, i) => `GET /p${i} HTTP/1.1\r\nHost: e.localhost\r\n\r\n`).join("");
  const responses = splitResponses(await rawExchange(ingress.port, [requests]));
  t.deepEqual(
    responses.map((r) => r.body.split("\r\n")[0]),
    Array.from({ length: 30 }, (_, i) => `GET /p${i} HTTP/1.1`),
  );
  t.true(ingress.received("e").length - connectionsBefore <= 1, "at most one new connection to the instance");
  t.is(new Set(responses.map((r) => r.headers.find((h) => h.startsWith("x-connection:")))).size, 1);
});
