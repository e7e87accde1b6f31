import * as path from "node:path";
import test from "ava";
import { containersWithLabels } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { describeService, listOf } from "../helpers/cli";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, suffix, transcript, containersGone } from "./pulumi";

// A service whose revision fails: `pulumi up` fails with the engine's reason, yet the service the
// engine made is recorded in the state (not leaked), so a fixed program updates it and destroy removes it.

const stack = `crash-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "failing"), engine.home);
  await project.initStack(stack, { image });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial("a failed revision fails the up with its reason, and the service stays in the state", async (t) => {
  const up = await project.pulumi(stack, ["up", "--yes"]);
  t.not(up.code, 0, transcript("pulumi up", up));
  t.regex(up.stdout + up.stderr, /revision crashy-00001-[a-z]{3} of service "crashy" failed/);
  t.regex(up.stdout + up.stderr, /exiting on purpose/, "the error carries the tail of the revision's logs");
  t.deepEqual(
    (await project.resources(stack)).map((r) => r.id),
    ["crashy"],
  );
});

test.serial("fixing the program updates the service in place; destroy leaves nothing", async (t) => {
  await project.ok(stack, ["config", "set", "mode", "serve"]);
  await project.up(stack);
  const service = await describeService(engine, "crashy", stack);
  t.regex(service.latestReadyRevision ?? "", /^crashy-00002-[a-z]{3}$/);
  await project.ok(stack, ["destroy", "--yes"]);
  t.deepEqual(listOf(await engine.skiffJson(["services", "list", "--project", stack]), "services"), []);
  await containersGone({ "skiff.project": stack });
  t.deepEqual(await containersWithLabels({ "skiff.project": stack }), []);
});
