import http2 from "node:http2";

/**
 * The floor of what Node's own `http2` does as an h2c reverse proxy, for the h2c benchmark: one
 * session to one upstream (as skiff keeps one per instance), each client stream forwarded as a
 * stream of it with its headers as they came, X-Forwarded-* set as skiff sets them, bodies piped
 * both ways and the response's trailers passed on (gRPC's status is a trailer; a proxy that drops
 * them serves no gRPC). No routing, limits, timeouts or translation: what skiff does beyond this
 * is its own cost.
 *
 *   node node-h2-proxy.js <upstream address> <upstream port>
 *
 * Listens on an ephemeral 127.0.0.1 port and prints it on stdout; exits when its stdin closes (the
 * benchmark that started it is gone) or on SIGTERM.
 */

const [upstreamHost, upstreamPort] = [process.argv[2], Number(process.argv[3])];
if (!upstreamHost || !Number.isInteger(upstreamPort)) {
  process.stderr.write("usage: node node-h2-proxy.js <upstream address> <upstream port>\n");
  process.exit(2);
}

let upstream: http2.ClientHttp2Session | undefined;
function session(): http2.ClientHttp2Session {
  if (upstream && !upstream.closed && !upstream.destroyed) return upstream;
  upstream = http2.connect(`http://${upstreamHost}:${upstreamPort}`);
  upstream.on("error", () => undefined);
  return upstream;
}

const { NGHTTP2_FLAG_END_STREAM } = http2.constants;
const server = http2.createServer();
server.on("stream", (stream, headers) => {
  stream.on("error", () => undefined);
  const out: http2.OutgoingHttpHeaders = { ...headers };
  out["x-forwarded-for"] = stream.session?.socket.remoteAddress ?? "";
  out["x-forwarded-proto"] = "http";
  out["x-forwarded-host"] = headers[":authority"] ?? "";
  const ended = stream.endAfterHeaders;
  const request = session().request(out, { endStream: ended });
  let trailers: http2.IncomingHttpHeaders | undefined;
  request.on("error", () => !stream.destroyed && stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  request.on("response", (answer, flags) => {
    if (stream.destroyed || stream.closed) return void request.close(http2.constants.NGHTTP2_CANCEL);
    const final = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    stream.respond({ ...answer }, final ? { endStream: true } : { waitForTrailers: true });
    if (!final) request.pipe(stream);
  });
  request.on("trailers", (t) => (trailers = t));
  stream.on("wantTrailers", () => stream.sendTrailers(trailers ?? {}));
  if (!ended) stream.pipe(request);
});
server.on("sessionError", () => undefined);
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${typeof address === "object" && address ? address.port : 0}\n`);
});
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
