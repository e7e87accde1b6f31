import test from "ava";
import { containersWithLabels, docker, run } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { listOf } from "../helpers/cli";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { provider as revisionProvider } from "../../sdk/providers/revision";
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

// The hello-canary example with `pulumi` run in its folder: the stable service, then the canary
// phase reviewed with `skiff review` before it runs (the table a reviewer reads, the canary's
// changes with its secret masked, the risk of sending everything at once), a 90/10 split with a tag
// URL, a canary replaced before the old one goes, and a destroy that leaves nothing.

const stack = `canary-${suffix()}`;
const altTag = `skiff-test/fixture:e2e-canary-${suffix()}`;
const API_KEY = `api-key-${suffix()}-do-not-print`;
let engine: TestEngine;
let image: string;
let project: PulumiProject;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.example("hello-canary", engine.home);
  await project.initStack(stack, { image });
  await project.ok(stack, ["config", "set", "--secret", "apiKey", API_KEY]);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => run("docker", ["rmi", altTag]).catch(() => undefined),
    () => engine?.dispose(),
  ),
);

let stableName: string;

test.serial("phase 1: pulumi up serves the stable revision alone", async (t) => {
  await project.up(stack);
  const out = await project.outputs(stack);
  stableName = out.stableRevision;
  t.regex(stableName, /^hello-00001-[a-z]{3}$/);
  t.is(out.canaryRevision, undefined);
  t.deepEqual([...(await revisionsServed(portOfUrl(out.url), hostOfUrl(out.url), 10))], [[stableName, 10]]);
});

test.serial(
  "phase 2 reviewed before it runs: the stable revision 100 % → 90 %, the new canary 0 % → 10 %, its one changed env key, its secret masked",
  async (t) => {
    await project.ok(stack, ["config", "set", "canaryPercent", "10"]);
    const report = await project.review(stack);
    const table = report.slice(report.indexOf("### Service `hello`")).split("\n").slice(2, 6);
    t.deepEqual(table, [
      "| Revision | Tags | Before | After |",
      "| --- | --- | ---: | ---: |",
      `| \`${stableName}\` |  | 100 % | 90 % |`,
      "| new revision (Revision `hello-canary`) **new** | `canary` | 0 % | 10 % |",
    ]);
    const changes = report.slice(report.indexOf("New revision from Revision `hello-canary`")).split("\n").slice(0, 3);
    t.deepEqual(changes, [
      `New revision from Revision \`hello-canary\`, against \`${stableName}\`:`,
      '- env `GREETING`: `"Hello from the stable revision"` → `"Hello from the canary"`',
      "- env `API_KEY`: `[secret]` → `[secret]` (a secret: the preview does not show whether it changes)",
    ]);
    const json = await project.review(stack, ["--format", "json"]);
    t.deepEqual(JSON.parse(json).risks, []);
    for (const text of [report, json]) t.false(text.includes(API_KEY), "the secret's value is never printed");
  },
);

test.serial("sending 100 % at once to the never-served canary is a risk line; a 5 % canary is not", async (t) => {
  await project.ok(stack, ["config", "set", "canaryPercent", "100"]);
  const atOnce = await project.review(stack);
  t.true(
    atOnce.includes(
      "- ⚠️ **new revision (Revision hello-canary) goes from 0 % to 100 % of hello's traffic at once**: it has never served: a problem in it reaches more than 50 % of users before anyone sees it; a canary (a few percent, with a tag) would show it first.",
    ),
    atOnce,
  );
  await project.ok(stack, ["config", "set", "canaryPercent", "5"]);
  const canary = await project.review(stack);
  t.true(canary.includes("| new revision (Revision `hello-canary`) **new** | `canary` | 0 % | 5 % |"), canary);
  t.false(canary.includes("Risks:"), canary);
  await project.ok(stack, ["config", "set", "canaryPercent", "10"]);
});

test.serial("phase 2: pulumi up splits 90/10 and exposes the canary on its tag URL", async (t) => {
  await project.up(stack);
  const out = await project.outputs(stack);
  t.regex(out.url, new RegExp(`^http://hello\\.${stack}\\.localhost:${engine.ingressPort}$`));
  t.regex(out.canaryUrl, new RegExp(`^http://canary---hello\\.${stack}\\.localhost:${engine.ingressPort}$`));
  t.is(out.stableRevision, stableName);
  t.regex(out.canaryRevision, /^hello-00002-[a-z]{3}$/);

  const served = await revisionsServed(portOfUrl(out.url), hostOfUrl(out.url), 400);
  const stable = served.get(out.stableRevision) ?? 0;
  const canary = served.get(out.canaryRevision) ?? 0;
  t.is(stable + canary, 400, `every request answered by one of the two revisions: ${JSON.stringify([...served])}`);
  // 10 % of 400 is 40; ±18 is three standard deviations of a fair coin with p = 0.1.
  t.true(canary >= 22 && canary <= 58, `canary served ${canary} of 400`);

  const tagged = await revisionsServed(portOfUrl(out.canaryUrl), hostOfUrl(out.canaryUrl), 20);
  t.deepEqual([...tagged], [[out.canaryRevision, 20]]);
});

test.serial("pulumi preview --expect-no-changes passes right after up, and after a refresh", async (t) => {
  const result = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(result.code, 0, transcript("pulumi preview --expect-no-changes", result));
  // read answers what the engine holds; it must read back as the same inputs (no drift from defaults).
  await project.ok(stack, ["refresh", "--yes"]);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes (after refresh)", again));
  const revision = (await project.resources(stack)).find((r) => r.type.endsWith(":Revision"));
  t.is(revision?.outputs.url, (await project.outputs(stack)).canaryUrl, "refresh picks up the canary's tag URL");
});

test.serial("deleting a revision that still has traffic fails, naming the traffic entry", async (t) => {
  // What `pulumi destroy` of a Revision still routed to would run: the provider's delete.
  revisionProvider.configure({ get: (key) => (key === "skiff:home" ? engine.home : undefined) });
  const out = await project.outputs(stack);
  const error = await t.throwsAsync(revisionProvider.delete(out.canaryRevision, { project: stack } as never));
  t.regex(error?.message ?? "", new RegExp(`deleting revision "${out.canaryRevision}".*traffic\\[1\\].*10%.*canary`));
});

test.serial("a new canary image replaces the Revision (image the changed field); the new one serves, the old one is gone", async (t) => {
  const before = await project.outputs(stack);
  await docker(["tag", image, altTag]);
  await project.ok(stack, ["config", "set", "canaryImage", altTag]);

  const steps = await project.previewSteps(stack);
  const revisionSteps = stepsFor(steps, "Revision", "hello-canary");
  t.true(
    revisionSteps.some((s) => s.op === "replace" || s.op === "create-replacement"),
    JSON.stringify(revisionSteps.map((s) => s.op)),
  );
  const replace = revisionSteps.find((s) => s.replaceReasons?.length);
  t.deepEqual(replace?.replaceReasons, ["template"]);
  t.deepEqual(changedLeaves(replace?.oldState?.inputs, replace?.newState?.inputs), ["template.image"]);
  t.deepEqual(
    stepsFor(steps, "Service", "hello")
      .filter((s) => s.op !== "same")
      .map((s) => s.op),
    [],
    "the Service is untouched",
  );

  const diff = await project.ok(stack, ["preview", "--diff"]);
  t.regex(diff.stdout, /\+-pulumi-nodejs:dynamic\/skiff:Revision: \(replace\)/);
  t.true(diff.stdout.includes(`image                        : "${image}" => "${altTag}"`), diff.stdout);

  await project.up(stack);
  const after = await project.outputs(stack);
  t.not(after.canaryRevision, before.canaryRevision);
  t.is(after.stableRevision, before.stableRevision);
  const tagged = await revisionsServed(portOfUrl(after.canaryUrl), hostOfUrl(after.canaryUrl), 10);
  t.deepEqual([...tagged], [[after.canaryRevision, 10]]);

  const gone = await engine.skiff(["revisions", "describe", before.canaryRevision, "--project", stack]);
  t.is(gone.code, 1, `the old revision should be gone: ${gone.stdout}${gone.stderr}`);
  await containersGone({ "skiff.revision": before.canaryRevision });
  t.deepEqual(await containersWithLabels({ "skiff.revision": before.canaryRevision }), []);
  const noChanges = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(noChanges.code, 0, transcript("pulumi preview --expect-no-changes", noChanges));
});

test.serial("pulumi destroy leaves no container, revision or state row of the stack", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  t.deepEqual(await project.resources(stack), []);
  t.deepEqual(listOf(await engine.skiffJson(["services", "list", "--project", stack]), "services"), []);
  t.deepEqual(listOf(await engine.skiffJson(["revisions", "list", "--project", stack]), "revisions"), []);
  await containersGone({ "skiff.project": stack });
  t.deepEqual(await containersWithLabels({ "skiff.project": stack }), []);
  t.deepEqual(stateRowsMentioning(engine.home, stack), []);
});
