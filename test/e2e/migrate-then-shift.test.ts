import * as path from "node:path";
import test from "ava";
import { containersWithLabels, run } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { describeService, listOf } from "../helpers/cli";
import { httpRequest } from "../helpers/http";
import { listExecutions, listJobs } from "../helpers/jobs";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, hostOfUrl, portOfUrl, suffix, transcript, containersGone } from "./pulumi";

// The migrate-then-shift example with `pulumi` run in its folder: a migration job gates the
// traffic shift. A release whose migration fails fails the up and leaves the traffic where it was;
// fixing it runs the migration again and moves the traffic; destroy leaves nothing.

const stack = `migrate-${suffix()}`;
const FAILURE = "column users.email already exists";
let engine: TestEngine;
let image: string;
let project: PulumiProject;

/** The demo image the example's README builds: scripts/hello/server.js, which migrates when run as a job. */
async function demoImage(): Promise<string> {
  const result = await run(process.execPath, [path.join(REPO_ROOT, "scripts", "demo-image.js")], { timeoutMs: 180_000 });
  if (result.code !== 0) throw new Error(`scripts/demo-image.js exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

test.before(async () => {
  [image, engine] = await Promise.all([demoImage(), startEngine()]);
  project = await PulumiProject.example("migrate-then-shift", engine.home);
  await project.initStack(stack, { image });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

/** Which revision gets 100 % of web's traffic, as the engine has it. */
async function servingRevision(): Promise<string | undefined> {
  const service = await describeService(engine, "web", stack);
  const full = service.trafficStatuses.filter((s) => s.percent === 100);
  return full.length === 1 ? full[0].revision : `(no single revision at 100 %: ${JSON.stringify(service.trafficStatuses)})`;
}

async function bodyAt(url: string): Promise<string> {
  const answer = await httpRequest(portOfUrl(url), hostOfUrl(url), "/");
  return `${answer.status} ${answer.body}`;
}

/** The migrate job's executions, newest first. */
async function migrations() {
  return listExecutions(engine, ["--job", "migrate", "--project", stack]);
}

async function migrationLog(execution: string): Promise<string[]> {
  const result = await engine.skiff(["logs", "read", "migrate", "--execution", execution, "--project", stack]);
  if (result.code !== 0) throw new Error(`skiff logs read migrate failed: ${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/^\S+ /, ""));
}

let v1Revision: string;
let url: string;

test.serial("release v1: pulumi up runs the migration, then moves all traffic to web-next", async (t) => {
  await project.up(stack);
  const out = await project.outputs(stack);
  url = out.url;
  v1Revision = out.servingRevision;
  t.regex(v1Revision, /^web-\d{5}-[a-z]{3}$/);
  t.is(await servingRevision(), v1Revision);
  t.is(await bodyAt(url), `200 Hello from release v1! Served by revision ${v1Revision}.\n`);

  t.like(out.migration, { status: "SUCCEEDED", succeededCount: 1, failedCount: 0, retriedCount: 0 });
  t.regex(out.migration.name, /^migrate-[a-z]{5}$/);
  const executions = await migrations();
  t.deepEqual(
    executions.map((e) => `${e.name} ${e.status}`),
    [`${out.migration.name} SUCCEEDED`],
  );
  t.deepEqual(await migrationLog(out.migration.name), [
    `${out.migration.name} task 0 attempt 0 stdout: migrate: task 0 attempt 0: migrating the schema to v1`,
    `${out.migration.name} task 0 attempt 0 stdout: migrate: task 0 attempt 0: done`,
  ]);
});

test.serial(
  "release v2 with a failing migration: pulumi up fails naming the task and exit code 1, and the traffic stays on v1",
  async (t) => {
    await project.ok(stack, ["config", "set", "release", "v2"]);
    await project.ok(stack, ["config", "set", "migrationFail", FAILURE]);
    // The reviewer of this change is told that the migration runs first and gates the traffic.
    const report = await project.review(stack);
    t.true(
      report.includes(
        "- `migrate` executes before web's traffic moves (TrafficTarget `web` waits for it): its template changes; `pulumi up` waits for it and stops if it fails.",
      ),
      report,
    );
    t.true(
      report.includes("Note: TrafficTarget web waits for job migrate: web's traffic changes only after that execution succeeded."),
      report,
    );
    const jobs = JSON.parse(await project.review(stack, ["--format", "json"])).jobs;
    t.deepEqual(
      jobs.map((j: any) => [j.job, j.waits, j.waitedForBy]),
      [["migrate", true, [{ resource: "TrafficTarget web", what: "web's traffic moves" }]]],
    );
    t.deepEqual(
      jobs[0].changes.map((c: any) => c.field),
      ["env MIGRATION_FAIL", "env SCHEMA_VERSION"],
    );

    const up = await project.pulumi(stack, ["up", "--yes"]);
    t.not(up.code, 0, transcript("pulumi up", up));
    const output = up.stdout + up.stderr;
    t.regex(
      output,
      /job "migrate": execution migrate-[a-z]{5} failed: task 0 failed after 2 attempt\(s\): exited with code 1 \(exit code 1\)/,
      output,
    );
    t.true(output.includes(`migrate: task 0 attempt 1: ${FAILURE}`), `the failed attempt's last log line is shown:\n${output}`);

    const [failed, first] = await migrations();
    t.like(failed, {
      status: "FAILED",
      failedCount: 1,
      succeededCount: 0,
      retriedCount: 1,
      error: "task 0 failed after 2 attempts: exited with code 1",
    });
    t.like(first, { status: "SUCCEEDED" });
    t.is(await servingRevision(), v1Revision, "the traffic did not move");
    t.is(await bodyAt(url), `200 Hello from release v1! Served by revision ${v1Revision}.\n`);
  },
);

test.serial(
  "without migrationFail, pulumi up runs the migration again, it succeeds, and the traffic moves to the v2 revision",
  async (t) => {
    const before = (await migrations()).map((e) => e.name);
    await project.ok(stack, ["config", "rm", "migrationFail"]);
    await project.up(stack);
    const out = await project.outputs(stack);
    t.regex(out.servingRevision, /^web-\d{5}-[a-z]{3}$/);
    t.not(out.servingRevision, v1Revision);
    t.is(await servingRevision(), out.servingRevision);
    t.is(await bodyAt(url), `200 Hello from release v2! Served by revision ${out.servingRevision}.\n`);

    const executions = await migrations();
    t.is(executions.length, 3, executions.map((e) => `${e.name} ${e.status}`).join(", "));
    const latest = executions[0];
    t.false(before.includes(latest.name), "a new execution");
    t.like(latest, { status: "SUCCEEDED", succeededCount: 1, failedCount: 0, retriedCount: 0 });
    t.like(out.migration, { name: latest.name, status: "SUCCEEDED", succeededCount: 1 });
    t.deepEqual(await migrationLog(latest.name), [
      `${latest.name} task 0 attempt 0 stdout: migrate: task 0 attempt 0: migrating the schema to v2`,
      `${latest.name} task 0 attempt 0 stdout: migrate: task 0 attempt 0: done`,
    ]);
    const noChanges = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
    t.is(noChanges.code, 0, transcript("pulumi preview --expect-no-changes", noChanges));
  },
);

test.serial("pulumi destroy leaves no job, execution, container, service or state row of the stack", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  t.deepEqual(await project.resources(stack), []);
  t.deepEqual(await listJobs(engine, stack), []);
  t.deepEqual(await listExecutions(engine, ["--project", stack]), []);
  t.deepEqual(listOf(await engine.skiffJson(["services", "list", "--project", stack]), "services"), []);
  await containersGone({ "skiff.project": stack });
  t.deepEqual(await containersWithLabels({ "skiff.project": stack }), []);
  t.deepEqual(stateRowsMentioning(engine.home, stack), []);
});
