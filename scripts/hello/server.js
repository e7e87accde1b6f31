// The demo's sample service: answers every request with a greeting naming the revision that served
// it. Plain Node with no dependencies, so it runs in a `FROM scratch` image beside the node binary.
"use strict";
const http = require("node:http");

// As a job's task (Cloud Run sets CLOUD_RUN_JOB), the same image acts out a schema migration: it
// says what it does and exits 0, or 1 when MIGRATION_FAIL is set, so a failing migration can be tried.
if (process.env.CLOUD_RUN_JOB) {
  const task = `task ${process.env.CLOUD_RUN_TASK_INDEX} attempt ${process.env.CLOUD_RUN_TASK_ATTEMPT}`;
  process.stdout.write(`migrate: ${task}: migrating the schema to ${process.env.SCHEMA_VERSION || "the latest version"}\n`);
  if (process.env.MIGRATION_FAIL) {
    process.stderr.write(`migrate: ${task}: ${process.env.MIGRATION_FAIL}\n`);
    process.exit(1);
  }
  process.stdout.write(`migrate: ${task}: done\n`);
  process.exit(0);
}

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
