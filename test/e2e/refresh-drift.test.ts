import * as path from "node:path";
import test from "ava";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { describeService, skiffOk } from "../helpers/cli";
import { fixtureImage } from "../helpers/fixture-image";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, changedLeaves, stepsFor, suffix, transcript } from "./pulumi";

// A team changes its staging service, canary traffic and job with the skiff CLI behind Pulumi's
// back. `pulumi refresh` takes the change in; the next preview must name the fields `up` will undo
// (not an update with nothing shown), `up` must undo exactly that, and a refresh that finds nothing
// changed must record nothing.

const stack = `drift-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  const [image, started] = await Promise.all([fixtureImage(), startEngine()]);
  engine = started;
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "drift"), engine.home);
  await project.initStack(stack, { image });
  await project.up(stack);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

/** The non-`same` steps of a preview, each with the input leaves it changes. */
async function proposedChanges(): Promise<string[]> {
  const steps = (await project.previewSteps(stack)).filter((s) => s.op !== "same");
  return steps.map((s) => `${s.op} ${s.urn.split("::").pop()}: ${changedLeaves(s.oldState?.inputs, s.newState?.inputs).join(", ")}`).sort();
}

test.serial("a refresh with nothing changed outside records no change, and the preview after it is empty", async (t) => {
  const refresh = await project.pulumi(stack, ["refresh", "--yes", "--expect-no-changes"]);
  t.is(refresh.code, 0, transcript("pulumi refresh --expect-no-changes", refresh));
  const preview = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(preview.code, 0, transcript("pulumi preview --expect-no-changes", preview));
});

test.serial("env and labels changed with the CLI: after refresh the preview names them, and up undoes exactly them", async (t) => {
  await skiffOk(engine, ["services", "update", "api", "--project", stack, "--update-env-vars", "DEBUG=1", "--update-labels", "owner=ops"]);
  await skiffOk(engine, ["jobs", "update", "migrate", "--project", stack, "--update-env-vars", "STEP=2"]);
  await project.ok(stack, ["refresh", "--yes"]);

  // The TrafficTarget follows api's latest created revision, which the update will make anew.
  t.deepEqual(await proposedChanges(), [
    "update api: labels.owner, template.env.DEBUG",
    "update api: traffic.0.revision",
    "update migrate: template.env.STEP",
  ]);
  const diff = await project.ok(stack, ["preview", "--diff"]);
  t.regex(diff.stdout, /- DEBUG\s*: "1"/);
  t.regex(diff.stdout, /- owner\s*: "ops"/);
  t.regex(diff.stdout, /~ STEP\s*: "2" => "1"/);

  await project.up(stack);
  const api = await describeService(engine, "api", stack);
  t.deepEqual(api.template.env, { GREETING: "hello", MODE: "staging" });
  t.deepEqual(api.labels, { team: "core" });
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("traffic moved with the CLI: after refresh the preview shows the split coming back, and up restores it", async (t) => {
  const before = await describeService(engine, "api", stack);
  await skiffOk(engine, ["services", "update-traffic", "api", "--project", stack, "--to-latest"]);
  await project.ok(stack, ["refresh", "--yes"]);

  const [step] = stepsFor(await project.previewSteps(stack), "TrafficTarget", "api");
  t.is(step?.op, "update");
  t.true(changedLeaves(step?.oldState?.inputs, step?.newState?.inputs).some((leaf) => leaf.startsWith("traffic.")));

  await project.up(stack);
  t.deepEqual(
    (await describeService(engine, "api", stack)).trafficStatuses.map((s) => [s.revision, s.percent, s.tag ?? ""]),
    before.trafficStatuses.map((s) => [s.revision, s.percent, s.tag ?? ""]),
  );
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("a cloudrunv2.Service whose tag was removed with the CLI: after refresh the preview names traffics alone", async (t) => {
  await skiffOk(engine, ["services", "update-traffic", "web", "--project", stack, "--remove-tags", "live"]);
  const refresh = await project.ok(stack, ["refresh", "--yes", "--diff"]);
  // Nothing but the tag changed: the engine's defaults (port 8080, concurrency 80, ...) are no drift.
  t.notRegex(refresh.stdout, /containerPort|maxInstanceRequestConcurrency|minInstanceCount|INGRESS_TRAFFIC_ALL/);

  t.deepEqual(await proposedChanges(), ["update web: traffics.0.tag"]);
  await project.up(stack);
  t.deepEqual(
    (await describeService(engine, "web", stack)).trafficStatuses.map((s) => s.tag),
    ["live"],
  );
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("a cloudrunv2.Service whose env was changed with the CLI: after refresh the preview names that env alone", async (t) => {
  await skiffOk(engine, ["services", "update", "web", "--project", stack, "--update-env-vars", "DEBUG=1"]);
  await project.ok(stack, ["refresh", "--yes"]);
  t.deepEqual(await proposedChanges(), ["update web: template.containers.0.envs.1"]);
  const diff = await project.ok(stack, ["preview", "--diff"]);
  t.regex(diff.stdout, /- \[1\]: \{\s*- name\s*: "DEBUG"/);

  await project.up(stack);
  t.deepEqual((await describeService(engine, "web", stack)).template.env, { GREETING: "hello" });
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("a cloudrunv2.Job whose env was changed with the CLI: after refresh the preview names that env alone", async (t) => {
  await skiffOk(engine, ["jobs", "update", "seed", "--project", stack, "--update-env-vars", "STEP=2"]);
  const refresh = await project.ok(stack, ["refresh", "--yes", "--diff"]);
  t.notRegex(refresh.stdout, /taskCount|parallelism|timeout/);
  t.deepEqual(await proposedChanges(), ["update seed: template.template.containers.0.envs.0.value"]);

  await project.up(stack);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});
