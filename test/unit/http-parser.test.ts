import test from "ava";
import { createRequestParser, createResponseParser } from "../../provider/router/http-parser";

interface Heard {
  heads: { status: number; message: string; headers: string[]; keepAlive: boolean }[];
  body: string;
  completed: number;
  trailers: string[][];
}

function listen(skipBody = false) {
  const heard: Heard = { heads: [], body: "", completed: 0, trailers: [] };
  const parser = createResponseParser({
    onHead: (status, message, headers, _upgrade, keepAlive) => {
      heard.heads.push({ status, message, headers, keepAlive });
      return skipBody;
    },
    onBody: (chunk) => (heard.body += chunk.toString("latin1")),
    onComplete: (trailers) => (heard.completed++, heard.trailers.push(trailers)),
  });
  return { heard, parser };
}

/** A request parser that records each message as { method, url, headers, body, trailers }. */
function listenRequests() {
  const messages: { method: string; url: string; headers: string[]; body: string; trailers: string[] }[] = [];
  const parser = createRequestParser({
    onHead: (method, url, headers) => void messages.push({ method, url, headers, body: "", trailers: [] }),
    onBody: (chunk) => (messages.at(-1)!.body += chunk.toString("latin1")),
    onComplete: (trailers) => (messages.at(-1)!.trailers = trailers),
  });
  return { messages, parser };
}

test("a response with a length: its head, its body, complete, and the connection may stay", (t) => {
  const { heard, parser } = listen();
  t.is(parser.execute(Buffer.from("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello")), 56);
  t.deepEqual(heard.heads, [{ status: 201, message: "Created", headers: ["Content-Length", "5", "X-A", "1"], keepAlive: true }]);
  t.is(heard.body, "hello");
  t.is(heard.completed, 1);
  parser.close();
});

test("responses follow one another on a kept-alive connection, and chunks are decoded", (t) => {
  const { heard, parser } = listen();
  parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"));
  t.deepEqual(
    heard.heads.map((h) => h.status),
    [200, 204],
  );
  t.is(heard.body, "abc");
  t.is(heard.completed, 2);
  parser.close();
});

test("header lines ending in a bare LF are accepted (as nginx accepts them)", (t) => {
  const { heard, parser } = listen();
  t.false(parser.execute(Buffer.from("HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok")) instanceof Error);
  t.is(heard.heads[0].keepAlive, false);
  t.is(heard.body, "ok");
  t.is(heard.completed, 1);
  parser.close();
});

test("a head cut across reads, and more than 32 header lines, arrive whole", (t) => {
  const { heard, parser } = listen();
  const lines = Array.from({ length: 40 }, (_, i) => `X-H${i}: v${i}\r\n`).join("");
  const response = Buffer.from(`HTTP/1.1 200 OK\r\n${lines}Content-Length: 1\r\n\r\n!`);
  for (let i = 0; i < response.length; i += 7) t.false(parser.execute(response.subarray(i, i + 7)) instanceof Error);
  t.is(heard.heads.length, 1);
  t.is(heard.heads[0].headers.length, 82);
  t.deepEqual(heard.heads[0].headers.slice(78), ["X-H39", "v39", "Content-Length", "1"]);
  t.is(heard.body, "!");
  parser.close();
});

test("a body that runs until the connection ends completes at finish; a cut-off one is an error", (t) => {
  const eof = listen();
  eof.parser.execute(Buffer.from("HTTP/1.1 200 OK\r\n\r\nuntil the end"));
  t.is(eof.heard.completed, 0);
  t.is(eof.parser.finish(), undefined);
  t.is(eof.heard.completed, 1);
  t.is(eof.heard.body, "until the end");
  eof.parser.close();

  const cut = listen();
  cut.parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  t.is((cut.parser.finish() as NodeJS.ErrnoException | undefined)?.code, "HPE_INVALID_EOF_STATE");
  cut.parser.close();
});

test("something that is not HTTP is an error with an HPE_ code", (t) => {
  const { parser } = listen();
  const error = parser.execute(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")) as NodeJS.ErrnoException;
  t.regex(error.code ?? "", /^HPE_/);
  parser.close();
});

test("the answer to a HEAD request has no body even with a length", (t) => {
  const { heard, parser } = listen(true);
  parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  t.is(heard.completed, 2);
  t.is(heard.body, "");
  parser.close();
});

test("a request's trailers end with it: the next request's URL and headers are its own (nginx: trailers dropped, next request intact)", (t) => {
  const { messages, parser } = listenRequests();
  const bytes =
    "POST /a HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nHost: e2\r\nX-T: 1\r\n\r\nGET /second HTTP/1.1\r\nHost: e\r\n\r\nGET /third HTTP/1.1\r\nHost: e\r\n\r\n";
  t.is(parser.execute(Buffer.from(bytes)), bytes.length);
  t.deepEqual(messages, [
    {
      method: "POST",
      url: "/a",
      headers: ["Host", "e", "Transfer-Encoding", "chunked"],
      body: "abc",
      trailers: ["Host", "e2", "X-T", "1"],
    },
    { method: "GET", url: "/second", headers: ["Host", "e"], body: "", trailers: [] },
    { method: "GET", url: "/third", headers: ["Host", "e"], body: "", trailers: [] },
  ]);
  parser.close();
});

test("trailers and heads cut across reads, and more than 32 trailer lines, stay with their own message", (t) => {
  const { messages, parser } = listenRequests();
  const trailerLines = Array.from({ length: 40 }, (_, i) => `X-T${i}: ${i}\r\n`).join("");
  const headLines = Array.from({ length: 35 }, (_, i) => `X-H${i}: ${i}\r\n`).join("");
  const bytes = Buffer.from(
    `POST /a HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n${trailerLines}\r\nGET /b HTTP/1.1\r\nHost: e\r\n${headLines}\r\n`,
  );
  for (let i = 0; i < bytes.length; i += 5) t.false(parser.execute(bytes.subarray(i, i + 5)) instanceof Error);
  t.is(messages.length, 2);
  t.is(messages[0].trailers.length, 80);
  t.deepEqual(messages[0].trailers.slice(-2), ["X-T39", "39"]);
  t.is(messages[1].url, "/b");
  t.is(messages[1].headers.length, 72);
  t.deepEqual(messages[1].headers.slice(0, 2), ["Host", "e"]);
  parser.close();
});

test("a response's trailers end with it: the next response's headers are its own", (t) => {
  const { heard, parser } = listen();
  parser.execute(
    Buffer.from(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Leak: secret\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ),
  );
  t.deepEqual(
    heard.heads.map((h) => h.headers),
    [
      ["Transfer-Encoding", "chunked"],
      ["Content-Length", "0"],
    ],
  );
  t.deepEqual(heard.trailers, [["X-Leak", "secret"], []]);
  parser.close();
});
