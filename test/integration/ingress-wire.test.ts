import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixturePath } from "../helpers/fixture-image";
import { deploy, hostOf } from "../helpers/cli";
import { buildNodeImage } from "../helpers/node-image";
import { buildPythonImage } from "../helpers/python-image";
import { rawExchange, splitResponses } from "../helpers/raw-http";

// The ingress at the edges of HTTP/1.1 framing, through a real engine on real Docker: services e
// and e2 run a raw-socket instance (test/fixtures/wire-server.js) that answers with the exact bytes
// it received, so each test asserts what reached which instance and which client, byte for byte.
// nginx 1.22's answer to the same bytes is beside each test (proxy_pass to the same instances,
// proxy_http_version 1.1, keepalive upstreams, Host $host). test/unit/ingress-wire.test.ts holds
// the same rules without Docker; this file shows they hold in the engine.

let engine: TestEngine;
let e: string;
let e2: string;

test.before(async () => {
  const [wireImage, pythonImage, started] = await Promise.all([
    buildNodeImage({ script: fixturePath("wire-server.js"), repository: "skiff-test/wire", labels: { "skiff.test": "true" } }),
    buildPythonImage({ script: fixturePath("python-server.py"), repository: "skiff-test/python", labels: { "skiff.test": "true" } }),
    startEngine(),
  ]);
  engine = started;
  await Promise.all([
    deploy(engine, "e", ["--image", wireImage, "--min-instances", "1"]),
    deploy(engine, "e2", ["--image", wireImage, "--min-instances", "1"]),
    deploy(engine, "py", ["--image", pythonImage]),
  ]);
  e = hostOf(engine, "e");
  e2 = hostOf(engine, "e2");
});

test.after.always(async () => {
  await engine?.dispose();
});

const forwarded = (host: string) =>
  `x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: ${host}\r\nforwarded: for="127.0.0.1";proto=http\r\n\r\n`;
/** The trace headers the ingress adds to every request (issue 24), checked for their shape and taken out of the echoed bytes. */
const TRACE_LINES = /traceparent: 00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]\r\nx-cloud-trace-context: \1\/\d+;o=[01]\r\n(?=x-forwarded-for)/g;
const untraced = (body: string) => body.replace(TRACE_LINES, "");
const serviceOf = (headers: string[]) => headers.find((h) => h.startsWith("x-service:"))?.slice(11);

test.serial(
  "a request's trailer Host does not re-route the next request: trailers reach the instance as trailers, the next request reaches e as itself",
  async (t) => {
    // nginx: body sent with a length, trailers dropped; /second reaches e as `GET /second`.
    const raw = await rawExchange(engine.ingressPort, [
      `POST /a HTTP/1.1\r\nHost: ${e}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nHost: e2.localhost\r\nX-T: 1\r\n\r\n` +
        `GET /second HTTP/1.1\r\nHost: ${e}\r\n\r\n`,
    ]);
    const responses = splitResponses(raw);
    t.deepEqual(
      responses.map((r) => serviceOf(r.headers)),
      ["e", "e"],
    );
    t.deepEqual(
      responses.map((r) => untraced(r.body)),
      [
        `POST /a HTTP/1.1\r\nHost: ${e}\r\ntransfer-encoding: chunked\r\n${forwarded(e)}3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n`,
        `GET /second HTTP/1.1\r\nHost: ${e}\r\n${forwarded(e)}`,
      ],
    );
  },
);

test.serial(
  "an instance's response trailer reaches its own client as a trailer, and none of the next clients on that instance connection",
  async (t) => {
    // nginx: the trailer section is dropped; no later response carries X-Leak.
    const [first] = splitResponses(await rawExchange(engine.ingressPort, [`GET /trailer HTTP/1.1\r\nHost: ${e}\r\n\r\n`]));
    t.regex(first.trailers.join("\n"), /^X-Leak: \d+-\d+$/);
    const connection = first.headers.find((h) => h.startsWith("x-connection:"));
    let sameConnection = 0;
    for (let i = 0; i < 3; i++) {
      const [next] = splitResponses(await rawExchange(engine.ingressPort, [`GET /next HTTP/1.1\r\nHost: ${e}\r\n\r\n`]));
      t.false(
        next.headers.some((h) => /^x-leak:/i.test(h)),
        next.headers.join("\n"),
      );
      t.deepEqual(next.trailers, []);
      if (next.headers.includes(connection!)) sameConnection++;
    }
    t.true(sameConnection > 0, "the instance connection that carried the trailer was used again");
  },
);

test.serial("a request with Connection: close followed by more bytes is answered, then the connection closes", async (t) => {
  // nginx: 200 with Connection: close, then it closes; the bytes after are not read.
  const raw = await rawExchange(
    engine.ingressPort,
    [`GET /x HTTP/1.1\r\nHost: ${e}\r\nConnection: close\r\n\r\nGET /y HTTP/1.1\r\nHost: ${e2}\r\n\r\n`],
    { quietMs: 3_000 },
  );
  const responses = splitResponses(raw);
  t.is(responses.length, 1);
  t.regex(responses[0].body, new RegExp(TRACE_LINES.source));
  t.is(untraced(responses[0].body), `GET /x HTTP/1.1\r\nHost: ${e}\r\n${forwarded(e)}`);
  t.true(responses[0].headers.includes("connection: close"));
});

test.serial(
  "two Host headers: 400, nothing forwarded; an absolute-form target goes to the service it names; broken chunk framing: 400",
  async (t) => {
    // nginx: 400; routed to e2 as `GET /abs` with Host e2; 400.
    const [dup] = splitResponses(
      await rawExchange(engine.ingressPort, [`GET /dup HTTP/1.1\r\nHost: ${e}\r\nHost: ${e2}\r\n\r\n`], { quietMs: 3_000 }),
    );
    t.is(dup.status, "HTTP/1.1 400 Bad Request");
    t.is(dup.body, "more than one Host header\n");

    const [absolute] = splitResponses(await rawExchange(engine.ingressPort, [`GET http://${e2}/abs HTTP/1.1\r\nHost: ${e}\r\n\r\n`]));
    t.is(serviceOf(absolute.headers), "e2");
    t.is(untraced(absolute.body), `GET /abs HTTP/1.1\r\nhost: ${e2}\r\n${forwarded(e2)}`);

    const [broken, ...more] = splitResponses(
      await rawExchange(
        engine.ingressPort,
        [`POST /c HTTP/1.1\r\nHost: ${e}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`, "zz\r\n"],
        { gapMs: 100, quietMs: 3_000 },
      ),
    );
    t.is(broken.status, "HTTP/1.1 400 Bad Request");
    t.deepEqual(more, []);
  },
);

test.serial("100 requests pipelined on one connection to a Python http.server service are all answered, in order", async (t) => {
  // The service starts from zero; one request first, so the time below is the pipeline's alone.
  const [warm] = splitResponses(await rawExchange(engine.ingressPort, [`GET /warm HTTP/1.1\r\nHost: ${hostOf(engine, "py")}\r\n\r\n`]));
  t.is(warm.body, "/warm");
  const requests = Array.from({ length: 100 }, (_, i) => `GET /p${i} HTTP/1.1\r\nHost: ${hostOf(engine, "py")}\r\n\r\n`).join("");
  const started = Date.now();
  // Before, these took 20-108 s: each went at once on a connection of its own, past the app's listen backlog.
  const responses = splitResponses(
    // Until the last response is whole: its head and its body can come in separate reads.
    await rawExchange(engine.ingressPort, [requests], {
      quietMs: 10_000,
      until: (raw) => raw.split("HTTP/1.1 200 OK").length - 1 === 100 && raw.endsWith("\r\n\r\n/p99"),
    }),
  );
  t.log(`100 pipelined requests answered in ${Date.now() - started} ms`);
  t.deepEqual(
    responses.map((r) => r.body),
    Array.from({ length: 100 }, (_, i) => `/p${i}`),
  );
});
