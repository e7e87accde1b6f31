import * as path from "node:path";
import test from "ava";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { describeService, listServices } from "../helpers/cli";
import { fixtureImage } from "../helpers/fixture-image";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, suffix, transcript } from "./pulumi";

// Resource options as a team uses them on its staging services. Resources named by default after
// their logical names, renamed in the program with `aliases` (Pulumi's way to say "the same
// resource"), must keep their names (the URLs), revisions and traffic: no replace, as pulumi-gcp's
// Cloud Run resources keep theirs. A replace under the same name, and replaceOnChanges (which a
// dynamic provider cannot honour), must each say what to do instead of failing or doing nothing
// without a word.

const stack = `opts-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  const [image, started] = await Promise.all([fixtureImage(), startEngine()]);
  engine = started;
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "resource-options"), engine.home);
  await project.initStack(stack, { image, "skiff:autostart": "false" });
  await project.up(stack);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial(
  "pulumi up --replace of a service that keeps its name fails saying to give it deleteBeforeReplace, which then replaces it",
  async (t) => {
    const urn = (await project.resources(stack)).find((r) => r.type.endsWith("skiff:Service"))?.urn ?? "";
    const before = await describeService(engine, "api", stack);
    const refused = await project.pulumi(stack, ["up", "--yes", "--replace", urn]);
    t.not(refused.code, 0, transcript("pulumi up --replace", refused));
    t.regex(refused.stdout, /service "api" already exists[^\n]*`deleteBeforeReplace: true`/);
    t.is((await describeService(engine, "api", stack)).latestReadyRevision, before.latestReadyRevision, "the running service is untouched");

    await project.ok(stack, ["config", "set", "apiOptions", JSON.stringify({ deleteBeforeReplace: true })]);
    const replaced = await project.pulumi(stack, ["up", "--yes", "--replace", urn]);
    t.is(replaced.code, 0, transcript("pulumi up --replace (deleteBeforeReplace)", replaced));
    t.not((await describeService(engine, "api", stack)).createTime, before.createTime);
    await project.ok(stack, ["config", "rm", "apiOptions"]);
  },
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

test.serial("replaceOnChanges, which Pulumi cannot honour for a dynamic resource, is named in a warning", async (t) => {
  await project.ok(stack, ["config", "set", "apiOptions", JSON.stringify({ replaceOnChanges: ["template"] })]);
  const preview = await project.ok(stack, ["preview"]);
  t.regex(preview.stdout, /replaceOnChanges \(template\) has no effect on skiff's resources/);
});
