import test from "ava";
import net from "node:net";
import { IngressConnection } from "../../provider/router/ingress-connection";
import type { IngressRequest } from "../../provider/router/ingress-request";
import { loopbackServer } from "../helpers/loopback-server";

// The ingress's HTTP/1.1 connection handling on loopback, with a handler that answers each request
// itself (no instance): raw bytes in, raw bytes out, so framing and ordering are seen as sent.

type Answer = (request: IngressRequest) => void;

/** An upgrade's handler here: says what followed the head, then echoes. */
function upgraded(socket: net.Socket, head: Buffer): void {
  socket.write(`upgraded, then ${JSON.stringify(head.toString())};`);
  socket.pipe(socket);
}

async function server(answer: Answer): Promise<{ port: number; connections: IngressConnection[]; close: () => Promise<void> }> {
  const connections: IngressConnection[] = [];
  const handler = {
    request: answer,
    upgrade: (_r: IngressRequest, s: net.Socket, head: Buffer) => upgraded(s, head),
    http2: (s: net.Socket) => s.destroy(),
    bug: (error: unknown) => {
      throw error;
    },
  };
  const listening = await loopbackServer((socket) => connections.push(new IngressConnection(socket, handler)), { allowHalfOpen: true });
  return { ...listening, connections };
}

/**
 * Sends `bytes` (then ends the client's side when `end`), and reads until the server closes, `until` holds for what
 * came, or `ms` pass. Tests that wait for answers give `until` and a generous `ms`, so a loaded machine only slows them.
 */
async function exchange(
  port: number,
  bytes: string,
  { end = false, ms = 300, until }: { end?: boolean; ms?: number; until?: (received: string) => boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => (socket.destroy(), resolve(received)), ms);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (until?.(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("close", () => (clearTimeout(timer), resolve(received)));
    socket.on("error", reject);
    socket.write(bytes, "latin1");
    if (end) socket.end();
  });
}

const text = (body: string) => (request: IngressRequest) =>
  request.respond(200, "OK", ["content-type", "text/plain", "date", "x"], false, Buffer.from(body), true);

/** The responses in `raw`, each as its status line and body. */
function responses(raw: string): string[] {
  return raw.split(/(?=HTTP\/1\.1 )/).map((r) => `${r.split("\r\n")[0]} | ${r.slice(r.indexOf("\r\n\r\n") + 4)}`);
}

test("a whole response goes out with its length, and the connection stays open", async (t) => {
  const s = await server(text("hello"));
  t.teardown(s.close);
  const raw = await exchange(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  t.is(raw, "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: x\r\ncontent-length: 5\r\n\r\nhello");
});

test("pipelined requests are answered in the order they came, even when a later one finishes first", async (t) => {
  const s = await server((request) => {
    const delay = request.head.url === "/slow" ? 80 : 0;
    setTimeout(() => text(request.head.url)(request), delay);
  });
  t.teardown(s.close);
  const raw = await exchange(
    s.port,
    "GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\nGET /third HTTP/1.1\r\nHost: a\r\n\r\n",
    { ms: 10_000, until: (received) => received.endsWith("/third") },
  );
  t.deepEqual(responses(raw), ["HTTP/1.1 200 OK | /slow", "HTTP/1.1 200 OK | /fast", "HTTP/1.1 200 OK | /third"]);
});

test("a streamed body goes to an HTTP/1.1 client in chunks, and to an HTTP/1.0 client until the connection closes", async (t) => {
  const s = await server((request) => {
    request.respond(200, "OK", ["date", "x"], false, Buffer.from("ab"), false);
    setTimeout(() => (request.write(Buffer.from("cd")), request.end()), 20);
  });
  t.teardown(s.close);
  t.is(
    await exchange(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    "HTTP/1.1 200 OK\r\ndate: x\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n",
  );
  t.is(await exchange(s.port, "GET / HTTP/1.0\r\nHost: a\r\n\r\n"), "HTTP/1.1 200 OK\r\ndate: x\r\nconnection: close\r\n\r\nabcd");
});

test("Connection: close is honoured: the answer says so, the connection ends, and a request after it is not read", async (t) => {
  let served = 0;
  const s = await server((request) => (served++, text("bye")(request)));
  t.teardown(s.close);
  const raw = await exchange(s.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /again HTTP/1.1\r\nHost: a\r\n\r\n", {
    ms: 2_000,
  });
  t.is(raw, "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: x\r\ncontent-length: 3\r\nconnection: close\r\n\r\nbye");
  t.is(served, 1);
});

test("a client that ends its side after its request still gets the answer", async (t) => {
  const s = await server((request) => setTimeout(() => text("late")(request), 30));
  t.teardown(s.close);
  t.deepEqual(responses(await exchange(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", { end: true, ms: 2_000 })), ["HTTP/1.1 200 OK | late"]);
});

test("Expect: 100-continue answered without taking the body: the final answer alone, no 100 (the 100 comes when the body goes to an instance: expect-continue.test.ts)", async (t) => {
  const s = await server(text("done"));
  t.teardown(s.close);
  const raw = await exchange(s.port, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi");
  t.true(raw.startsWith("HTTP/1.1 200 OK\r\n"), raw);
  t.false(raw.includes("100 Continue"), raw);
});

test("what is not HTTP gets 400, a head past the size limit 431, and a tunnel request 400, each saying why; each connection then closes", async (t) => {
  const s = await server(text("never"));
  t.teardown(s.close);
  const refusal = (status: string, reason: string) =>
    new RegExp(
      `^HTTP/1\\.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${reason.length + 1}\r\ndate: [^\r]+\r\nconnection: close\r\n\r\n${reason}\n$`,
    );
  t.regex(await exchange(s.port, "HELLO THERE\r\n\r\n", { ms: 2_000 }), refusal("400 Bad Request", "the request is not valid HTTP/1.1"));
  const big = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`;
  t.regex(await exchange(s.port, big, { ms: 2_000 }), refusal("431 Request Header Fields Too Large", "the request head is too large"));
  t.regex(
    await exchange(s.port, "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n", { ms: 2_000 }),
    refusal("400 Bad Request", "CONNECT is not served"),
  );
});

test("conflicting lengths (a smuggling attempt) are refused, not forwarded", async (t) => {
  let served = 0;
  const s = await server((request) => (served++, text("x")(request)));
  t.teardown(s.close);
  const raw = await exchange(s.port, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {
    ms: 2_000,
  });
  t.true(raw.startsWith("HTTP/1.1 400 Bad Request"), raw);
  t.is(served, 0);
});

test("a header value the client may not receive (a bare CR) is refused by respond, so the proxy can answer 502 instead", async (t) => {
  const s = await server((request) => {
    t.throws(() => request.respond(200, "OK", ["x-bad", "a\rb"], false, undefined, true), { message: /invalid value for header x-bad/ });
    request.sendError(502, "bad");
  });
  t.teardown(s.close);
  t.regex(await exchange(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), /^HTTP\/1\.1 502 Bad Gateway\r\n[^]*\r\n\r\nbad\n$/);
});

test("an idle kept-alive connection expires after keepAliveMs; one receiving a head is given headersMs", async (t) => {
  const s = await server(text("x"));
  t.teardown(s.close);
  const timeouts = { keepAliveMs: 5_000, headersMs: 60_000 };
  const idle = net.connect(s.port, "127.0.0.1");
  const slow = net.connect(s.port, "127.0.0.1");
  t.teardown(() => (idle.destroy(), slow.destroy()));
  await Promise.all([new Promise((r) => idle.once("connect", r)), new Promise((r) => slow.once("connect", r))]);
  slow.write("GET / HTTP/1.1\r\nHo");
  // Until the server has read the partial head (a fixed wait was too short on a loaded machine).
  const deadline = Date.now() + 5_000;
  while ((s.connections.length < 2 || !s.connections.some((c) => c.socket.bytesRead > 0)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  t.is(s.connections.length, 2);
  const now = Date.now();
  const [first, second] = s.connections as [IngressConnection, IngressConnection];
  const partial = first.socket.remotePort === slow.localPort ? first : second;
  const quiet = partial === first ? second : first;
  t.false(quiet.expired(now + 4_000, timeouts));
  t.true(quiet.expired(now + 5_100, timeouts));
  t.false(partial.expired(now + 5_100, timeouts));
  t.true(partial.expired(now + 60_100, timeouts));
});

test("an upgrade hands the socket over with the bytes after its head; the connection then never expires as idle", async (t) => {
  const s = await server(text("never"));
  t.teardown(s.close);
  const socket = net.connect(s.port, "127.0.0.1");
  t.teardown(() => socket.destroy());
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.write("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly");
  // " late" goes only once the upgrade was answered: written sooner, a busy machine may let the
  // server read it with the head's bytes, and "early late" would be the bytes after the head.
  const waitFor = async (ending: string) => {
    for (const deadline = Date.now() + 5_000; !received.endsWith(ending) && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 10));
  };
  await waitFor(";");
  socket.write(" late");
  await waitFor("late");
  t.is(received, 'upgraded, then "early"; late');
  t.false(s.connections[0].expired(Date.now() + 3_600_000, { keepAliveMs: 5_000, headersMs: 60_000 }));
});
