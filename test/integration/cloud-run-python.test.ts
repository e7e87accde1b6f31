import test from "ava";
import { deploy } from "../helpers/cli";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage, fixturePath } from "../helpers/fixture-image";
import { googleCloudRunPython, GOOGLE_CLOUD_RUN_PY_VERSION, runPythonScenario } from "../helpers/python-google-clients";

// Google's own Python client for Cloud Run (google-cloud-run from PyPI, REST transport, pointed at
// the engine with client_options api_endpoint) drives skiff as it drives Cloud Run: services from
// create to delete with a 50/50 split seen through the ingress, jobs run and cancelled, resources
// shared with the CLI both ways, a stale etag refused, and bad requests reported with the field's
// path. This engine takes any bearer token (--api-allow-any-token), so the client sends a made-up
// one, as a script holding Google credentials would; with no token at all it is still refused.

let engine: TestEngine;
let image: string;
const SCRIPT = fixturePath("run_v2_client.py");

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: ["--api-allow-any-token"] }), googleCloudRunPython()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

function args(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    endpoint: `http://127.0.0.1:${engine.apiPort}`,
    ingressPort: engine.ingressPort,
    token: "ya29.not-the-engine-token",
    adminToken: engine.token,
    project: "default",
    location: "us-central1",
    image,
    ...extra,
  };
}

test(`google-cloud-run ${GOOGLE_CLOUD_RUN_PY_VERSION}: create_service's operation returns a Service whose uri serves; get, list, update (a new revision), a 50/50 split within ±5 points over 400 requests; skiff services list shows it; delete_service ends with its containers gone`, async (t) => {
  const service = "py-hello";
  const seen = await runPythonScenario<any>(SCRIPT, "services", args({ service }));
  t.is(seen.created.name, `projects/default/locations/us-central1/services/${service}`);
  t.is(seen.created.uri, `http://${service}.localhost:${engine.ingressPort}`);
  t.is(seen.created.terminalState, "CONDITION_SUCCEEDED");
  t.false(seen.created.reconciling);
  t.true(seen.created.operationDone);
  t.deepEqual(seen.firstRequest, [200, seen.created.latestReady], "the uri serves the ready revision");
  t.is(seen.got.image, image);
  t.true(seen.listed.includes(seen.created.name), "list_services pages (page_size 1) reach it");
  t.deepEqual(seen.updated.env, { GREETING: "one", ADDED: "two" });
  t.not(seen.updated.latestReady, seen.created.latestReady, "a new env var is a new revision");
  t.deepEqual(seen.revisions, [seen.updated.latestReady, seen.created.latestReady], "list_revisions: newest first");
  t.deepEqual(
    seen.trafficStatuses.map(([, percent]: [string, number]) => percent),
    [50, 50],
  );
  const counts = seen.counts as Record<string, number>;
  t.deepEqual(Object.keys(counts).sort(), [...seen.revisions].sort(), JSON.stringify(counts));
  for (const revision of seen.revisions) t.true(Math.abs(counts[revision] - 200) <= 20, `${revision}: ${counts[revision]} of 400`);

  const listed = await engine.skiff(["services", "list", "--format", "value(metadata.name)"]);
  t.true(listed.stdout.split("\n").includes(service), listed.stdout + listed.stderr);
  t.true((await engine.containers()).some((c) => c.labels["skiff.service"] === service));

  const deleted = await runPythonScenario<any>(SCRIPT, "delete", args({ service }));
  t.true(deleted.operationDone);
  t.is(deleted.deleted, seen.created.name);
  t.like(deleted.afterwards, { type: "NotFound", code: 404, status: "NOT_FOUND" });
  const deadline = Date.now() + 30_000;
  while ((await engine.containers()).some((c) => c.labels["skiff.service"] === service) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 250));
  t.false(
    (await engine.containers()).some((c) => c.labels["skiff.service"] === service),
    "its containers are gone",
  );
});

test("create_job and run_job(...).result(): a succeeded Execution of 3 tasks whose logs are the 3 tasks' lines; cancel_execution on a long one ends it cancelled", async (t) => {
  const job = "py-job";
  const seen = await runPythonScenario<any>(SCRIPT, "jobs", args({ job }));
  t.is(seen.job, `projects/default/locations/us-central1/jobs/${job}`);
  t.like(seen.execution, { taskCount: 3, succeededCount: 3, failedCount: 0, completed: ["CONDITION_SUCCEEDED"] });
  const execution = seen.execution.name as string;
  t.deepEqual(
    seen.tasks,
    [0, 1, 2].map((i) => [`${execution}-task${i}`, i, 0]),
  );
  const lines = seen.logLines as string[];
  for (const i of [0, 1, 2]) {
    t.true(
      lines.some((l) => l.includes(`task ${i} attempt 0 start`)),
      `task ${i}'s start line is in the execution's log:\n${lines.join("\n")}`,
    );
    t.true(lines.some((l) => l.includes(`task ${i} attempt 0 end`)));
  }
  t.true(
    lines.every((l) => l.includes(execution)),
    "every line is this execution's",
  );
  t.like(seen.cancelled, { cancelledCount: 1, reconciling: false });
  t.deepEqual(seen.cancelled.completed, [["CONDITION_FAILED", "CANCELLED"]]);
  const listed = await engine.skiffJson(["executions", "describe", seen.cancelled.name]);
  t.true(JSON.stringify(listed).includes("Cancelled"), "the CLI sees the same execution cancelled");
});

test("a service skiff deploy made is what get_service returns; an update with a stale etag is ABORTED (409) and changes nothing", async (t) => {
  const service = "cli-made";
  await deploy(engine, service, ["--image", image]);
  const seen = await runPythonScenario<any>(SCRIPT, "interop", args({ service }));
  t.is(seen.deployed.uri, `http://${service}.localhost:${engine.ingressPort}`);
  t.is(seen.deployed.image, image);
  t.regex(seen.deployed.latestReady, /^cli-made-00001-[a-z]{3}$/);
  t.like(seen.stalePatch, { type: "Conflict", code: 409, status: "ABORTED" });
  t.regex(seen.stalePatch.message, /service\.etag: the service changed since it was read/);
  t.true(seen.unchanged, "the refused update changed nothing");
  t.deepEqual(seen.labels, { changed: "yes" });
});

test("invalid requests are INVALID_ARGUMENT naming the field, as the library raises them: a missing image, percents summing to 110, a duration of '5 minutes', an unknown enum", async (t) => {
  const service = "invalid-target";
  await deploy(engine, service, ["--image", image]);
  const seen = await runPythonScenario<any>(SCRIPT, "invalid", args({ service }));
  t.like(seen.missingImage, {
    type: "BadRequest",
    code: 400,
    status: "INVALID_ARGUMENT",
    fields: ["service.template.containers[0].image"],
  });
  t.regex(seen.missingImage.message, /service\.template\.containers\[0\]\.image: is required/);
  t.like(seen.percent110, { type: "BadRequest", code: 400, status: "INVALID_ARGUMENT", fields: ["service.traffic"] });
  t.regex(seen.percent110.message, /service\.traffic: percents must sum to 100, got 110/);
  t.regex(seen.durationInLibrary, /^ValueError: Couldn't parse duration: 5 minutes/);
  t.like(seen.badDuration, { type: "BadRequest", code: 400, status: "INVALID_ARGUMENT", fields: ["service.template.timeout"] });
  t.regex(seen.badDuration.message, /service\.template\.timeout: must be a duration in seconds such as "300s" or "1.5s", got "5 minutes"/);
  t.like(seen.unknownEnum, { type: "BadRequest", code: 400, status: "INVALID_ARGUMENT", fields: ["service.ingress"] });
  t.regex(seen.unknownEnum.message, /service\.ingress: unknown enum value 99 for IngressTraffic/);
  const names = (await engine.skiff(["services", "list", "--format", "value(metadata.name)"])).stdout.split("\n");
  t.false(names.includes("no-image") || names.includes("bad-duration") || names.includes("unknown-enum"), "nothing was created");
});

test("with no bearer token the client is refused (401), even though this engine takes any token", async (t) => {
  const seen = await runPythonScenario<any>(SCRIPT, "anonymous", args({}));
  t.deepEqual(seen.plain, { code: 401, status: "UNAUTHENTICATED" });
  t.is(seen.library, "InvalidOperation: Anonymous credentials cannot be refreshed.", "the library tried to refresh after the 401");
});
