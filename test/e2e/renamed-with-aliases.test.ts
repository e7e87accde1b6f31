import * as path from "node:path";
import test from "ava";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { describeService, listServices } from "../helpers/cli";
import { fixtureImage } from "../helpers/fixture-image";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, suffix, transcript } from "./pulumi";

// Resources named by default after their logical names, renamed in the program with `aliases`:
// Pulumi's way to say "the same resource". The services and the job must keep their names (the
// URLs), revisions and traffic: no replace, as pulumi-gcp's Cloud Run resources keep theirs.

const stack = `alias-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  const [image, started] = await Promise.all([fixtureImage(), startEngine()]);
  engine = started;
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "renamed"), engine.home);
  await project.initStack(stack, { image, "skiff:autostart": "false" });
  await project.up(stack);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial("a logical rename with aliases changes nothing that runs, and the next preview is empty", async (t) => {
  const outputs = await project.outputs(stack);
  const api = await describeService(engine, "api", stack);
  const web = await describeService(engine, "web", stack);
  await project.ok(stack, ["config", "set", "renamed", "true"]);

  const steps = (await project.previewSteps(stack)).filter((s) => s.op !== "same");
  t.deepEqual(
    steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`),
    [],
    "no create, replace or delete",
  );
  const up = await project.pulumi(stack, ["up", "--yes"]);
  t.is(up.code, 0, transcript("pulumi up (renamed)", up));

  t.deepEqual(await project.outputs(stack), outputs);
  t.deepEqual((await listServices(engine, stack)).map((s) => s.name).sort(), ["api", "web"]);
  t.deepEqual(
    (await (await engine.api()).listJobs(stack)).map((j) => j.name),
    ["seed"],
  );
  t.is((await describeService(engine, "api", stack)).latestReadyRevision, api.latestReadyRevision);
  t.is((await describeService(engine, "web", stack)).latestReadyRevision, web.latestReadyRevision);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});
