import http from "node:http";

/**
 * The floor of what Node's own `http` does as a reverse proxy on this machine, for the router
 * benchmark: one keep-alive pool to one upstream, the response streamed back, X-Forwarded-* set as
 * skiff sets them (the client's own are overwritten), hop-by-hop headers dropped. No routing, no
 * limits, no timeouts, no logging: everything skiff does beyond this is its own cost.
 *
 *   node node-proxy.js <upstream address> <upstream port>
 *
 * Listens on an ephemeral 127.0.0.1 port and prints it on stdout; exits when its stdin closes (the
 * benchmark that started it is gone) or on SIGTERM.
 */

const [upstreamHost, upstreamPort] = [process.argv[2], Number(process.argv[3])];
if (!upstreamHost || !Number.isInteger(upstreamPort)) {
  process.stderr.write("usage: node node-proxy.js <upstream address> <upstream port>\n");
  process.exit(2);
}

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

const server = http.createServer((req, res) => {
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
  headers["x-forwarded-proto"] = "http";
  headers["x-forwarded-host"] = req.headers.host ?? "";
  const upstream = http.request({ host: upstreamHost, port: upstreamPort, method: req.method, path: req.url, headers, agent }, (answer) => {
    const out: http.OutgoingHttpHeaders = { ...answer.headers };
    for (const name of HOP_BY_HOP) delete out[name];
    res.writeHead(answer.statusCode ?? 502, out);
    answer.pipe(res);
  });
  upstream.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  req.pipe(upstream);
});
server.keepAliveTimeout = 5_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${typeof address === "object" && address ? address.port : 0}\n`);
});
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
