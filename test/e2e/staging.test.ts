import test from "ava";
import { containersWithLabels, docker, run } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { describeService, listOf, listRevisions } from "../helpers/cli";
import { httpRequest } from "../helpers/http";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import {
  PulumiProject,
  changedLeaves,
  hostOfUrl,
  portOfUrl,
  revisionsServed,
  stepsFor,
  suffix,
  transcript,
  containersGone,
} from "./pulumi";

// One program, two stacks side by side on one engine: in-place updates, refresh and destroy per stack.

const id = suffix();
const alice = `stg-a-${id}`;
const bob = `stg-b-${id}`;
const altTag = `skiff-test/fixture:e2e-staging-${id}`;
let engine: TestEngine;
let image: string;
let project: PulumiProject;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.example("staging", engine.home);
  await project.initStack(alice, { image });
  await project.initStack(bob, { image });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => run("docker", ["rmi", altTag]).catch(() => undefined),
    () => engine?.dispose(),
  ),
);

/** GET /env of a fixture service: the container's environment as JSON. */
async function envOf(url: string): Promise<Record<string, string>> {
  const answer = await httpRequest(portOfUrl(url), hostOfUrl(url), "/env");
  if (answer.status !== 200) throw new Error(`GET ${url}/env answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as Record<string, string>;
}

test.serial("two stacks of one program serve side by side, each in a project named after it", async (t) => {
  await project.up(alice);
  await project.up(bob);
  const a = await project.outputs(alice);
  const b = await project.outputs(bob);
  t.is(a.project, alice);
  t.is(b.project, bob);
  t.is(a.apiUrl, `http://api.${alice}.localhost:${engine.ingressPort}`);
  t.is(b.apiUrl, `http://api.${bob}.localhost:${engine.ingressPort}`);
  t.is((await envOf(a.apiUrl)).GREETING, `Hello from the ${alice} api`);
  t.is((await envOf(b.apiUrl)).GREETING, `Hello from the ${bob} api`);
  t.is((await envOf(a.webUrl)).GREETING, `Hello from the ${alice} web`);
  t.is((await envOf(a.webUrl)).API_URL, a.apiUrl, "web's env holds api's URL");
});

test.serial("pulumi preview --expect-no-changes passes right after up, for both stacks", async (t) => {
  for (const stack of [alice, bob]) {
    const result = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
    t.is(result.code, 0, transcript(`pulumi preview --expect-no-changes --stack ${stack}`, result));
  }
});

test.serial("changing only maxInstanceCount is an update of that field alone", async (t) => {
  await project.ok(alice, ["config", "set", "maxInstances", "5"]);
  const steps = (await project.previewSteps(alice)).filter((s) => s.op !== "same");
  t.deepEqual(
    steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`),
    ["update api"],
  );
  const [update] = steps;
  t.deepEqual(changedLeaves(update.oldState?.inputs, update.newState?.inputs), ["template.scaling.maxInstanceCount"]);

  const diff = await project.ok(alice, ["preview", "--diff"]);
  t.regex(diff.stdout, /~ maxInstanceCount: 2 => 5/);

  await project.up(alice);
  t.is((await describeService(engine, "api", alice)).template.scaling.maxInstanceCount, 5);
  const again = await project.pulumi(alice, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("changing a service's image is an update that makes a new revision", async (t) => {
  await docker(["tag", image, altTag]);
  const before = await describeService(engine, "api", alice);
  const revisionsBefore = await listRevisions(engine, "api", alice);
  await project.ok(alice, ["config", "set", "image", altTag]);

  const steps = await project.previewSteps(alice);
  const [apiStep] = stepsFor(steps, "Service", "api");
  t.is(apiStep?.op, "update");
  t.deepEqual(changedLeaves(apiStep?.oldState?.inputs, apiStep?.newState?.inputs), ["template.image"]);

  await project.up(alice);
  const after = await describeService(engine, "api", alice);
  t.not(after.latestCreatedRevision, before.latestCreatedRevision);
  t.is(after.template.image, altTag);
  t.is((await listRevisions(engine, "api", alice)).length, revisionsBefore.length + 1);
  const a = await project.outputs(alice);
  const served = await revisionsServed(portOfUrl(a.apiUrl), hostOfUrl(a.apiUrl), 5);
  t.deepEqual([...served], [[after.latestReadyRevision, 5]]);
});

test.serial("a new image for api alone previews as an update of api; web, whose env holds api's URL, shows no change", async (t) => {
  const a = await project.outputs(alice);
  await project.ok(alice, ["config", "set", "apiImage", image]);
  const steps = await project.previewSteps(alice);
  t.deepEqual(
    stepsFor(steps, "Service", "web").filter((s) => s.op !== "same"),
    [],
    "no step for web other than same",
  );
  t.deepEqual(
    steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`),
    ["update api"],
  );
  const diff = await project.ok(alice, ["preview", "--diff"]);
  t.false(diff.stdout.includes("API_URL"), diff.stdout);
  // The review is about api alone: web, whose env holds api's URL, is not mentioned.
  const report = await project.review(alice);
  t.true(report.includes("### Service `api`"), report);
  t.false(report.includes("web"), report);
  t.deepEqual(
    JSON.parse(await project.review(alice, ["--format", "json"])).services.map((s: any) => s.name),
    ["api"],
  );

  await project.up(alice);
  t.is((await envOf(a.webUrl)).API_URL, a.apiUrl);
  const again = await project.pulumi(alice, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("a service deleted behind Pulumi's back is gone after refresh, and up recreates it", async (t) => {
  const deleted = await engine.skiff(["services", "delete", "web", "--project", alice]);
  t.is(deleted.code, 0, deleted.stderr);

  await project.ok(alice, ["refresh", "--yes"]);
  const names = (await project.resources(alice)).map((r) => r.urn.split("::").pop());
  t.deepEqual(names.sort(), ["api"]);

  const up = await project.up(alice);
  t.regex(up.stdout, /\+ 1 created/);
  const a = await project.outputs(alice);
  t.is((await envOf(a.webUrl)).GREETING, `Hello from the ${alice} web`);
});

test.serial("destroying one stack leaves nothing of it behind and the other stack serving", async (t) => {
  await project.ok(alice, ["destroy", "--yes"]);
  t.deepEqual(await project.resources(alice), []);
  t.deepEqual(listOf(await engine.skiffJson(["services", "list", "--project", alice]), "services"), []);
  t.deepEqual(listOf(await engine.skiffJson(["revisions", "list", "--project", alice]), "revisions"), []);
  await containersGone({ "skiff.project": alice });
  t.deepEqual(await containersWithLabels({ "skiff.project": alice }), []);
  t.deepEqual(stateRowsMentioning(engine.home, alice), []);

  const b = await project.outputs(bob);
  t.is((await envOf(b.apiUrl)).GREETING, `Hello from the ${bob} api`);
  t.is((await envOf(b.webUrl)).GREETING, `Hello from the ${bob} web`);
  const gone = await httpRequest(engine.ingressPort, `api.${alice}.localhost:${engine.ingressPort}`, "/");
  t.is(gone.status, 404);
});
