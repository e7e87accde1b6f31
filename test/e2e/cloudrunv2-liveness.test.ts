import * as path from "node:path";
import test from "ava";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, changedLeaves, suffix, transcript, type PreviewStep } from "./pulumi";

// A pulumi-gcp program's containers[].livenessProbe under the real CLI: `up` gives the engine the
// probe (it used to be warned about and dropped), a preview right after is empty, and a changed
// period previews as exactly that field and makes a new revision.

let engine: TestEngine;
let image: string;
let project: PulumiProject;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "cloudrunv2"), engine.home);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test("livenessProbe reaches the engine; a changed period previews as that field and makes a new revision", async (t) => {
  const stack = `live-${suffix()}`;
  await project.initStack(stack, { image, scenario: "liveness", livenessPeriod: "5" });
  const up = await project.up(stack);
  t.false(up.stdout.includes("livenessProbe"), `no warning names the probe:\n${up.stdout}`);
  const api = await engine.api();
  const service = await api.getService(stack, "web");
  t.deepEqual(service.template.livenessProbe, {
    httpGet: { path: "/healthz" },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 5,
    failureThreshold: 2,
  });
  const noChanges = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(noChanges.code, 0, transcript("pulumi preview --expect-no-changes", noChanges));

  await project.ok(stack, ["config", "set", "livenessPeriod", "6"]);
  const steps = JSON.parse((await project.ok(stack, ["preview", "--json"])).stdout).steps as PreviewStep[];
  const web = steps.find((s) => s.urn.endsWith("::pulumi-nodejs:dynamic/skiff/cloudrunv2:Service::web"));
  t.is(web?.op, "update");
  t.deepEqual(changedLeaves(web?.oldState?.inputs, web?.newState?.inputs), ["template.containers.0.livenessProbe.periodSeconds"]);
  await project.up(stack);
  const after = await api.getService(stack, "web");
  t.not(after.latestCreatedRevision, service.latestCreatedRevision, "a new revision");
  t.is(after.latestReadyRevision, after.latestCreatedRevision);
  t.is(after.template.livenessProbe?.periodSeconds, 6);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
  await project.ok(stack, ["destroy", "--yes", "--skip-preview"]);
});
