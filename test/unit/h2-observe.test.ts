import test from "ava";
import { h2Harness, h2Request, type H2Harness, type Observed } from "../helpers/h2-harness";
import { rawExchange } from "../helpers/raw-http";

// HTTP/2 streams are requests to the request logs and metrics too (issue 24 on issue 23's path):
// each routed stream is reported once to the request observer when it closes (status, sizes, the
// instance, protocol "HTTP/2", cut when it did not end whole), and every request an instance gets,
// over h2c or translated to HTTP/1.1, carries the trace headers as on the HTTP/1.1 path: a
// client's valid traceparent / X-Cloud-Trace-Context unchanged, the missing one made from its trace.

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`;
const TRACE_ID = /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/;

let harness: H2Harness;
/** What the instances saw of each request, by path. */
const seen = new Map<string, Record<string, string | string[] | undefined>>();

test.before(async () => {
  harness = await h2Harness({
    grpc: {
      http2: true,
      onStream: (stream, headers) => {
        const path = String(headers[":path"]);
        seen.set(path, headers);
        if (path === "/reset") {
          stream.respond({ ":status": 200 });
          stream.write("part");
          setTimeout(() => stream.destroy(new Error("the app resets")), 50);
          return;
        }
        let body = "";
        stream.setEncoding("utf8");
        stream.on("data", (c: string) => (body += c));
        stream.on("end", () => {
          stream.respond({ ":status": 201, "content-type": "text/plain" });
          stream.end(`got ${body.length}`);
        });
      },
    },
    plain: {
      http2: false,
      onRequest: (req, res) => {
        seen.set(String(req.url), req.headers);
        req.resume();
        req.on("end", () => res.end("ok"));
      },
    },
  });
});

test.after.always(() => harness?.close());

/** The observer's entries for one path, once the stream's close has been reported. */
async function observedFor(url: string): Promise<Observed[]> {
  for (let i = 0; i < 50; i++) {
    const found = harness.observed.filter((o) => o.url === url);
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return [];
}

test.serial(
  "HTTP/2 to an h2c instance: the client's traceparent goes on, X-Cloud-Trace-Context is made from it; the stream is observed as HTTP/2",
  async (t) => {
    const session = harness.connect();
    const answer = await h2Request(
      session,
      { ":path": "/up", ":method": "POST", ":authority": "grpc.localhost", traceparent: TRACEPARENT },
      "0123456789",
    );
    session.close();
    t.is(answer.status, 201);
    t.is(answer.body, "got 10");
    const headers = seen.get("/up")!;
    t.is(headers.traceparent, TRACEPARENT);
    t.regex(String(headers["x-cloud-trace-context"]), new RegExp(`^${TRACE}/\\d+;o=1$`));
    const [entry, ...more] = await observedFor("/up");
    t.is(more.length, 0, "one report per stream");
    t.like(entry, {
      service: "grpc",
      protocol: "HTTP/2",
      status: 201,
      instanceId: "grpc-i1",
      requestBodyBytes: 10,
      cut: false,
      traceId: TRACE,
    });
    t.true(entry.responseBytes > "got 10".length, "the response's size counts its head and body");
  },
);

test.serial(
  "HTTP/2 to an HTTP/1.1 instance: both trace headers made for a client without any, of the trace the log entry names",
  async (t) => {
    const session = harness.connect();
    const answer = await h2Request(session, { ":path": "/plain", ":authority": "plain.localhost" });
    session.close();
    t.is(answer.status, 200);
    const headers = seen.get("/plain")!;
    const made = TRACE_ID.exec(String(headers.traceparent));
    t.truthy(made, `traceparent ${String(headers.traceparent)}`);
    t.regex(String(headers["x-cloud-trace-context"]), new RegExp(`^${made![1]}/\\d+;o=0$`));
    const [entry] = await observedFor("/plain");
    t.like(entry, { service: "plain", protocol: "HTTP/2", status: 200, instanceId: "plain-i1", cut: false, traceId: made![1] });
  },
);

test.serial(
  "HTTP/1.1 to an h2c instance: the client's valid X-Cloud-Trace-Context kept, traceparent made; observed as HTTP/1.1",
  async (t) => {
    const answer = await rawExchange(harness.port, [
      `GET /from-h1 HTTP/1.1\r\nHost: grpc.localhost\r\nX-Cloud-Trace-Context: ${TRACE}/5;o=1\r\nConnection: close\r\n\r\n`,
    ]);
    t.regex(answer, /^HTTP\/1\.1 201 /);
    const headers = seen.get("/from-h1")!;
    t.is(headers["x-cloud-trace-context"], `${TRACE}/5;o=1`);
    t.is(headers.traceparent, `00-${TRACE}-0000000000000005-01`);
    const [entry] = await observedFor("/from-h1");
    t.like(entry, { service: "grpc", protocol: "HTTP/1.1", status: 201, cut: false, traceId: TRACE });
  },
);

test.serial("a malformed traceparent from an HTTP/2 client is replaced, never passed on", async (t) => {
  const session = harness.connect();
  await h2Request(session, { ":path": "/bad-trace", ":authority": "grpc.localhost", traceparent: "00-zz-bad-01" });
  session.close();
  const headers = seen.get("/bad-trace")!;
  t.regex(String(headers.traceparent), TRACE_ID);
  t.false(Array.isArray(headers.traceparent), "one traceparent, not the client's beside the router's");
});

test.serial("a stream the instance resets mid-response is reported once, cut", async (t) => {
  const session = harness.connect();
  const answer = await h2Request(session, { ":path": "/reset", ":authority": "grpc.localhost" });
  session.close();
  t.not(answer.rstCode, 0);
  const entries = await observedFor("/reset");
  t.is(entries.length, 1);
  t.like(entries[0], { protocol: "HTTP/2", status: 200, cut: true });
});

test.serial("a request the router answers itself (no such service) is not a routed request: not observed", async (t) => {
  const session = harness.connect();
  const answer = await h2Request(session, { ":path": "/nowhere", ":authority": "nothing.localhost" });
  session.close();
  t.is(answer.status, 404);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(harness.observed.filter((o) => o.url === "/nowhere").length, 0);
});
