import test from "ava";
import type { ExecutionContext } from "ava";
import { docker } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import { deploy, hostOf, listServices, revisionFromBody } from "../helpers/cli";

// The daemon can die or stop at any time; its services and containers cannot.
// Serial: every test here stops the one engine of this file.

let engine: TestEngine;
let image: string;

/** The services this file deploys, by project; each must answer the same before and after. */
const SERVICES = [
  { name: "alpha", project: "default" },
  { name: "beta", project: "default" },
  { name: "gamma", project: "staging" },
];

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  for (const { name, project } of SERVICES) {
    await deploy(engine, name, ["--image", image, "--project", project, "--env", `FIXTURE_NAME=${name}`]);
  }
});

test.after.always(async () => {
  await engine?.dispose();
});

/** What a user sees of the engine: services as listed, containers as docker lists them, answers. */
async function snapshot() {
  const services = [];
  for (const project of ["default", "staging"]) {
    for (const s of await listServices(engine, project)) {
      services.push({
        project,
        name: s.name,
        url: s.url,
        latestReadyRevision: s.latestReadyRevision,
        latestCreatedRevision: s.latestCreatedRevision,
        traffic: s.traffic,
      });
    }
  }
  const containers = (await engine.containers()).map((c) => ({ id: c.id, state: c.state, revision: c.labels["skiff.revision"] }));
  containers.sort((a, b) => a.id.localeCompare(b.id));
  return { services, containers };
}

async function answers(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { name, project } of SERVICES) {
    const answer = await engine.request(hostOf(engine, name, project), "/");
    out[`${project}/${name}`] = `${answer.status} ${revisionFromBody(answer.body)}`;
  }
  return out;
}

async function assertNothingLostOrDuplicated(
  t: ExecutionContext,
  before: Awaited<ReturnType<typeof snapshot>>,
  beforeAnswers: Record<string, string>,
) {
  t.deepEqual(await answers(), beforeAnswers, "every service answers from the same revision");
  const after = await snapshot();
  t.deepEqual(after.services, before.services, "services list is unchanged");
  t.deepEqual(after.containers, before.containers, "the same containers, none duplicated, none left behind");
}

test.serial("kill -9 of the daemon, then engine start: services answer, nothing lost or duplicated", async (t) => {
  const before = await snapshot();
  const beforeAnswers = await answers();
  t.is(before.services.length, SERVICES.length);
  t.is(before.containers.length, SERVICES.length, "one instance per serving revision");
  t.true(
    Object.values(beforeAnswers).every((a) => a.startsWith("200 ")),
    JSON.stringify(beforeAnswers),
  );
  const engineId = engine.engineId;

  await engine.killDaemon();
  const orphaned = await engine.containers();
  t.true(
    orphaned.every((c) => c.state === "running"),
    "instances outlive the daemon",
  );

  await engine.start(engine.samePortFlags());
  t.is(engine.engineId, engineId, "the engine keeps its id across restarts, so it can re-adopt its containers");
  await assertNothingLostOrDuplicated(t, before, beforeAnswers);
});

test.serial("engine stop, then engine start: services answer, nothing lost or duplicated", async (t) => {
  const before = await snapshot();
  const beforeAnswers = await answers();
  const stopped = await engine.stop();
  t.is(stopped.code, 0, stopped.stderr);
  const status = await engine.skiff(["engine", "status"]);
  t.not(status.code, 0, `engine status after stop: ${status.stdout}${status.stderr}`);

  await engine.start(engine.samePortFlags());
  await assertNothingLostOrDuplicated(t, before, beforeAnswers);
});

test.serial("on start the engine removes a stray container labelled as its own", async (t) => {
  const before = await snapshot();
  await engine.killDaemon();
  // What a crash between "container created" and "state committed" would leave behind.
  const stray = (
    await docker([
      "run",
      "-d",
      "--label",
      "skiff.managed=true",
      "--label",
      `skiff.engine=${engine.engineId}`,
      "--label",
      "skiff.project=default",
      "--label",
      "skiff.service=alpha",
      "--label",
      "skiff.revision=alpha-00009-zzz",
      "-p",
      "127.0.0.1::8080",
      image,
    ])
  ).trim();

  await engine.start(engine.samePortFlags());
  await eventually("the stray container is removed", async () => !(await engine.containers()).some((c) => c.id === stray), 30_000);
  t.deepEqual((await snapshot()).containers, before.containers);
});
