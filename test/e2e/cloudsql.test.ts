import { randomBytes } from "node:crypto";
import * as path from "node:path";
import test from "ava";
import { cloudSqlAppImage } from "../helpers/cloudsql-app";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { httpRequest } from "../helpers/http";
import { startPostgres, type Postgres } from "../helpers/postgres";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, hostOfUrl, portOfUrl, suffix, transcript } from "./pulumi";

// The Cloud SQL path through a pulumi-gcp-shaped program under the real Pulumi CLI: a
// secretmanager.Secret holds the database password (a Pulumi secret, never plain in the state),
// a cloudrunv2.Service with `volumes: [{ name: "cloudsql", cloudSqlInstance: { instances } }]`
// writes a row to a real PostgreSQL mapped to proj:europe-west1:db, and a cloudrunv2.Job with a
// runExecutionToken reads it back before `pulumi up` ends. A preview right after up is empty.

const stack = `sql-${suffix()}`;
const note = `note-${randomBytes(4).toString("hex")}`;
let engine: TestEngine;
let postgres: Postgres;
let project: PulumiProject;

test.before(async () => {
  let image: string;
  [image, engine, postgres] = await Promise.all([cloudSqlAppImage(), startEngine(), startPostgres()]);
  const mapped = await engine.skiff(["cloudsql", "map", "proj:europe-west1:db", "--to", postgres.socket]);
  if (mapped.code !== 0) throw new Error(mapped.stderr);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "cloudsql"), engine.home);
  await project.initStack(stack, { image });
  await project.ok(stack, ["config", "set", "--secret", "dbPassword", postgres.password]);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
    () => postgres?.stop(),
  ),
);

test.serial("the service writes through its cloudsql volume, with the password from the secret store", async (t) => {
  await project.up(stack);
  const { uri } = await project.outputs(stack);
  const written = await httpRequest(portOfUrl(uri), hostOfUrl(uri), `/notes?text=${note}`, { method: "POST" });
  t.is(written.status, 200, written.body);
  t.is((await postgres.query("SELECT text FROM notes")).trim(), note);
  const exported = (await project.ok(stack, ["stack", "export"])).stdout;
  t.false(exported.includes(postgres.password), "the password is not in the state in plain text");
  t.deepEqual(stateRowsMentioning(engine.home, postgres.password), [], "nor in state.db");
});

test.serial("a job with a runExecutionToken reads the row back before up ends; a preview after is empty", async (t) => {
  await project.ok(stack, ["config", "set", "expectNote", note]);
  const up = await project.pulumi(stack, ["up", "--yes"]);
  t.is(up.code, 0, transcript("pulumi up", up));
  const [execution] = await (await engine.api()).listExecutions(stack, "reader");
  t.is(execution?.status, "SUCCEEDED");
  t.regex((await engine.skiff(["logs", "read", "reader", "--project", stack])).stdout, new RegExp(`found ${note}`));
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("destroy leaves no secret, service or job of the stack", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  const api = await engine.api();
  t.deepEqual(await api.listSecrets(stack), []);
  t.deepEqual(await api.listServices(stack), []);
  t.deepEqual(await api.listJobs(stack), []);
  t.deepEqual(stateRowsMentioning(engine.home, stack), []);
});
