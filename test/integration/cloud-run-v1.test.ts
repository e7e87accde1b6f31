import test from "ava";
import * as http from "node:http";
import { parse as parseYaml } from "yaml";
import { cloudRunApiRoutes } from "../../provider/api/cloud-run-apis";
import { run } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, transcript } from "../helpers/cli";

// The Knative-shaped v1 API gcloud uses, on the engine's admin port: `curl` of a service's path
// answers the object `skiff services describe` prints (the same code makes both), and a PUT of it,
// edited, makes a new revision. And the token rule of both Google APIs: an engine started without
// --api-allow-any-token answers 401 on every /v1-style and /v2 path to a request without its token.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

const SERVICES = "/apis/serving.knative.dev/v1/namespaces/default/services";

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const result = await run("curl", ["-sS", "-w", "\n%{http_code}", ...args], { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`curl ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  const at = result.stdout.lastIndexOf("\n");
  return { status: Number(result.stdout.slice(at + 1)), body: result.stdout.slice(0, at) };
}

function authorization(): string[] {
  return ["-H", `Authorization: Bearer ${engine.token}`];
}

/** What `--format export` leaves out of an object: its status and the metadata the platform sets. */
function exported(object: any): any {
  const { status: _status, ...rest } = structuredClone(object);
  delete rest.metadata.generation;
  delete rest.metadata.creationTimestamp;
  delete rest.metadata.selfLink;
  delete rest.metadata.annotations["run.googleapis.com/ingress-status"];
  return rest;
}

test("curl of the v1 Knative path of a service is the object services describe prints (--format json exactly, --format export less the status); a PUT of the exported object, edited, makes a new revision", async (t) => {
  const service = "knative-api";
  await deploy(engine, service, [
    "--image",
    image,
    "--set-env-vars",
    "GREETING=hi",
    "--memory",
    "256Mi",
    "--concurrency",
    "7",
    "--labels",
    "team=web",
  ]);
  const url = `http://127.0.0.1:${engine.apiPort}${SERVICES}/${service}`;
  const fetched = await curl([...authorization(), url]);
  t.is(fetched.status, 200, fetched.body);
  const object = JSON.parse(fetched.body);

  const described = await engine.skiff(["services", "describe", service, "--format", "json"]);
  t.deepEqual(object, JSON.parse(described.stdout), "the API's object is describe's, field for field");
  const exportText = await engine.skiff(["services", "describe", service, "--format", "export"]);
  t.is(exportText.code, 0, transcript(["services", "describe", service, "--format", "export"], exportText));
  t.deepEqual(exported(object), parseYaml(exportText.stdout), "describe --format export prints the API's object without its status");

  const edited = parseYaml(exportText.stdout);
  edited.spec.template.metadata.name = `${service}-edited`;
  edited.spec.template.spec.containers[0].env.push({ name: "ADDED", value: "by-put" });
  const put = await curl([...authorization(), "-X", "PUT", "-H", "content-type: application/json", "--data", JSON.stringify(edited), url]);
  t.is(put.status, 200, put.body);
  const replaced = JSON.parse(put.body);
  t.is(replaced.status.latestReadyRevisionName, `${service}-edited`);
  t.deepEqual(replaced.spec.template.spec.containers[0].env, [
    { name: "GREETING", value: "hi" },
    { name: "ADDED", value: "by-put" },
  ]);
  const revisions = await engine.skiff(["revisions", "list", "--service", service, "--format", "value(metadata.name)"]);
  t.deepEqual(revisions.stdout.trim().split("\n").sort(), [object.status.latestReadyRevisionName, `${service}-edited`].sort());
  const answer = await engine.request(`${service}.localhost:${engine.ingressPort}`, "/");
  t.is(answer.headers["x-revision"], `${service}-edited`, "the new revision serves");
});

test("the v1 API's other objects: revisions by labelSelector, the Route and Configuration of a service, a bad PUT named by its Knative path, a Job created and run, a DomainMapping created", async (t) => {
  const service = "knative-kids";
  await deploy(engine, service, ["--image", image]);
  const get = async (path: string) => {
    const answer = await curl([...authorization(), `http://127.0.0.1:${engine.apiPort}${path}`]);
    t.is(answer.status, 200, `${path}: ${answer.body}`);
    return JSON.parse(answer.body);
  };
  const base = "/apis/serving.knative.dev/v1/namespaces/default";
  const revisions = await get(`${base}/revisions?labelSelector=serving.knative.dev/service%3D${service}`);
  t.is(revisions.kind, "RevisionList");
  t.deepEqual(
    revisions.items.map((r: any) => r.metadata.labels["serving.knative.dev/service"]),
    [service],
  );
  const route = await get(`${base}/routes/${service}`);
  t.is(route.status.url, `http://${service}.localhost:${engine.ingressPort}`);
  const configuration = await get(`${base}/configurations/${service}`);
  t.is(configuration.status.latestReadyRevisionName, revisions.items[0].metadata.name);

  const bad = await get(`${SERVICES}/${service}`);
  bad.spec.traffic = [{ latestRevision: true, percent: 110 }];
  const refused = await curl([
    ...authorization(),
    "-X",
    "PUT",
    "--data",
    JSON.stringify(bad),
    `http://127.0.0.1:${engine.apiPort}${SERVICES}/${service}`,
  ]);
  t.is(refused.status, 400);
  const status = JSON.parse(refused.body).error;
  t.is(status.status, "INVALID_ARGUMENT");
  t.deepEqual(status.details[0].fieldViolations[0].field, "spec.traffic[0].percent");

  const runBase = `http://127.0.0.1:${engine.apiPort}/apis/run.googleapis.com/v1/namespaces/default`;
  const job = {
    apiVersion: "run.googleapis.com/v1",
    kind: "Job",
    metadata: { name: "v1-job" },
    spec: {
      template: { spec: { taskCount: 2, template: { spec: { containers: [{ image, env: [{ name: "FIXTURE_MODE", value: "task" }] }] } } } },
    },
  };
  const created = await curl([...authorization(), "-X", "POST", "--data", JSON.stringify(job), `${runBase}/jobs`]);
  t.is(created.status, 200, created.body);
  const ran = await curl([...authorization(), "-X", "POST", "--data", "{}", `${runBase}/jobs/v1-job:run`]);
  t.is(ran.status, 200, ran.body);
  const execution = JSON.parse(ran.body);
  t.is(execution.kind, "Execution");
  const executions = await get(`/apis/run.googleapis.com/v1/namespaces/default/executions?labelSelector=run.googleapis.com/job%3Dv1-job`);
  t.deepEqual(
    executions.items.map((e: any) => e.metadata.name),
    [execution.metadata.name],
  );

  const mapping = {
    apiVersion: "domains.cloudrun.com/v1",
    kind: "DomainMapping",
    metadata: { name: "kids.example.test" },
    spec: { routeName: service },
  };
  const mapped = await curl([...authorization(), "-X", "POST", "--data", JSON.stringify(mapping), `${runBase}/domainmappings`]);
  t.is(mapped.status, 200, mapped.body);
  const listed = await get("/apis/domains.cloudrun.com/v1/namespaces/default/domainmappings");
  t.deepEqual(
    listed.items.map((m: any) => m.spec.routeName),
    [service],
  );
});

/** A request with the given Authorization header (or none); its status and body. */
function request(method: string, path: string, authorizationHeader?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: engine.apiPort, method, path, headers: authorizationHeader ? { authorization: authorizationHeader } : {} },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(method === "GET" || method === "DELETE" ? undefined : "{}");
  });
}

/** A path each route matches: its parameters filled in, its custom verb written with ":". */
function samplePath(pattern: RegExp): string {
  return pattern.source
    .slice(1, -1)
    .replace(/\(\?<(\w+)>\[\^\/:\]\+\)/g, (_, name: string) => `some-${name.toLowerCase()}`)
    .replace(/\(\?::\|%3\[aA\]\)/g, ":")
    .replace(/\\(.)/g, "$1");
}

test("without --api-allow-any-token, every v1 and v2 path answers 401 UNAUTHENTICATED to a request with no token or another token, and changes nothing", async (t) => {
  // The route table the engine serves, built with no controllers behind it: only its paths are used.
  const routes = cloudRunApiRoutes({} as Parameters<typeof cloudRunApiRoutes>[0]);
  t.true(routes.length >= 40, `${routes.length} routes`);
  for (const r of routes) {
    const path = samplePath(r.pattern);
    t.regex(path, r.pattern, `${path} is a path of ${r.pattern}`);
    for (const header of [undefined, "Bearer ya29.someone-elses", "Basic dXNlcjpwYXNz", `Bearer ${engine.token}x`]) {
      const answer = await request(r.method, path, header);
      t.is(answer.status, 401, `${r.method} ${path} with ${header ?? "no Authorization"}: ${answer.body}`);
      t.is(JSON.parse(answer.body).error.status, "UNAUTHENTICATED");
    }
  }
  for (const path of ["/v2/", "/v2/projects/p/locations/l/nothing-here", "/apis/anything"])
    t.is((await request("GET", path)).status, 401, path);
  t.is((await request("GET", `${SERVICES}`, `Bearer ${engine.token}`)).status, 200, "the engine's own token is taken");
  // The sample paths name projects of their own (some-project, some-namespace): nothing is in them.
  for (const project of ["some-project", "some-namespace"]) {
    for (const kind of ["services", "jobs"]) {
      const listed = await engine.skiffJson([kind, "list", "--project", project]);
      t.deepEqual(listed, [], `${kind} in ${project}`);
    }
  }
});
