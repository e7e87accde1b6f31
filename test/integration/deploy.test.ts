import test from "ava";
import { inspectContainer } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, listOf, listRevisions, revisionFromBody, transcript } from "../helpers/cli";
import { stateRowsMentioning } from "../helpers/state";

// Deploy, redeploy and delete, seen from outside: a changed template makes a revision, an unchanged one
// does not, and a delete leaves no container or state row behind.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("a deployed fixture answers on its URL with its K_REVISION and saw the container contract", async (t) => {
  await deploy(engine, "hello", ["--image", image, "--env", "FIXTURE_GREETING=hi"]);
  const service = await describeService(engine, "hello");
  const revision = service.latestReadyRevision ?? "";
  t.regex(revision, /^hello-00001-[a-z]{3}$/, "the first revision is named <service>-00001-<abc>");

  const root = await engine.request(hostOf(engine, "hello"), "/");
  t.is(root.status, 200, root.body);
  t.is(revisionFromBody(root.body), revision);
  t.is(root.headers["x-revision"], revision);

  const env = JSON.parse((await engine.request(hostOf(engine, "hello"), "/env")).body) as Record<string, string>;
  t.is(env.PORT, "8080");
  t.is(env.K_SERVICE, "hello");
  t.is(env.K_REVISION, revision);
  t.is(env.K_CONFIGURATION, "hello");
  t.is(env.FIXTURE_GREETING, "hi");
});

test("each instance carries skiff's labels and publishes its port on 127.0.0.1 only", async (t) => {
  await deploy(engine, "labelled", ["--image", image]);
  const revision = (await describeService(engine, "labelled")).latestReadyRevision;
  const containers = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "labelled");
  t.is(containers.length, 1, JSON.stringify(containers));
  const [container] = containers;
  t.is(container.state, "running");
  t.like(container.labels, {
    "skiff.managed": "true",
    "skiff.engine": engine.engineId,
    "skiff.project": "default",
    "skiff.service": "labelled",
    "skiff.revision": revision,
  });

  const info = await inspectContainer(container.id);
  const requested = Object.values(info.HostConfig.PortBindings ?? {}).flatMap((b) => b ?? []);
  const actual = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []);
  t.true(requested.length > 0, "the container's port is published");
  t.true(actual.length > 0, "the container's port is bound on the host");
  for (const binding of [...requested, ...actual]) {
    t.is(binding.HostIp, "127.0.0.1", `binding ${JSON.stringify(binding)} must be loopback only`);
  }
});

test("a changed env makes revision 00002 which serves; the same template again makes none", async (t) => {
  await deploy(engine, "versions", ["--image", image, "--env", "FIXTURE_VERSION=1"]);
  const first = (await describeService(engine, "versions")).latestReadyRevision ?? "";
  t.regex(first, /^versions-00001-[a-z]{3}$/);

  await deploy(engine, "versions", ["--image", image, "--env", "FIXTURE_VERSION=2"]);
  const second = (await describeService(engine, "versions")).latestReadyRevision ?? "";
  t.regex(second, /^versions-00002-[a-z]{3}$/);
  const answer = await engine.request(hostOf(engine, "versions"), "/env");
  t.is(answer.status, 200, answer.body);
  t.like(JSON.parse(answer.body), { K_REVISION: second, FIXTURE_VERSION: "2" });

  // The same flags again, then only --image (gcloud keeps every value not given): no new revision.
  await deploy(engine, "versions", ["--image", image, "--env", "FIXTURE_VERSION=2"]);
  await deploy(engine, "versions", ["--image", image]);
  const after = await describeService(engine, "versions");
  t.is(after.latestCreatedRevision, second);
  t.is(after.latestReadyRevision, second);

  const revisions = await listRevisions(engine, "versions");
  t.deepEqual(revisions.map((r) => r.name).sort(), [first, second].sort());
  t.true(
    revisions.every((r) => r.status === "READY"),
    JSON.stringify(revisions.map((r) => [r.name, r.status])),
  );
  t.is(revisionFromBody((await engine.request(hostOf(engine, "versions"), "/")).body), second);
});

test("services delete leaves no container, no revision and no state row of the service", async (t) => {
  const name = "doomed-svc";
  await deploy(engine, name, ["--image", image]);
  await deploy(engine, name, ["--image", image, "--env", "FIXTURE_VERSION=2"]);
  const ours = async () => (await engine.containers()).filter((c) => c.labels["skiff.service"] === name);
  t.true((await ours()).length >= 1, "the service ran at least one container before the delete");

  const deleted = await engine.skiff(["services", "delete", name]);
  t.is(deleted.code, 0, transcript(["services", "delete", name], deleted));

  // The delete returns once the service is out of routing; its instances drain and stop behind it
  // (SIGTERM, then SIGKILL after 10 s), so every container is gone within the grace.
  const deadline = Date.now() + 12_000;
  while ((await ours()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  t.deepEqual(await ours(), [], "no container of the deleted service is left, running or stopped");
  const describe = await engine.skiff(["services", "describe", name]);
  t.is(describe.code, 1, transcript(["services", "describe", name], describe));
  t.regex(describe.stderr + describe.stdout, /not found/i);

  // As gcloud's label selector: the gone service's revisions are an empty list, not an error.
  const revisions = await engine.skiff(["revisions", "list", "--service", name, "--format", "json"]);
  t.is(revisions.code, 0, transcript(["revisions", "list", "--service", name], revisions));
  t.deepEqual(listOf(JSON.parse(revisions.stdout), "revisions"), []);

  const gone = await engine.request(hostOf(engine, name), "/");
  t.is(gone.status, 404, gone.body);
  t.deepEqual(stateRowsMentioning(engine.home, name), [], "state.db keeps no row that names the service");
});
