import test from "ava";
import type { ExecutionContext } from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../helpers/docker";
import { CLI_ENTRY, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import {
  deploy,
  describeService,
  firstRevisionOf,
  hostOf,
  listRevisions,
  listServices,
  revisionFromBody,
  transcript,
} from "../helpers/cli";
import {
  hostnameOf,
  revisionContainers,
  sampleContainers,
  serviceContainers,
  SHORT_GRACE_MS,
  SHORT_STABLE_WINDOW_MS,
  SHORT_WINDOW_FLAGS,
  sleep,
} from "../helpers/scaling";

// An idle revision keeps its last instance for the scale-to-zero grace and then stops it; the next
// request is held while a new instance starts and is served by it. minInstanceCount keeps an
// instance through any idleness. Bad scaling input exits 1 naming the flag and changes nothing.
// The engine runs with short windows so idleness takes seconds: grace 2 s, stable window 4 s, panic window 1 s.

const GRACE_MS = SHORT_GRACE_MS;
const STABLE_WINDOW_MS = SHORT_STABLE_WINDOW_MS;

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: SHORT_WINDOW_FLAGS })]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** The scaling entry `services describe` shows for the revision. */
async function scalingOf(service: string, revision: string) {
  const s = await describeService(engine, service);
  const entry = s.scaling.find((x) => x.revision === revision);
  if (!entry) throw new Error(`services describe ${service} has no scaling entry for ${revision}: ${JSON.stringify(s.scaling)}`);
  return entry;
}

// ---- bad input (serial: these run before the other tests, so the service list is theirs alone) ----

/**
 * Everything a refused deploy could have changed. `scaling` is left out (its decidedAt moves on every
 * tick), and so are containers: guarded may scale to zero meanwhile, so those are compared as "none new".
 */
async function observableState() {
  const services = (await listServices(engine)).map((s) => ({ ...s, scaling: undefined }));
  const revisions = (await listRevisions(engine, "guarded")).map((r) => `${r.name} ${r.status}`);
  return { services, revisions };
}

async function containerIds(): Promise<Set<string>> {
  return new Set((await engine.containers()).map((c) => c.id));
}

let guarded: Promise<void> | undefined;

async function refusedDeploy(t: ExecutionContext, flags: string[], flagAndField: string, reason: RegExp) {
  guarded ??= deploy(engine, "guarded", ["--image", image]).then(() => undefined);
  await guarded;
  const before = await observableState();
  const containersBefore = await containerIds();
  // Once for the existing service (its template must not change) and once for a new one (it must not appear).
  for (const service of ["guarded", "newcomer"]) {
    const args = ["deploy", service, "--image", image, ...flags];
    const result = await engine.skiff(args);
    const said = transcript(args, result);
    t.is(result.code, 1, said);
    const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
    t.is(lines.length, 1, `exactly one line on stderr\n${said}`);
    t.true(lines[0]?.startsWith(`skiff: error: ${flagAndField}: `), `the line names ${flagAndField}\n${said}`);
    t.regex(lines[0] ?? "", reason, `the line gives the reason\n${said}`);
    t.is(result.stdout, "", `nothing on stdout\n${said}`);
  }
  t.deepEqual(await observableState(), before, "no service created or changed, no revision made");
  t.deepEqual(
    [...(await containerIds())].filter((id) => !containersBefore.has(id)),
    [],
    "no container was started",
  );
  t.deepEqual(await serviceContainers(engine, "newcomer"), [], "no container for the refused new service");
  const describeNew = await engine.skiff(["services", "describe", "newcomer"]);
  t.is(describeNew.code, 1, `the refused new service does not exist\n${transcript(["services", "describe", "newcomer"], describeNew)}`);
}

test.serial(
  "deploy --max-instances 0 exits 1 naming --max-instances (template.scaling.maxInstanceCount) and changes nothing",
  refusedDeploy,
  ["--max-instances", "0"],
  "--max-instances (template.scaling.maxInstanceCount)",
  /must be at least 1$/,
);

test.serial(
  "deploy --min-instances 5 --max-instances 2 exits 1 naming --min-instances (template.scaling.minInstanceCount) and changes nothing",
  refusedDeploy,
  ["--min-instances", "5", "--max-instances", "2"],
  "--min-instances (template.scaling.minInstanceCount)",
  /must not exceed maxInstanceCount/,
);

test.serial(
  "deploy --concurrency 0 exits 1 naming --concurrency (template.maxInstanceRequestConcurrency) and changes nothing",
  refusedDeploy,
  ["--concurrency", "0"],
  "--concurrency (template.maxInstanceRequestConcurrency)",
  /must be between 1 and 1000$/,
);

test.serial("engine start --scale-to-zero-grace soon exits 1 naming the flag and the value, and starts no engine", async (t) => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-test-bad-grace-"));
  try {
    const cli = (args: string[]) =>
      run(process.execPath, [CLI_ENTRY, ...args], { env: { ...process.env, SKIFF_HOME: home }, timeoutMs: 60_000 });
    const args = ["engine", "start", "--ingress-port", "0", "--api-port", "0", "--scale-to-zero-grace", "soon"];
    const result = await cli(args);
    const said = transcript(args, result);
    t.is(result.code, 1, said);
    const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
    t.is(lines.length, 1, `exactly one line on stderr\n${said}`);
    t.true(lines[0]?.startsWith("skiff: error: --scale-to-zero-grace: "), `the line names --scale-to-zero-grace\n${said}`);
    t.regex(lines[0] ?? "", /"soon"/, `the line quotes the bad value\n${said}`);
    t.regex(lines[0] ?? "", /duration/, `the line says a duration is expected\n${said}`);
    t.is(result.stdout, "", `nothing on stdout\n${said}`);
    t.deepEqual(await fs.readdir(home), [], "the home stays empty: no engine.json, no engine.log, no database");
    const status = await cli(["engine", "status"]);
    t.is(status.code, 2, `no engine runs in that home\n${transcript(["engine", "status"], status)}`);
    t.is(status.stdout, "the engine is not running\n");
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
  // The test's own engine was never touched.
  t.is((await engine.request(hostOf(engine, "guarded"), "/")).status, 200);
});

// ---- idleness (concurrent with each other: both mostly wait) ----

test("an idle service scales to zero after the grace; the next request is held, served 200 by a new instance", async (t) => {
  await deploy(engine, "idler", ["--image", image]);
  const revision = await firstRevisionOf(engine, "idler");
  // Idleness is measured from when the last request was sent: the engine cannot have seen it end earlier.
  const lastRequestAt = Date.now();
  const warm = await engine.request(hostOf(engine, "idler"), "/", { timeoutMs: 60_000 });
  t.is(warm.status, 200, warm.body);
  const running = await revisionContainers(engine, revision);
  t.is(running.length, 1, `one instance serves the revision: ${JSON.stringify(running)}`);
  const first = running.find((c) => hostnameOf(c.id) === warm.headers["x-instance"]);
  t.truthy(first, `the container that answered (x-instance ${String(warm.headers["x-instance"])}) is the revision's one container`);

  await eventually("idler's containers are gone", async () => (await revisionContainers(engine, revision)).length === 0, 40_000, 200);
  const idleMs = Date.now() - lastRequestAt;
  t.true(idleMs >= GRACE_MS, `the last instance stays for at least the ${GRACE_MS} ms grace (it went after ${idleMs} ms)`);

  const atZero = await scalingOf("idler", revision);
  t.like(atZero, { readyInstances: 0, startingInstances: 0, inFlight: 0, queued: 0, desired: 0 }, JSON.stringify(atZero));
  t.is((await listRevisions(engine, "idler")).find((r) => r.name === revision)?.status, "READY", "a scaled-to-zero revision stays READY");

  t.deepEqual(await revisionContainers(engine, revision), [], "still no container right before the cold request");
  const cold = await engine.request(hostOf(engine, "idler"), "/", { timeoutMs: 60_000 });
  t.is(cold.status, 200, `the request from zero is held until an instance listens, not failed: ${cold.body}`);
  t.is(revisionFromBody(cold.body), revision);
  t.is(cold.headers["x-revision"], revision);
  const [second, ...more] = await revisionContainers(engine, revision);
  t.deepEqual(more, [], "one request from zero starts exactly one instance");
  t.truthy(second, "an instance runs after the cold request");
  t.not(second?.id, first?.id, "a new container was started");
  t.is(cold.headers["x-instance"], hostnameOf(second?.id ?? ""), "the new instance served the held request");
  t.not(cold.headers["x-instance"], warm.headers["x-instance"]);
  const after = await scalingOf("idler", revision);
  t.is(after.readyInstances, 1, JSON.stringify(after));
  // Last, so that a wrong reason does not hide the cold start above (a failed assertion ends the test).
  t.is(atZero.reason, "scale-to-zero", `at zero, describe says why the revision has no instance: ${JSON.stringify(atZero)}`);
});

test("a freshly deployed instance that took longer than the grace to start is kept for the grace after it is ready", async (t) => {
  // It listens only after 3 s, longer than the 2 s grace: the revision was never idle while it had an
  // instance, so a request half a grace after the deploy returned must find that instance warm.
  const sampler = sampleContainers(engine, { service: "slowstart" }, 100);
  const first = await deploy(engine, "slowstart", ["--image", image, "--env", "FIXTURE_LISTEN_DELAY_MS=3000"])
    .then(() => sleep(GRACE_MS / 2))
    .then(() => engine.request(hostOf(engine, "slowstart"), "/", { timeoutMs: 60_000 }))
    .finally(() => sampler.stop());
  const seen = await sampler.stop(); // stop() is idempotent: this is what the sampler saw
  t.is(first.status, 200, first.body);
  t.deepEqual(
    [...seen.ids].map(hostnameOf),
    [first.headers["x-instance"]],
    "no cold start right after the deploy: only the deployed container ever ran, and it answered",
  );
});

test("minInstanceCount 1 keeps the same instance through idleness longer than the grace, and it serves the next request", async (t) => {
  await deploy(engine, "keeper", ["--image", image, "--min-instances", "1"]);
  const revision = await firstRevisionOf(engine, "keeper");
  const [only, ...others] = await revisionContainers(engine, revision);
  t.deepEqual(others, [], "the deploy starts exactly one instance");
  const warm = await engine.request(hostOf(engine, "keeper"), "/");
  t.is(warm.headers["x-instance"], hostnameOf(only.id));

  // Idle for the grace plus a whole stable window plus margin, looking at the containers all along.
  const idleMs = GRACE_MS + STABLE_WINDOW_MS + 3_000;
  const seen: string[][] = [];
  const until = Date.now() + idleMs;
  while (Date.now() < until) {
    seen.push((await revisionContainers(engine, revision)).map((c) => `${c.id.slice(0, 12)} ${c.state}`));
    await sleep(250);
  }
  const expected = `${only.id.slice(0, 12)} running`;
  const off = seen.filter((s) => s.length !== 1 || s[0] !== expected);
  t.true(seen.length >= 10, `sampled the containers ${seen.length} times`);
  t.deepEqual(off, [], `every sample over ${idleMs} ms of idleness shows the one container, running`);

  const status = await scalingOf("keeper", revision);
  t.like(status, { readyInstances: 1, startingInstances: 0, desired: 1, reason: "min" }, JSON.stringify(status));

  const next = await engine.request(hostOf(engine, "keeper"), "/");
  t.is(next.status, 200, next.body);
  t.is(revisionFromBody(next.body), revision);
  t.is(next.headers["x-instance"], hostnameOf(only.id), "no cold start: the same instance serves the first request after idling");
  t.deepEqual(
    (await revisionContainers(engine, revision)).map((c) => c.id),
    [only.id],
  );
});
