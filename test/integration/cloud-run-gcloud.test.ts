import test from "ava";
import { hostOf, skiffOk } from "../helpers/cli";
import type { CommandResult } from "../helpers/docker";
import type { TestEngine } from "../helpers/engine";
import { gcloud as gcloudAt, gcloudOk, disposeGcloudBed, startGcloudBed } from "../helpers/gcloud";

// Google's own gcloud drives skiff with its `run` commands, set up as README says: the endpoint
// override for Cloud Run, and the engine's admin port as gcloud's HTTP proxy, because gcloud puts
// the region in front of the endpoint's host (us-central1-localhost), a name nothing resolves.
// Its token is the engine's, from a file. Everything it makes is what skiff's CLI sees.

let engine: TestEngine;
let image: string;
let config: string;
const R = ["--region", "europe-west1"];

test.before(async () => {
  ({ engine, image, config } = await startGcloudBed());
});

test.after.always(() => disposeGcloudBed(engine, config));

/** gcloud against this file's engine, with its own config folder. */
function gcloud(args: string[]): Promise<CommandResult> {
  return gcloudAt(engine, config, args);
}

function ok(args: string[]): Promise<string> {
  return gcloudOk(engine, config, args);
}

test.serial(
  "gcloud run deploy, services update, update-traffic 50/50 (measured through the ingress), services list with and without a region, revisions list, add-iam-policy-binding and delete; skiff sees each change",
  async (t) => {
    await ok(["run", "deploy", "gc-hello", "--image", image, ...R, "--set-env-vars", "GREETING=hi", "--allow-unauthenticated"]);
    const host = hostOf(engine, "gc-hello");
    const first = await engine.request(host, "/");
    t.is(first.status, 200, "public, as --allow-unauthenticated asked");
    const described = await engine.skiffJson<any>(["services", "describe", "gc-hello"]);
    const firstRevision = described.status.latestReadyRevisionName as string;
    t.is(first.headers["x-revision"], firstRevision);
    t.deepEqual(described.spec.template.spec.containers[0].env, [{ name: "GREETING", value: "hi" }]);

    await ok(["run", "services", "update", "gc-hello", ...R, "--update-env-vars", "ADDED=two"]);
    const env = JSON.parse((await engine.request(host, "/env")).body) as Record<string, string>;
    t.like(env, { GREETING: "hi", ADDED: "two" });
    const revisions = (await ok(["run", "revisions", "list", "--service", "gc-hello", ...R, "--format", "value(metadata.name)"]))
      .trim()
      .split("\n");
    t.is(revisions.length, 2);
    t.is(revisions[1], firstRevision, "newest first");
    const secondRevision = revisions[0];

    await ok(["run", "services", "update-traffic", "gc-hello", ...R, "--to-revisions", `${firstRevision}=50,${secondRevision}=50`]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const answer = await engine.request(host, "/");
      const key = answer.status === 200 ? String(answer.headers["x-revision"]) : `status ${answer.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    t.deepEqual(counts, { [firstRevision]: 100, [secondRevision]: 100 }, "the router's split is exact over whole periods");

    for (const where of [R, []]) {
      const listed = await ok(["run", "services", "list", ...where, "--format", "value(metadata.name)"]);
      t.deepEqual(listed.trim().split("\n"), ["gc-hello"], `services list ${where.join(" ") || "(project-wide)"}`);
    }
    const policy = await ok([
      "run",
      "services",
      "add-iam-policy-binding",
      "gc-hello",
      ...R,
      "--member",
      "user:dev@example.com",
      "--role",
      "roles/run.invoker",
      "--format",
      "json",
    ]);
    const members = (JSON.parse(policy).bindings as { members: string[] }[]).flatMap((b) => b.members).sort();
    t.deepEqual(members, ["allUsers", "user:dev@example.com"]);
    const skiffPolicy = await engine.skiff(["services", "get-iam-policy", "gc-hello"]);
    t.regex(skiffPolicy.stdout, /user:dev@example\.com/, "the CLI reads the policy gcloud wrote");

    await ok(["run", "services", "delete", "gc-hello", ...R, "--quiet"]);
    t.is((await engine.skiff(["services", "describe", "gc-hello"])).code, 1, "gone for the CLI too");
  },
);

test.serial("gcloud run jobs create and execute --wait: an execution of 2 tasks that the CLI sees succeeded; jobs delete", async (t) => {
  await ok([
    "run",
    "jobs",
    "create",
    "gc-job",
    "--image",
    image,
    ...R,
    "--tasks",
    "2",
    "--max-retries",
    "0",
    "--set-env-vars",
    "FIXTURE_MODE=task",
  ]);
  const executed = await gcloud(["run", "jobs", "execute", "gc-job", ...R, "--wait"]);
  t.is(executed.code, 0, executed.stderr);
  const name = /Execution \[(?:\S*?)(gc-job-[a-z0-9]+)(?:\S*?)\] has successfully completed/.exec(executed.stderr)?.[1];
  t.truthy(name, executed.stderr);
  const execution = await engine.skiffJson<any>(["executions", "describe", name!]);
  t.like(execution.status, { succeededCount: 2, failedCount: 0 });
  const listed = await ok(["run", "jobs", "executions", "list", "--job", "gc-job", ...R, "--format", "value(metadata.name)"]);
  t.deepEqual(listed.trim().split("\n"), [name]);
  await ok(["run", "jobs", "delete", "gc-job", ...R, "--quiet"]);
  t.is((await engine.skiff(["jobs", "describe", "gc-job"])).code, 1);
});

test.serial(
  "gcloud and skiff print the same --format output for the same service: value, csv, table, get, flattened, json and yaml, with their keys, attributes and transforms",
  async (t) => {
    await skiffOk(engine, ["deploy", "gc-formats", "--image", image, "--labels", "team=a,env=prod", "--tag", "green"]);
    const formats = [
      "value(status.url)",
      "value(metadata.labels, status.traffic[0].latestRevision, status.conditions[-1].type, nothing.here)",
      "value(metadata.annotations.'run.googleapis.com/ingress', status.traffic[].percent, status.traffic.tag)",
      "csv(metadata.name,status.latestReadyRevisionName)",
      "table(metadata.name, status.traffic[0].percent:label=PCT, spec.template.spec.containers[0].ports)",
      "get(status.url.basename())",
      "flattened",
      "json(metadata.name,status.url)",
      "yaml",
    ];
    for (const format of formats) {
      const theirs = await ok(["run", "services", "describe", "gc-formats", ...R, "--format", format]);
      const ours = (await skiffOk(engine, ["services", "describe", "gc-formats", "--format", format])).stdout;
      t.is(ours, theirs, `--format ${format}`);
    }
    await skiffOk(engine, ["services", "delete", "gc-formats"]);
  },
);

test.serial(
  "gcloud run deploy of a new service without --[no-]allow-unauthenticated works: the permissions it asks of the service before it exists are answered",
  async (t) => {
    // gcloud asks testIamPermissions of the new service (to know whether it may offer to make it
    // public) before creating it; a 404 there ended the deploy.
    const result = await gcloud(["run", "deploy", "gc-plain", "--image", image, ...R]);
    t.is(result.code, 0, `${result.stderr}\n${engine.logTail(20)}`);
    const described = await engine.skiffJson<any>(["services", "describe", "gc-plain"]);
    t.truthy(described.status.latestReadyRevisionName);
    await ok(["run", "services", "delete", "gc-plain", ...R, "--quiet"]);
  },
);
