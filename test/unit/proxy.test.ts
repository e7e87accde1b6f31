import test from "ava";
import http from "node:http";
import net from "node:net";
import { IngressConnection } from "../../provider/router/ingress-connection";
import { proxyRequest, type ProxyOutcome, type Upstream } from "../../provider/router/proxy";
import { loopbackServer } from "../helpers/loopback-server";

// The proxy against a raw TCP "instance" on loopback that answers exactly the bytes each test
// gives, so keep-alive, framing and failures are seen as they are on the wire (no Docker needed).

interface Instance {
  upstream: Upstream;
  /** Connections accepted so far. */
  connections: () => number;
  /** Each request head (and what followed it in the same reads) as the instance received it. */
  received: string[];
  close: () => Promise<void>;
}

type Answer = (socket: net.Socket, head: string) => void;

async function instance(answer: Answer): Promise<Instance> {
  let connections = 0;
  const received: string[] = [];
  const { port, close } = await loopbackServer((socket) => {
    connections++;
    socket.on("error", () => undefined);
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffered;
      buffered = "";
      received.push(head);
      answer(socket, head);
    });
  });
  return { upstream: { host: "127.0.0.1", port }, connections: () => connections, received, close };
}

/**
 * A front server, the ingress's connection handling without its routing, that proxies every request
 * to `upstream`, recording each outcome. `waitMs`: how long each request waits before it goes (as one
 * waits for an instance to start), its body held meanwhile.
 */
async function front(
  upstream: Upstream,
  timeoutMs = 5_000,
  waitMs = 0,
): Promise<{ port: number; outcomes: ProxyOutcome[]; close: () => Promise<void> }> {
  const outcomes: ProxyOutcome[] = [];
  const listening = await loopbackServer(
    (socket) => {
      new IngressConnection(socket, {
        request: (request) => {
          const go = () => void proxyRequest(request, upstream, timeoutMs, false, false).then((o) => outcomes.push(o));
          if (waitMs > 0) setTimeout(go, waitMs);
          else go();
        },
        upgrade: (_request, upgraded) => upgraded.destroy(),
        http2: (socket) => socket.destroy(),
        bug: (error) => {
          throw error;
        },
      });
    },
    { allowHalfOpen: true },
  );
  return { ...listening, outcomes };
}

async function call(
  port: number,
  options: { method?: string; path?: string; body?: string[] } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        agent: false,
        headers: { host: "svc.localhost" },
      },
      (res) => {
        let body = "";
        res.setEncoding("latin1");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    for (const part of options.body ?? []) req.write(part);
    req.end();
  });
}

const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

test("requests reuse one kept-alive connection to the instance", async (t) => {
  const upstream = await instance((socket) => socket.write(ok("hi")));
  const proxy = await front(upstream.upstream);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  for (let i = 0; i < 3; i++) t.like(await call(proxy.port), { status: 200, body: "hi" });
  t.is(upstream.connections(), 1);
  t.true(upstream.received[0].startsWith("GET / HTTP/1.1\r\nhost: svc.localhost\r\n"));
});

test("an idle connection the instance closed is not an error: the request goes again on a new one", async (t) => {
  // Each connection answers one request; on the next it closes without an answer, as an instance
  // does when its keep-alive timeout fires just as a request arrives.
  const answered = new WeakSet<net.Socket>();
  const upstream = await instance((socket) => {
    if (answered.has(socket)) return void socket.end();
    answered.add(socket);
    socket.write(ok("once"));
  });
  const proxy = await front(upstream.upstream);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  t.like(await call(proxy.port), { status: 200, body: "once" });
  t.like(await call(proxy.port), { status: 200, body: "once" });
  t.is(upstream.connections(), 2);
  t.true(proxy.outcomes.every((o) => o.failure === undefined));
});

test("a chunked response read at once goes out with its length; one spread over reads goes out in chunks, whole", async (t) => {
  const upstream = await instance((socket, head) => {
    socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    if (head.startsWith("GET /at-once")) return void socket.write("3\r\ndef\r\n0\r\n\r\n");
    setTimeout(() => socket.write("3\r\ndef\r\n0\r\n\r\n"), 50);
  });
  const proxy = await front(upstream.upstream);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  // Written in one piece, the instance's bytes usually arrive in one read; the length says they did.
  const atOnce = await call(proxy.port, { path: "/at-once" });
  t.is(atOnce.body, "abcdef");
  const spread = await call(proxy.port, { path: "/spread" });
  t.deepEqual([spread.body, spread.headers["transfer-encoding"], spread.headers["content-length"]], ["abcdef", "chunked", undefined]);
});

test("interim 1xx responses are not passed on; the final one is", async (t) => {
  const upstream = await instance((socket) => socket.write(`HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n${ok("final")}`));
  const proxy = await front(upstream.upstream);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  t.like(await call(proxy.port), { status: 200, body: "final" });
  t.like(await call(proxy.port), { status: 200, body: "final" });
});

test("the answer to HEAD keeps its length and has no body, and the connection serves the next request", async (t) => {
  const upstream = await instance((socket, head) =>
    socket.write(head.startsWith("HEAD") ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" : ok("after")),
  );
  const proxy = await front(upstream.upstream);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  const head = await call(proxy.port, { method: "HEAD" });
  t.deepEqual([head.status, head.headers["content-length"], head.body], [200, "5", ""]);
  t.like(await call(proxy.port), { status: 200, body: "after" });
  t.is(upstream.connections(), 1);
});

test("a request body sent in chunks reaches the instance in chunks; an answer before the body's end closes that connection", async (t) => {
  const upstream = await instance((socket, head) => socket.write(ok(head.startsWith("POST /early") ? "early" : "after")));
  const proxy = await front(upstream.upstream);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  // The client sends part of its body, reads the whole answer, and only then ends the body.
  const early = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: proxy.port, method: "POST", path: "/early", agent: false, headers: { host: "svc.localhost" } },
      (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => (req.end(), resolve(body)));
      },
    );
    req.on("error", reject);
    req.write("ab");
  });
  t.is(early, "early");
  t.like(await call(proxy.port), { status: 200, body: "after" });
  t.is(upstream.connections(), 2, "the connection that answered before the body's end was not reused");
  t.regex(upstream.received[0], /^POST \/early HTTP\/1\.1\r\n[^]*transfer-encoding: chunked\r\n[^]*\r\n\r\n/);
});

test("no answer within the timeout: 504, and the connection is not reused", async (t) => {
  let first = true;
  const upstream = await instance((socket) => {
    if (first) return void (first = false);
    socket.write(ok("late but fine"));
  });
  const proxy = await front(upstream.upstream, 200);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  t.like(await call(proxy.port), { status: 504, body: "upstream request timeout\n" });
  t.like(await call(proxy.port), { status: 200, body: "late but fine" });
  t.is(upstream.connections(), 2);
  t.deepEqual(
    proxy.outcomes.map((o) => o.failure?.kind),
    ["timeout", undefined],
  );
});

test("an instance that closes without an answer is a reset; one that is not HTTP, a malformed response", async (t) => {
  const upstream = await instance((socket, head) => (head.startsWith("GET /garbage") ? socket.end("SSH-2.0\r\n\r\n") : socket.end()));
  const proxy = await front(upstream.upstream);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  t.like(await call(proxy.port), { status: 502, body: "the instance reset the connection before it answered (ECONNRESET)\n" });
  const garbage = await call(proxy.port, { path: "/garbage" });
  t.is(garbage.status, 502);
  t.regex(garbage.body, /^the instance sent a malformed HTTP response \(HPE_[A-Z_]+\)\n$/);
});

test("a body sent while its request waits for an instance is held and reaches the instance whole (1 MiB: past the 64 KiB after which the client is no longer read)", async (t) => {
  // The instance answers with the length and a checksum of the body it read to its end.
  const upstream = await instance((socket, head) => {
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    let body = Buffer.from(head.slice(head.indexOf("\r\n\r\n") + 4), "latin1");
    const answer = () => {
      let sum = 0;
      for (const byte of body) sum = (sum + byte) % 65_521;
      socket.write(ok(`${body.length}:${sum}`));
    };
    if (body.length >= length) return answer();
    socket.removeAllListeners("data");
    socket.on("data", (chunk: Buffer) => {
      body = Buffer.concat([body, chunk]);
      if (body.length >= length) answer();
    });
  });
  const proxy = await front(upstream.upstream, 5_000, 300);
  t.teardown(() => Promise.all([proxy.close(), upstream.close()]));
  const payload = Buffer.alloc(1024 * 1024, 0);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) % 251;
  let sum = 0;
  for (const byte of payload) sum = (sum + byte) % 65_521;
  const answer = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: proxy.port,
        method: "POST",
        path: "/",
        agent: false,
        headers: { host: "svc.localhost", "content-length": payload.length },
      },
      (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve(body));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
  t.is(answer, `${payload.length}:${sum}`);
});
