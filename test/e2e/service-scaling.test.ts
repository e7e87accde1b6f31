import * as path from "node:path";
import test from "ava";
import { containersWithLabels } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { describeService, listRevisions } from "../helpers/cli";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, containersGone, suffix } from "./pulumi";

// A cloudrunv2.Service with pulumi-gcp's service-level `scaling` block on the real Pulumi CLI: the
// minimum runs on the engine as the service's own (no revision's), a change of it is an in-place
// update that makes no new revision, the preview after each `up` is empty, and destroy leaves no
// container. The stack name is the engine project (skiff:project unset).

const stack = `svc-scale-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  const [image, started] = await Promise.all([fixtureImage(), startEngine()]);
  engine = started;
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "service-scaling"), engine.home);
  await project.initStack(stack, { image, min: "2" });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runningOf(revision: string): Promise<number> {
  const containers = await containersWithLabels({ "skiff.engine": engine.engineId, "skiff.revision": revision });
  return containers.filter((c) => c.state === "running").length;
}

async function settleTo(revision: string, want: number): Promise<number> {
  const until = Date.now() + 60_000;
  let seen = await runningOf(revision);
  while (seen !== want && Date.now() < until) {
    await sleep(250);
    seen = await runningOf(revision);
  }
  return seen;
}

test("scaling.minInstanceCount keeps that many instances, changes in place without a revision, and settles", async (t) => {
  await project.up(stack);
  let s = await describeService(engine, "web", stack);
  t.deepEqual(s.serviceScaling, { scalingMode: "AUTOMATIC", minInstanceCount: 2 });
  t.deepEqual(s.template.scaling, { minInstanceCount: 0, maxInstanceCount: 100 }, "the template's own scaling is untouched");
  const revision = s.latestReadyRevision!;
  t.is(await settleTo(revision, 2), 2, "2 instances for the service minimum");
  await project.ok(stack, ["preview", "--expect-no-changes"]);

  await project.ok(stack, ["config", "set", "min", "1"]);
  const preview = await project.ok(stack, ["preview", "--diff"]);
  t.regex(preview.stdout, /~ .*scaling|minInstanceCount/, "the preview names the scaling change");
  t.regex(preview.stdout, /1 to update/);
  // skiff review tells a reviewer the same change in the engine's terms: a service setting, with no new revision.
  const review = await engine.skiff(["review", "--cwd", project.dir, "--stack", stack, "--format", "json"], { env: project.env() });
  t.is(review.code, 0, review.stderr);
  const report = JSON.parse(review.stdout) as { services: { name: string; settings: unknown[]; revisions: unknown[] }[] };
  t.like(
    report.services.find((x) => x.name === "web"),
    {
      settings: [{ field: "service scaling", before: "automatic, min 2", after: "automatic, min 1" }],
      revisions: [],
    },
  );
  await project.up(stack);
  s = await describeService(engine, "web", stack);
  t.deepEqual(s.serviceScaling, { scalingMode: "AUTOMATIC", minInstanceCount: 1 });
  t.deepEqual(
    (await listRevisions(engine, "web", stack)).map((r) => r.name),
    [revision],
    "no new revision",
  );
  await project.ok(stack, ["preview", "--expect-no-changes"]);

  await project.ok(stack, ["destroy", "--yes"]);
  // A delete returns once the service is out of routing; its instances drain behind it (SIGTERM, up to 10 s).
  await containersGone({ "skiff.engine": engine.engineId });
  t.deepEqual(await containersWithLabels({ "skiff.engine": engine.engineId }), [], "destroy leaves no container");
});
