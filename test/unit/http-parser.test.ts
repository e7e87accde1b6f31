import test from "ava";
import { createResponseParser } from "../../provider/router/http-parser";

interface Heard {
  heads: { status: number; message: string; headers: string[]; keepAlive: boolean }[];
  body: string;
  completed: number;
}

function listen(skipBody = false) {
  const heard: Heard = { heads: [], body: "", completed: 0 };
  const parser = createResponseParser({
    onHead: (status, message, headers, _upgrade, keepAlive) => {
      heard.heads.push({ status, message, headers, keepAlive });
      return skipBody;
    },
    onBody: (chunk) => (heard.body += chunk.toString("latin1")),
    onComplete: () => heard.completed++,
  });
  return { heard, parser };
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
  t.deepEqual(heard.heads.map((h) => h.status), [200, 204]);
  t.is(heard.body, "abc");
  t.is(heard.completed, 2);
  parser.close();
});

test("header lines ending in a bare LF are accepted (as nginx accepts them)", (t) => {
  const { heard, parser } = listen();
  t.false(parser.execute(Buffer.from("HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok")) instanceof Error);
  t.is(heard.heads[0]!.keepAlive, false);
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
  t.is(heard.heads[0]!.headers.length, 82);
  t.deepEqual(heard.heads[0]!.headers.slice(78), ["X-H39", "v39", "Content-Length", "1"]);
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
