import test from "ava";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { googleRoute, googleSurface } from "../../provider/api/google-http";
import { CLOUD_RUN_API_PREFIXES } from "../../provider/api/cloud-run-apis";
import { Operations, operationToWire } from "../../provider/api/operations";
import { createApiServer, route } from "../../provider/api/server";
import { aborted } from "../../provider/cloudrun-v2/rpc-status";
import { silentLogger } from "../../provider/base/logger";

// The admin server with the Cloud Run APIs' surface beside its own routes, and no engine: who may
// call which path, what errors look like on each, and the long-running operations' store.

const TOKEN = "engine-token";

async function serve(anyToken: boolean): Promise<{ port: number; close: () => Promise<void> }> {
  const admin = [route("GET", "/v1/engine", () => ({ admin: true }))];
  const google = [
    googleRoute("GET", "/v2/projects/{project}/things/{thing}", ({ params }) => ({ project: params.project, thing: params.thing })),
    googleRoute("POST", "/v2/projects/{project}/things/{thing}:run", ({ params }) => ({ ran: params.thing })),
    googleRoute("GET", "/v2/stale", () => {
      throw aborted("etag", "stale");
    }),
  ];
  const server = createApiServer(admin, TOKEN, silentLogger, new Map(), [googleSurface(CLOUD_RUN_API_PREFIXES, google, anyToken)]);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function call(port: number, method: string, path: string, authorization?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: authorization ? { authorization } : {} }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("the engine's token opens both surfaces; anything else is 401 in each surface's own error shape", async (t) => {
  const { port, close } = await serve(false);
  try {
    t.deepEqual((await call(port, "GET", "/v1/engine", `Bearer ${TOKEN}`)).body, { admin: true });
    t.deepEqual((await call(port, "GET", "/v2/projects/p/things/x", `Bearer ${TOKEN}`)).body, { project: "p", thing: "x" });
    const google = await call(port, "GET", "/v2/projects/p/things/x", "Bearer someone-else");
    t.is(google.status, 401);
    t.like(google.body.error, { code: 401, status: "UNAUTHENTICATED" });
    const admin = await call(port, "GET", "/v1/engine");
    t.is(admin.status, 401);
    t.is(admin.body.error.code, "UNAUTHENTICATED", "skiff's own error shape on its own paths");
  } finally {
    await close();
  }
});

test("with --api-allow-any-token, any bearer token from loopback opens the Cloud Run surface only; no token, or not a bearer one, is still 401", async (t) => {
  const { port, close } = await serve(true);
  try {
    t.is((await call(port, "GET", "/v2/projects/p/things/x", "Bearer ya29.google-credential")).status, 200);
    t.is((await call(port, "GET", "/v2/projects/p/things/x")).status, 401);
    t.is((await call(port, "GET", "/v2/projects/p/things/x", "Bearer ")).status, 401);
    t.is((await call(port, "GET", "/v2/projects/p/things/x", "Basic dTpw")).status, 401);
    t.is((await call(port, "GET", "/v1/engine", "Bearer ya29.google-credential")).status, 401, "the admin API keeps its own token");
  } finally {
    await close();
  }
});

test("gcloud's ways in: a request target in absolute form (as sent to a proxy) is served as its path, and /v1/projects/P/locations/... is the Cloud Run surface while skiff's own /v1/projects/P/... is not", async (t) => {
  const { port, close } = await serve(true);
  try {
    const proxied = await call(port, "GET", "http://us-central1-localhost:9/v2/projects/p/things/x?alt=json", `Bearer ${TOKEN}`);
    t.deepEqual(proxied.body, { project: "p", thing: "x" });
    const location = await call(port, "GET", "/v1/projects/p/locations/us-central1/services", "Bearer ya29.google-credential");
    t.is(location.status, 404, "any token gets past the Cloud Run surface's door (and this server has no such route)");
    t.is(location.body.error.status, "NOT_FOUND", "google.rpc.Status, the Cloud Run surface's error shape");
    const own = await call(port, "GET", "/v1/projects/p/services", "Bearer ya29.google-credential");
    t.is(own.status, 401, "skiff's own API keeps its token");
    t.is(own.body.error.code, "UNAUTHENTICATED");
  } finally {
    await close();
  }
});

test("custom verbs match with ':' or '%3A'; an unknown path is a google.rpc.Status NOT_FOUND; an RpcError keeps its code", async (t) => {
  const { port, close } = await serve(false);
  try {
    const auth = `Bearer ${TOKEN}`;
    t.deepEqual((await call(port, "POST", "/v2/projects/p/things/x:run", auth)).body, { ran: "x" });
    t.deepEqual((await call(port, "POST", "/v2/projects/p/things/x%3Arun", auth)).body, { ran: "x" });
    const missing = await call(port, "GET", "/v2/projects/p/nothing", auth);
    t.is(missing.status, 404);
    t.is(missing.body.error.status, "NOT_FOUND");
    const stale = await call(port, "GET", "/v2/stale", auth);
    t.is(stale.status, 409);
    t.is(stale.body.error.status, "ABORTED");
    t.is((await call(port, "GET", "/v2/projects/p/things/%2e%2e", auth)).status, 400, "dot segments are refused here too");
  } finally {
    await close();
  }
});

test("operations: answered at once, done with the work's result or its error as a Status; the oldest finished ones are forgotten past the limit", async (t) => {
  const operations = new Operations(silentLogger, 2);
  const scope = { project: "p", location: "l" };
  let finish!: (value: Record<string, unknown>) => void;
  const running = operations.start(scope, "Execution", { name: "e" }, () => new Promise((resolve) => (finish = resolve)));
  t.like(operationToWire(running, { intEnums: false }), {
    done: false,
    metadata: { "@type": "type.googleapis.com/google.cloud.run.v2.Execution", name: "e" },
  });
  await new Promise(setImmediate); // the work starts behind the answer
  finish({ name: "e", succeededCount: 1 });
  await running.finished;
  t.like(operationToWire(running, { intEnums: false }), { done: true, response: { name: "e", succeededCount: 1 } });

  const failing = operations.start(scope, "Service", { name: "s" }, () => Promise.reject(aborted("service.etag", "stale")));
  await failing.finished;
  t.like(operationToWire(failing, { intEnums: false }), { done: true, error: { code: 10, message: "service.etag: stale" } });

  operations.finished(scope, "Job", { name: "j" });
  t.is(operations.list(scope).length, 2, "the limit holds");
  t.throws(() => operations.get(scope, running.id), { message: /operation .* not found/ });
  t.throws(
    () => operations.get({ project: "other", location: "l" }, failing.id),
    { message: /not found/ },
    "another project's operation is not found",
  );
  await operations.wait(failing, 10);
  operations.delete(scope, failing.id);
  t.is(operations.list({ project: "p", location: "-" }).length, 1);
});
