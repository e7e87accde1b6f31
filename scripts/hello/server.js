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
// With API_URL set, the service is a front end: each request calls that service as this one's own
// account and answers with what it said, status and all (examples/private-backend).
const apiUrl = process.env.API_URL;

const server = http.createServer((req, res) => {
  process.stdout.write(`${req.method} ${req.url}\n`);
  if (!apiUrl) {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`${greeting}! Served by revision ${revision}.\n`);
    return;
  }
  callApi().then(
    (api) => {
      res.writeHead(api.status, { "content-type": "text/plain" });
      res.end(`${greeting}! Revision ${revision} asked ${apiUrl} and got ${api.status}: ${api.body.trim()}\n`);
    },
    (error) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`${greeting}! Revision ${revision} could not reach ${apiUrl}: ${error.message}\n`);
    },
  );
});

/** GET url with headers: { status, body }. */
function get(url, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, timeout: 30_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
    req.on("error", reject);
  });
}

/**
 * Calls API_URL the way a Cloud Run service calls a private one: an identity token whose audience
 * is the service's URL, from the metadata server (GCE_METADATA_HOST, as Google's client libraries
 * find it), sent as a bearer token.
 */
async function callApi() {
  const metadata = process.env.GCE_METADATA_HOST || "metadata.google.internal";
  const audience = new URL(apiUrl).origin;
  const identity = `http://${metadata}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(audience)}`;
  const token = await get(identity, { "metadata-flavor": "Google" });
  if (token.status !== 200) throw new Error(`the metadata server answered ${token.status}: ${token.body.trim()}`);
  return get(apiUrl, { authorization: `Bearer ${token.body.trim()}` });
}
server.listen(port, "0.0.0.0", () => process.stdout.write(`hello: listening on ${port}\n`));
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
