import test from "ava";
import { promises as fs } from "node:fs";
import { run } from "../helpers/docker";
import { CLI_ENTRY, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { httpRequest } from "../helpers/http";
import { deploy, hostOf, listRevisions, listServices, revisionFromBody, transcript } from "../helpers/cli";

// What the engine refuses, it refuses without changing anything.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  await deploy(engine, "keeper", ["--image", image]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Everything a refused request could have changed: services, keeper's revisions, containers. */
async function observableState() {
  const services = (await listServices(engine)).map((s) => ({
    name: s.name,
    ready: s.latestReadyRevision,
    created: s.latestCreatedRevision,
    template: s.template,
  }));
  const revisions = (await listRevisions(engine, "keeper")).map((r) => `${r.name} ${r.status}`);
  const containers = (await engine.containers()).map((c) => c.id).sort();
  return { services, revisions, containers };
}

function admin(method: string, path: string, authorization: string | undefined, body?: unknown) {
  return httpRequest(engine.apiPort, `127.0.0.1:${engine.apiPort}`, path, {
    method,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Authorization headers that must not get in, given the real token. */
function badCredentials(token: string): [string, string | undefined][] {
  return [
    ["no Authorization header", undefined],
    ["a wrong bearer token", "Bearer not-the-token"],
    ["the token with one character changed", `Bearer ${token.slice(0, -1)}${token.endsWith("x") ? "y" : "x"}`],
    ["the right token with the wrong scheme", `Basic ${token}`],
    ["an empty bearer token", "Bearer "],
  ];
}

test.serial("the admin API answers 401 to a missing or wrong token and changes nothing", async (t) => {
  const before = await observableState();
  const spec = { template: { image } };
  for (const [what, authorization] of badCredentials(engine.token)) {
    const attempts = [
      await admin("PUT", "/v1/projects/default/services/intruder", authorization, spec),
      await admin("DELETE", "/v1/projects/default/services/keeper", authorization),
      await admin("PUT", "/v1/projects/default/services/keeper", authorization, { template: { image, env: { FIXTURE_X: "1" } } }),
      await admin("GET", "/v1/projects/default/services", authorization),
      await admin("POST", "/v1/engine/shutdown", authorization),
    ];
    for (const answer of attempts) {
      t.is(answer.status, 401, `${what}: ${answer.body}`);
      t.false(answer.body.includes("keeper"), `${what}: a 401 reveals no resource: ${answer.body}`);
    }
  }
  t.deepEqual(await observableState(), before, "no service created, deleted or changed; no container started or stopped");
  const describe = await engine.skiff(["services", "describe", "intruder"]);
  t.is(describe.code, 1, transcript(["services", "describe", "intruder"], describe));
  t.is(revisionFromBody((await engine.request(hostOf(engine, "keeper"), "/")).body), before.services[0]?.ready ?? "?");

  // The same request with the token does work: the 401s above were about the token, nothing else.
  const allowed = await admin("GET", "/v1/projects/default/services", `Bearer ${engine.token}`);
  t.is(allowed.status, 200, allowed.body);
});

/** Each bad input, the field its message must name, and the reason it must give. */
const BAD_INPUTS: { args: string[]; field: RegExp; reason: RegExp }[] = [
  { args: ["deploy", "Bad_Name", "--image", "IMAGE"], field: /name|Bad_Name/i, reason: /lowercase|DNS label/i },
  { args: ["deploy", "keeper", "--image", "IMAGE", "--memory", "lots"], field: /memory/i, reason: /quantity|512Mi/i },
  { args: ["deploy", "keeper", "--image", "IMAGE", "--concurrency", "0"], field: /concurrency/i, reason: /between 1 and 1000|at least 1/i },
  { args: ["deploy", "fresh", "--image", "IMAGE", "--concurrency", "0"], field: /concurrency/i, reason: /between 1 and 1000|at least 1/i },
  { args: ["deploy", "keeper", "--image", "IMAGE", "--timeout", "0"], field: /timeout/i, reason: /between 1 and 3600/i },
  { args: ["services", "describe", "nowhere"], field: /nowhere/, reason: /not found/i },
  { args: ["services", "delete", "nowhere"], field: /nowhere/, reason: /not found/i },
  { args: ["revisions", "describe", "nowhere-00001-abc"], field: /nowhere-00001-abc/, reason: /not found/i },
];

test.serial("bad input exits 1 with a message naming the field and the reason, and changes nothing", async (t) => {
  const before = await observableState();
  for (const bad of BAD_INPUTS) {
    const args = bad.args.map((a) => (a === "IMAGE" ? image : a));
    const result = await engine.skiff(args);
    const said = transcript(args, result);
    t.is(result.code, 1, said);
    t.regex(result.stderr, bad.field, `names the field\n${said}`);
    t.regex(result.stderr, bad.reason, `gives the reason\n${said}`);
  }
  t.deepEqual(await observableState(), before, "state is unchanged by refused commands");
});

test("a CLI whose home has no running engine exits 2 and says how to start it", async (t) => {
  const home = `${engine.home}-no-engine`;
  const args = [CLI_ENTRY, "services", "list"];
  const result = await run(process.execPath, args, { env: { ...process.env, SKIFF_HOME: home } }).finally(() =>
    fs.rm(home, { recursive: true, force: true }),
  );
  t.is(result.code, 2, `${result.stdout}${result.stderr}`);
  t.regex(result.stderr, /engine start/, "the message says how to start the engine");
});
