import * as path from "node:path";
import test from "ava";
import type { Binding } from "../../provider/model/iam";
import { containersWithLabels } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually, httpRequest } from "../helpers/http";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, suffix, transcript, type PreviewStep } from "./pulumi";

// Who may call what, under the real CLI (test/e2e/programs/iam): skiff.Service's invokers and
// ingress, and pulumi-gcp's ServiceIamBinding, ServiceIamMember, ServiceIamPolicy and
// JobIamMember. Each sets the engine's policy, refresh reads back what changed behind Pulumi's
// back (a member taken away is gone, and the next up grants it again), a changed binding or
// invokers list updates in place, a destroyed ServiceIamPolicy leaves the policy empty, and
// destroy leaves nothing of the stack.

const stack = `iam-${suffix()}`;
const account = (name: string) => `serviceAccount:${name}@my-project.iam.gserviceaccount.com`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  let image: string;
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "iam"), engine.home);
  await project.initStack(stack, { image });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

async function policies(): Promise<Record<string, Binding[]>> {
  const api = await engine.api();
  const entries = await Promise.all(
    [
      ["open", "service"],
      ["inner", "service"],
      ["team", "service"],
      ["locked", "service"],
      ["batch", "job"],
    ].map(async ([name, kind]) => [name, (await api.getPolicy(stack, kind as "service" | "job", name)).bindings]),
  );
  return Object.fromEntries(entries) as Record<string, Binding[]>;
}

/** Status of GET / from the host, without a token. */
async function statusOf(service: string): Promise<number> {
  return (await httpRequest(engine.ingressPort, `${service}.${stack}.localhost:${engine.ingressPort}`, "/")).status;
}

/** The preview's operation on each resource that would change: `{ "team-invokers": "update" }`. */
async function plannedOps(): Promise<Record<string, string>> {
  const result = await project.ok(stack, ["preview", "--json"]);
  const steps = (JSON.parse(result.stdout) as { steps?: PreviewStep[] }).steps ?? [];
  return Object.fromEntries(
    steps.filter((s) => s.op !== "same" && s.urn.includes("dynamic/skiff")).map((s) => [s.urn.split("::").at(-1), s.op]),
  );
}

test.serial("pulumi up sets each policy as its resources say, and the ingress follows them", async (t) => {
  await project.up(stack);
  t.deepEqual(await policies(), {
    open: [{ role: "roles/run.invoker", members: ["allUsers"] }],
    inner: [{ role: "roles/run.invoker", members: [account("caller")] }],
    team: [
      { role: "roles/run.developer", members: ["user:cat@example.com"] },
      { role: "roles/run.invoker", members: ["user:ann@example.com", "user:bob@example.com"] },
    ],
    locked: [
      { role: "roles/run.invoker", members: ["allUsers"] },
      { role: "roles/run.viewer", members: ["group:ops@example.com"] },
    ],
    batch: [{ role: "roles/run.invoker", members: [account("scheduler")] }],
  });
  t.is(await statusOf("open"), 200);
  t.is(await statusOf("inner"), 404, "ingress internal: not from the host");
  t.is(await statusOf("team"), 401, "private: no allUsers");
  t.is(await statusOf("locked"), 200, "its policy grants allUsers");
  t.is((await (await engine.api()).getService(stack, "inner")).template.serviceAccount, "inner@my-project.iam.gserviceaccount.com");

  const quiet = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(quiet.code, 0, transcript("pulumi preview --expect-no-changes", quiet));
});

test.serial("refresh reads back what changed behind Pulumi's back, and the next up puts it right", async (t) => {
  const api = await engine.api();
  const team = await api.getPolicy(stack, "service", "team");
  // Someone drops bob from the binding and cat's developer role, and adds an invoker to inner.
  await api.setPolicy(stack, "service", "team", [{ role: "roles/run.invoker", members: ["user:ann@example.com"] }], team.etag);
  const inner = await api.getPolicy(stack, "service", "inner");
  await api.setPolicy(
    stack,
    "service",
    "inner",
    [{ role: "roles/run.invoker", members: [account("caller"), account("intruder")] }],
    inner.etag,
  );

  await project.ok(stack, ["refresh", "--yes"]);
  t.deepEqual(await plannedOps(), { "team-invokers": "update", "team-developer": "create", inner: "update" });
  await project.up(stack);
  const after = await policies();
  t.deepEqual(after.team, [
    { role: "roles/run.developer", members: ["user:cat@example.com"] },
    { role: "roles/run.invoker", members: ["user:ann@example.com", "user:bob@example.com"] },
  ]);
  t.deepEqual(after.inner, [{ role: "roles/run.invoker", members: [account("caller")] }]);
  const quiet = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(quiet.code, 0, transcript("pulumi preview --expect-no-changes", quiet));
});

test.serial("a new members list or invokers list updates in place; a destroyed ServiceIamPolicy leaves the policy empty", async (t) => {
  await project.ok(stack, ["config", "set", "stage", "2"]);
  t.deepEqual(await plannedOps(), { "team-invokers": "update", inner: "update", "locked-policy": "delete" });
  await project.up(stack);
  const after = await policies();
  t.deepEqual(after.team, [
    { role: "roles/run.developer", members: ["user:cat@example.com"] },
    { role: "roles/run.invoker", members: ["user:ann@example.com"] },
  ]);
  t.deepEqual(after.inner, [{ role: "roles/run.invoker", members: [account("caller"), account("other")] }]);
  // As pulumi-gcp leaves a Cloud Run service whose ServiceIamPolicy is destroyed: private to all.
  t.deepEqual(after.locked, []);
  t.is(await statusOf("locked"), 401);
  const quiet = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(quiet.code, 0, transcript("pulumi preview --expect-no-changes", quiet));
});

test.serial("pulumi destroy leaves no service, job, container, policy or state row of the stack", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  const api = await engine.api();
  t.deepEqual(await project.resources(stack), []);
  t.deepEqual(await api.listServices(stack), []);
  t.deepEqual(await api.listJobs(stack), []);
  await eventually("the stack's containers to be gone", async () => (await containersWithLabels({ "skiff.project": stack })).length === 0);
  t.deepEqual(stateRowsMentioning(engine.home, stack), []);
});
