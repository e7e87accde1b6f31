// The demo's sample service: answers every request with a greeting naming the revision that served
// it. Plain Node with no dependencies, so it runs in a `FROM scratch` image beside the node binary.
"use strict";
const http = require("node:http");

const port = Number(process.env.PORT || 8080);
const revision = process.env.K_REVISION || "(no revision)";
const greeting = process.env.GREETING || "Hello from skiff";

const server = http.createServer((req, res) => {
  process.stdout.write(`${req.method} ${req.url}\n`);
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`${greeting}! Served by revision ${revision}.\n`);
});
server.listen(port, "0.0.0.0", () => process.stdout.write(`hello: listening on ${port}\n`));
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
