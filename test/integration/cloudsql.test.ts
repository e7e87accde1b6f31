import { randomBytes } from "node:crypto";
import test from "ava";
import { deploy, hostOf, skiffOk, transcript } from "../helpers/cli";
import { cloudSqlAppImage } from "../helpers/cloudsql-app";
import { TestEngine, startEngine } from "../helpers/engine";
import { startPostgres, type Postgres } from "../helpers/postgres";
import { tearDown } from "../helpers/teardown";

// A Cloud SQL volume on a real PostgreSQL (Debian's package; started by this file on a unix socket
// and removed after it): the server is mapped to proj:europe-west1:db; a service mounting the
// cloudsql volume connects with the `pg` client to /cloudsql/proj:europe-west1:db, with its
// password from the local Secret Manager, and writes a row; a job's task reads it back.

const INSTANCE = "proj:europe-west1:db";
const note = `note-${randomBytes(4).toString("hex")}`;
let engine: TestEngine;
let image: string;
let postgres: Postgres;

const cloudsql = [
  "--set-env-vars",
  `INSTANCE_CONNECTION_NAME=${INSTANCE}`,
  "--set-secrets",
  "DB_PASSWORD=db-pass:latest",
  "--add-volume",
  `name=cloudsql,type=cloudsql,instances=${INSTANCE}`,
  "--add-volume-mount",
  "volume=cloudsql,mount-path=/cloudsql",
];

test.before(async () => {
  [image, engine, postgres] = await Promise.all([cloudSqlAppImage(), startEngine(), startPostgres()]);
});

test.after.always(() =>
  tearDown(
    () => engine?.dispose(),
    () => postgres?.stop(),
  ),
);

test.serial("a service naming an instance nobody mapped is refused, naming it and the command that maps it", async (t) => {
  const result = await engine.skiff(["deploy", "notes", "--image", image, ...cloudsql]);
  t.is(result.code, 1, transcript(["deploy"], result));
  t.regex(
    result.stderr,
    /Cloud SQL instance "proj:europe-west1:db" is not mapped .*skiff cloudsql map proj:europe-west1:db --to HOST:PORT/,
  );
  t.deepEqual(await (await engine.api()).listServices("default"), []);
});

test.serial("mapped: the service writes a row through /cloudsql/proj:europe-west1:db and a job's task reads it back", async (t) => {
  await skiffOk(engine, ["cloudsql", "map", INSTANCE, "--to", postgres.socket]);
  t.regex((await skiffOk(engine, ["cloudsql", "list"])).stdout, /proj:europe-west1:db\s+\S+\.s\.PGSQL\.5432 \(postgres\)/);
  await skiffOk(engine, ["secrets", "create", "db-pass", "--data-file", "-"], postgres.password);
  await deploy(engine, "notes", ["--image", image, ...cloudsql]);

  const written = await engine.request(hostOf(engine, "notes"), `/notes?text=${note}`, { method: "POST" });
  t.is(written.status, 200, written.body);
  t.deepEqual(JSON.parse((await engine.request(hostOf(engine, "notes"), "/notes")).body), [note]);
  t.is((await postgres.query("SELECT text FROM notes")).trim(), note, "the row is in the real server");

  // The same instance and secret, the instance given as gcloud's --add-cloudsql-instances (the
  // volume and its /cloudsql mount made from it); jobs create takes --set-env-vars only, so both variables go there.
  await skiffOk(engine, [
    "jobs",
    "create",
    "reader",
    "--image",
    image,
    "--set-env-vars",
    `INSTANCE_CONNECTION_NAME=${INSTANCE},EXPECT_NOTE=${note}`,
    "--set-secrets",
    "DB_PASSWORD=db-pass:latest",
    "--add-cloudsql-instances",
    INSTANCE,
  ]);
  const run = await engine.skiff(["jobs", "execute", "reader", "--wait"]);
  t.is(
    run.code,
    0,
    `${transcript(["jobs", "execute", "reader", "--wait"], run)}\n${(await engine.skiff(["logs", "read", "reader"])).stdout}`,
  );
  t.regex((await skiffOk(engine, ["logs", "read", "reader"])).stdout, new RegExp(`found ${note}`));
});
