import { promises as fs } from "node:fs";
import * as path from "node:path";
import test from "ava";
import { docker } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { describeService } from "../helpers/cli";
import { nodeBaseImage } from "../helpers/source-app";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, hostOfUrl, suffix, transcript } from "./pulumi";

// skiff.Image on the real Pulumi CLI: built from a directory, feeding a Service; diffed by content.

const stack = `img-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  let base: string;
  [base, engine] = await Promise.all([nodeBaseImage(), startEngine()]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "source-image"), engine.home);
  await project.initStack(stack, { base });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

const appFile = (name: string) => path.join(project.dir, "app", name);

test.serial("up builds the image and serves it; the service pins the image's id", async (t) => {
  await project.up(stack);
  const outputs = await project.outputs(stack);
  t.regex(outputs.ref, new RegExp(`^skiff\\.local/${stack}/web-image:[a-f0-9]{16}$`));
  t.regex(outputs.imageDigest, /^sha256:[a-f0-9]{64}$/);
  t.is((await engine.request(hostOfUrl(outputs.url), "/")).body, "v1");
  const service = await describeService(engine, "web", stack);
  t.is(service.template.image, outputs.ref);
  const labels = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", outputs.ref])) as Record<
    string,
    string
  >;
  t.like(labels, { "skiff.engine": engine.engineId, "skiff.project": stack, "skiff.image": "web-image" });
});

test.serial("no source change, or a change to an ignored file: preview --expect-no-changes passes", async (t) => {
  const same = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(same.code, 0, transcript("pulumi preview --expect-no-changes", same));
  await fs.writeFile(appFile("notes.txt"), "edited; .dockerignore leaves it out\n");
  const ignored = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(ignored.code, 0, transcript("pulumi preview --expect-no-changes after an ignored edit", ignored));
});

test.serial("an edit previews exactly one Image update and one new revision; up serves the new code", async (t) => {
  await fs.writeFile(
    appFile("server.js"),
    'require("node:http").createServer((req, res) => res.end("v2")).listen(Number(process.env.PORT || 8080));\n',
  );
  const steps = (await project.previewSteps(stack)).filter((s) => s.op !== "same");
  const summary = steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort();
  t.deepEqual(summary, ["update web", "update web-image"], JSON.stringify(steps, null, 1).slice(0, 3000));

  const before = await describeService(engine, "web", stack);
  await project.up(stack);
  const after = await describeService(engine, "web", stack);
  t.not(after.latestReadyRevision, before.latestReadyRevision, "one new revision");
  const outputs = await project.outputs(stack);
  t.is((await engine.request(hostOfUrl(outputs.url), "/")).body, "v2");
});

test.serial("destroy removes the service and the images built for the Image", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  const left = await docker([
    "image",
    "ls",
    "-q",
    "--filter",
    `label=skiff.engine=${engine.engineId}`,
    "--filter",
    "label=skiff.image=web-image",
  ]);
  t.is(left.trim(), "");
});
