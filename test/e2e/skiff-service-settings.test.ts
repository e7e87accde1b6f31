import * as path from "node:path";
import test from "ava";
import { containersWithLabels } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { describeService, hostOf, listRevisions } from "../helpers/cli";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, containersGone, suffix } from "./pulumi";

// skiff.Service's own settings on the real Pulumi CLI: a service-level minimum, then manual
// instances and the default URL off, each an in-place update with no new revision that `skiff
// review` names as a setting with its risks; previews after up and after refresh are empty, and
// destroy leaves no container.

const stack = `svc-settings-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  const [image, started] = await Promise.all([fixtureImage(), startEngine()]);
  engine = started;
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "skiff-service-settings"), engine.home);
  await project.initStack(stack, { image, min: "1" });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settleTo(revision: string, want: number): Promise<number> {
  const running = async () =>
    (await containersWithLabels({ "skiff.engine": engine.engineId, "skiff.revision": revision })).filter((c) => c.state === "running")
      .length;
  const until = Date.now() + 60_000;
  let seen = await running();
  while (seen !== want && Date.now() < until) {
    await sleep(250);
    seen = await running();
  }
  return seen;
}

test("a skiff.Service's scaling, default URL switch and description go up in place, review as settings, and stay quiet", async (t) => {
  await project.up(stack);
  let s = await describeService(engine, "web", stack);
  t.deepEqual(s.serviceScaling, { scalingMode: "AUTOMATIC", minInstanceCount: 1 });
  t.is(s.description, "the settings e2e's service");
  t.falsy(s.defaultUriDisabled);
  const revision = s.latestReadyRevision!;
  t.is(await settleTo(revision, 1), 1, "1 instance for the service minimum");
  t.is((await engine.request(hostOf(engine, "web", stack), "/")).status, 200);
  await project.ok(stack, ["preview", "--expect-no-changes"]);

  await project.ok(stack, ["config", "set", "manual", "2"]);
  await project.ok(stack, ["config", "set", "urlOff", "true"]);
  const review = await engine.skiff(["review", "--cwd", project.dir, "--stack", stack, "--format", "json"], { env: project.env() });
  t.is(review.code, 0, review.stderr);
  const report = JSON.parse(review.stdout) as {
    services: { name: string; settings: unknown[]; revisions: unknown[] }[];
    risks: { rule: string }[];
  };
  t.like(
    report.services.find((x) => x.name === "web"),
    {
      settings: [
        { field: "default URL", before: "enabled", after: "disabled" },
        { field: "service scaling", before: "automatic, min 1", after: "manual, 2 instances" },
      ],
      revisions: [],
    },
  );
  t.deepEqual(
    report.risks.map((r) => r.rule),
    ["default-url-disabled", "service-instances-capped"],
  );

  await project.up(stack);
  s = await describeService(engine, "web", stack);
  t.deepEqual(s.serviceScaling, { scalingMode: "MANUAL", manualInstanceCount: 2 });
  t.true(s.defaultUriDisabled);
  t.deepEqual(
    (await listRevisions(engine, "web", stack)).map((r) => r.name),
    [revision],
    "no new revision",
  );
  t.is(await settleTo(revision, 2), 2, "2 manual instances");
  t.is((await engine.request(hostOf(engine, "web", stack), "/")).status, 404, "its URL is off");
  await project.ok(stack, ["preview", "--expect-no-changes"]);
  await project.ok(stack, ["refresh", "--yes"]);
  await project.ok(stack, ["preview", "--expect-no-changes"]);

  await project.ok(stack, ["destroy", "--yes"]);
  await containersGone({ "skiff.engine": engine.engineId });
  t.deepEqual(await containersWithLabels({ "skiff.engine": engine.engineId }), [], "destroy leaves no container");
});
