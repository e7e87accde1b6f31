import * as path from "node:path";
import test from "ava";
import { docker, run } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { httpRequest } from "../helpers/http";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, changedLeaves, suffix, transcript, type PreviewStep } from "./pulumi";

// skiff.cloudrunv2 / skiff.cloudrun under the real CLI: fields without local meaning are one
// warning per resource and no error; invalid fields fail `pulumi preview` at the path as written;
// secret envs read secretmanager.Secret's versions kept by the engine; a changed image previews as
// exactly that field and makes a new revision.

let engine: TestEngine;
let image: string;
let project: PulumiProject;
const altTag = `skiff-test/fixture:e2e-cloudrunv2-${suffix()}`;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "cloudrunv2"), engine.home);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => run("docker", ["rmi", altTag]).catch(() => undefined),
    () => engine?.dispose(),
  ),
);

const stepOf = (steps: PreviewStep[], type: string, name: string) =>
  steps.find((s) => s.urn.endsWith(`::pulumi-nodejs:dynamic/skiff/${type}::${name}`));

test.serial("fields without local meaning are named in one warning per resource, each once, and are no error", async (t) => {
  const stack = `warn-${suffix()}`;
  const domain = `web-${suffix()}.example.test`;
  await project.initStack(stack, { image, scenario: "warnings", domain });
  const preview = await project.pulumi(stack, ["preview", "--json"]);
  t.is(preview.code, 0, transcript("pulumi preview --json", preview));
  // The engine's own record of what the program said: each warning is one diagnostic.
  const diagnostics = (JSON.parse(preview.stdout) as { diagnostics?: { severity: string; message: string }[] }).diagnostics ?? [];
  t.deepEqual(
    diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  const warnings = diagnostics.filter((d) => d.severity === "warning").map((d) => d.message.trim().replace(/^warning: /, ""));
  t.deepEqual(
    warnings.sort(),
    [
      'cloudrunv2.Service "web": accepted without local effect: location, project, deletionProtection, invokerIamDisabled, binaryAuthorization, template.vpcAccess, template.encryptionKey, template.executionEnvironment',
      'cloudrunv2.Job "batch": accepted without local effect: location',
      'cloudrun.DomainMapping "web": accepted without local effect: location, metadata.namespace',
      'cloudrunv2.ServiceIamMember "web-public": accepted without local effect: location',
    ].sort(),
  );

  await project.up(stack);
  const answer = await httpRequest(engine.ingressPort, `${domain}:${engine.ingressPort}`, "/");
  t.is(answer.status, 200, "the mapping routes to the service, public through its ServiceIamMember");
});

const mistakes: [string, RegExp][] = [
  ["percent", /property traffics\[0\]\.percent value .* has a problem: must be between 0 and 100/],
  ["containerPort", /property template\.containers\[0\]\.ports\.containerPort value .* has a problem: must be between 1 and 65535/],
  ["timeout", /property template\.timeout value .* has a problem: must be a duration in seconds such as "300s", got "soon"/],
  [
    "secret",
    /property template\.containers\[0\]\.envs\[0\]\.valueSource\.secretKeyRef\.secret value .* has a problem: must be a secret name/,
  ],
];

for (const [mistake, expected] of mistakes) {
  test.serial(`an invalid ${mistake} fails pulumi preview naming the path as written`, async (t) => {
    const stack = `bad-${mistake.toLowerCase()}-${suffix()}`;
    await project.initStack(stack, { image, scenario: "invalid", mistake });
    const preview = await project.pulumi(stack, ["preview"]);
    t.not(preview.code, 0, transcript("pulumi preview", preview));
    t.regex(preview.stdout + preview.stderr, expected);
    t.regex(preview.stdout + preview.stderr, /skiff\/cloudrunv2:Service resource 'web'/);
  });
}

test.serial(
  "secret envs read Secret Manager's secrets and stay secret; a changed image previews as exactly that field and makes a new revision",
  async (t) => {
    const stack = `life-${suffix()}`;
    await project.initStack(stack, { image, scenario: "lifecycle" });
    await project.ok(stack, ["config", "set", "--secret", "dbPassword", "s3cret-from-config"]);
    const up = await project.up(stack);
    t.false(up.stdout.includes("s3cret-from-config") || up.stdout.includes("pinned-key"), up.stdout);

    const api = await engine.api();
    const service = await api.getService(stack, "web");
    // Both members, created at once against one policy, are in it (the loser of the race read it again).
    t.deepEqual((await api.getPolicy(stack, "service", "web")).bindings, [
      { role: "roles/run.developer", members: ["user:dev@example.com"] },
      { role: "roles/run.invoker", members: ["allUsers"] },
    ]);
    const env = await httpRequest(engine.ingressPort, new URL(service.url).host, "/env");
    t.like(JSON.parse(env.body), { PLAIN: "visible", FROM_LATEST: "s3cret-from-config", FROM_PINNED: "pinned-key" });
    const exported = (await project.ok(stack, ["stack", "export"])).stdout;
    t.false(exported.includes("s3cret-from-config") || exported.includes("pinned-key"), "no secret value in the state in plain text");
    t.deepEqual(stateRowsMentioning(engine.home, "s3cret-from-config"), [], "nor in the engine's state.db");

    // The started execution was not waited for: it still runs (it sleeps a minute).
    const [started] = await api.listExecutions(stack, "starter");
    t.is(started?.status, "RUNNING");

    const noChanges = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
    t.is(noChanges.code, 0, transcript("pulumi preview --expect-no-changes", noChanges));

    await docker(["tag", image, altTag]);
    await project.ok(stack, ["config", "set", "image", altTag]);
    const steps = JSON.parse((await project.ok(stack, ["preview", "--json"])).stdout).steps as PreviewStep[];
    const web = stepOf(steps, "cloudrunv2:Service", "web");
    t.is(web?.op, "update");
    t.deepEqual(changedLeaves(web?.oldState?.inputs, web?.newState?.inputs), ["template.containers.0.image"]);
    // The job's task runs the same image: its update is that field, and it starts no execution
    // (startExecutionToken did not change).
    const starter = stepOf(steps, "cloudrunv2:Job", "starter");
    t.deepEqual(changedLeaves(starter?.oldState?.inputs, starter?.newState?.inputs), ["template.template.containers.0.image"]);
    const diff = await project.ok(stack, ["preview", "--diff"]);
    t.regex(diff.stdout, /~ pulumi-nodejs:dynamic\/skiff\/cloudrunv2:Service: \(update\)/);
    t.true(diff.stdout.includes(`image: "${image}" => "${altTag}"`), diff.stdout);

    await project.up(stack);
    const after = await api.getService(stack, "web");
    t.not(after.latestCreatedRevision, service.latestCreatedRevision);
    t.is(after.latestReadyRevision, after.latestCreatedRevision);
    t.is((await api.getRevision(stack, after.latestCreatedRevision!)).image, altTag);
    t.is((await api.listExecutions(stack, "starter")).length, 1);
    const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
    t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
  },
);
