import { randomBytes } from "node:crypto";
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import test from "ava";
import { deploy, describeService, hostOf, listRevisions, SHORT_STARTUP_PROBE, skiffOk, transcript } from "../helpers/cli";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";

// The local Secret Manager through the real CLI on a real engine: `--set-secrets
// DB_PASSWORD=db-pass:1,/secrets/api-key=api-key:latest` gives the container the env value and
// the file; a version added to api-key shows in the file within 30 s with no new revision, while
// the pinned env stays; a deploy naming a missing secret is refused naming the field, a disabled
// one fails the revision, a mounted one is absent while it cannot be read; bad names are exit 1
// naming the flag. The values appear nowhere:
// describe --format export, logs read, engine.log, state.db.

let engine: TestEngine;
let image: string;
const id = randomBytes(4).toString("hex");
const DB_PASSWORD = `db-pass-value-${id}`;
const API_KEY_1 = `api-key-one-${id}`;
const API_KEY_2 = `api-key-two-${id}`;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

const env = async (service: string) => JSON.parse((await engine.request(hostOf(engine, service), "/env")).body) as Record<string, string>;
const file = async (service: string, at: string) =>
  (await engine.request(hostOf(engine, service), `/file?path=${encodeURIComponent(at)}`)).body;

test.serial("secrets are created from stdin or a file, listed by name and version, and read back only by versions access", async (t) => {
  await skiffOk(engine, ["secrets", "create", "db-pass", "--data-file", "-"], DB_PASSWORD);
  const keyFile = path.join(engine.home, "..", `skiff-test-key-${id}`);
  await fs.writeFile(keyFile, API_KEY_1);
  t.teardown(() => fs.rm(keyFile, { force: true }));
  await skiffOk(engine, ["secrets", "create", "api-key", "--data-file", keyFile]);
  const list = await skiffOk(engine, ["secrets", "list"]);
  t.regex(list.stdout, /api-key\s+1\s+1/);
  t.regex(list.stdout, /db-pass\s+1\s+1/);
  t.is((await skiffOk(engine, ["secrets", "versions", "access", "latest", "--secret", "db-pass"])).stdout, DB_PASSWORD);
  // gcloud's recipe for the raw bytes: --format='get(payload.data)' | tr '_-' '/+' | base64 -d (payload.data is base64url).
  const data = (await skiffOk(engine, ["secrets", "versions", "access", "latest", "--secret", "db-pass", "--format=get(payload.data)"]))
    .stdout;
  t.is(Buffer.from(data.trim().replace(/_/g, "/").replace(/-/g, "+"), "base64").toString(), DB_PASSWORD);
  const versions = await engine.skiffJson<{ name: string; state: string }[]>(["secrets", "versions", "list", "db-pass"]);
  t.is(versions.length, 1);
  t.like(versions[0], { name: "projects/default/secrets/db-pass/versions/1", state: "ENABLED" });
  t.false(JSON.stringify(await engine.skiffJson(["secrets", "describe", "api-key"])).includes(API_KEY_1));
});

test.serial("--set-secrets gives the container the env value and the mounted file", async (t) => {
  await deploy(engine, "web", ["--image", image, "--set-secrets", "DB_PASSWORD=db-pass:1,/secrets/api-key=api-key:latest"]);
  t.is((await env("web")).DB_PASSWORD, DB_PASSWORD);
  t.is(await file("web", "/secrets/api-key"), API_KEY_1);
  const describe = await skiffOk(engine, ["services", "describe", "web"]);
  t.regex(describe.stdout, /Secrets: +DB_PASSWORD=db-pass:1 \/secrets\/api-key=api-key:latest/);
});

test.serial("a version added to api-key shows in the mounted file within 30 s with no new revision; the pinned env stays", async (t) => {
  const before = await describeService(engine, "web");
  await skiffOk(engine, ["secrets", "versions", "add", "api-key", "--data-file", "-"], API_KEY_2);
  await skiffOk(engine, ["secrets", "versions", "add", "db-pass", "--data-file", "-"], `${DB_PASSWORD}-2`);
  const started = Date.now();
  await eventually("the mounted file to show version 2", async () => (await file("web", "/secrets/api-key")) === API_KEY_2, 30_000);
  t.log(`the file changed ${Date.now() - started} ms after the version was added`);
  const after = await describeService(engine, "web");
  t.is(after.latestCreatedRevision, before.latestCreatedRevision);
  t.is((await listRevisions(engine, "web")).length, 1);
  t.is((await env("web")).DB_PASSWORD, DB_PASSWORD, "DB_PASSWORD names version 1");
});

test.serial("changing which version a service uses makes a new revision", async (t) => {
  const before = await describeService(engine, "web");
  await deploy(engine, "web", ["--update-secrets", "DB_PASSWORD=db-pass:2"]);
  const after = await describeService(engine, "web");
  t.not(after.latestReadyRevision, before.latestReadyRevision);
  t.is((await env("web")).DB_PASSWORD, `${DB_PASSWORD}-2`);
  t.is(await file("web", "/secrets/api-key"), API_KEY_2);
});

test.serial(
  "a deploy naming a missing secret or version is refused before a revision is made (Cloud Run checks secrets at deploy); a disabled version fails the revision",
  async (t) => {
    const serving = (await describeService(engine, "web")).latestReadyRevision;
    const revisionsBefore = (await listRevisions(engine, "web")).length;
    const missing = await engine.skiff(["deploy", "web", "--update-secrets", "TOKEN=no-such-secret:1", ...SHORT_STARTUP_PROBE]);
    t.is(missing.code, 1, transcript(["deploy"], missing));
    t.regex(missing.stderr, /--update-secrets \(template\.secretEnv\.TOKEN\): secret "no-such-secret" not found in project "default"/);
    const version = await engine.skiff(["deploy", "web", "--update-secrets", "/other/token=api-key:9"]);
    t.is(version.code, 1, transcript(["deploy"], version));
    t.regex(version.stderr, /\(template\.volumes\[\d\]\.secret\.items\[0\]\.version\): secret "api-key" has no version 9/);
    t.is((await listRevisions(engine, "web")).length, revisionsBefore, "no revision was made for either");
    // A version that exists but is disabled passes the deploy's check; the instance cannot start without it.
    await skiffOk(engine, ["secrets", "create", "old-token", "--data-file", "-"], "old");
    await skiffOk(engine, ["secrets", "versions", "disable", "1", "--secret", "old-token"]);
    const disabled = await engine.skiff(["deploy", "web", "--update-secrets", "TOKEN=old-token:1", ...SHORT_STARTUP_PROBE]);
    t.is(disabled.code, 1, transcript(["deploy"], disabled));
    t.regex(disabled.stderr, /version 1 of secret "old-token" is DISABLED/);
    const service = await describeService(engine, "web");
    t.is(service.latestReadyRevision, serving, "the last good revision keeps serving");
    const failed = (await listRevisions(engine, "web")).filter((r) => r.status === "FAILED");
    t.is(failed.length, 1);
    t.regex(failed[0].error ?? "", /old-token/);
    await skiffOk(engine, ["secrets", "delete", "old-token", "-q"]);
    t.deepEqual(
      service.trafficStatuses.map((s) => s.revision),
      [serving],
    );
  },
);

test.serial("bad names are exit 1 naming the flag; the engine stays up and nothing changes", async (t) => {
  const before = await describeService(engine, "web");
  const revisions = (await listRevisions(engine, "web")).length;
  const cases: [string[], RegExp][] = [
    [["secrets", "create", "a/b", "--data-file", "-"], /^skiff: error: SECRET: "a\/b" must be a secret name/],
    [["secrets", "create", "..", "--data-file", "-"], /^skiff: error: SECRET: "\.\." must be a secret name/],
    [["secrets", "versions", "add", "../x", "--data-file", "-"], /^skiff: error: SECRET: "\.\.\/x" must be a secret name/],
    [["deploy", "web", "--set-secrets", "X=a/b:1"], /^skiff: error: --set-secrets: X: secret "a\/b" must be a secret name/],
    [["deploy", "web", "--update-secrets", "X=..:latest"], /^skiff: error: --update-secrets: X: secret "\.\." must be a secret name/],
    [
      ["deploy", "web", "--set-secrets", "/proc/key=api-key:1"],
      /^skiff: error: --set-secrets: "\/proc\/key": its folder \/proc must not be/,
    ],
  ];
  for (const [args, expected] of cases) {
    const result = await engine.skiff(args, { input: "value" });
    t.is(result.code, 1, transcript(args, result));
    t.regex(result.stderr, expected, transcript(args, result));
    t.is(result.stderr.trim().split("\n").length, 1, "one line");
  }
  t.is((await engine.skiff(["engine", "status"])).code, 0, "the engine is up");
  const after = await describeService(engine, "web");
  t.is(after.generation, before.generation);
  t.is((await listRevisions(engine, "web")).length, revisions);
  t.deepEqual((await engine.skiffJson<unknown[]>(["secrets", "list"])).length, 2);
});

test.serial("disable, enable and destroy: a disabled or destroyed version cannot be read; a destroyed one never again", async (t) => {
  await skiffOk(engine, ["secrets", "versions", "disable", "1", "--secret", "api-key"]);
  const disabled = await engine.skiff(["secrets", "versions", "access", "1", "--secret", "api-key"]);
  t.is(disabled.code, 1);
  t.regex(disabled.stderr, /version 1 of secret "api-key" is DISABLED/);
  await skiffOk(engine, ["secrets", "versions", "enable", "1", "--secret", "api-key"]);
  t.is((await skiffOk(engine, ["secrets", "versions", "access", "1", "--secret", "api-key"])).stdout, API_KEY_1);
  await skiffOk(engine, ["secrets", "versions", "destroy", "1", "--secret", "api-key", "-q"]);
  t.regex((await engine.skiff(["secrets", "versions", "access", "1", "--secret", "api-key"])).stderr, /is DESTROYED/);
  t.is((await engine.skiff(["secrets", "versions", "enable", "1", "--secret", "api-key"])).code, 1);
});

test.serial(
  "a mounted file can be read only while its version can: disabled, destroyed or deleted, reading fails (the value leaves the host's disk); an instance that mounts a disabled version starts",
  async (t) => {
    const [R1, R2] = [`rotating-one-${id}`, `rotating-two-${id}`];
    await skiffOk(engine, ["secrets", "create", "rotating", "--data-file", "-"], R1);
    await deploy(engine, "reader", ["--image", image, "--set-secrets", "/rot/key=rotating:latest,/rot/pinned=rotating:1"]);
    const read = async (service: string, at: string) => {
      const answer = await engine.request(hostOf(engine, service), `/file?path=${encodeURIComponent(at)}`);
      return answer.status === 200 ? answer.body : `${answer.status} ${answer.body.trim()}`;
    };
    const both = async () => [await read("reader", "/rot/key"), await read("reader", "/rot/pinned")];
    t.deepEqual(await both(), [R1, R1]);
    await skiffOk(engine, ["secrets", "versions", "disable", "1", "--secret", "rotating"]);
    t.deepEqual(await both(), ["404 ENOENT", "404 ENOENT"], "version 1 (also what latest names) is disabled");
    await skiffOk(engine, ["secrets", "versions", "enable", "1", "--secret", "rotating"]);
    t.deepEqual(await both(), [R1, R1]);
    await skiffOk(engine, ["secrets", "versions", "add", "rotating", "--data-file", "-"], R2);
    await skiffOk(engine, ["secrets", "versions", "disable", "2", "--secret", "rotating"]);
    t.deepEqual(await both(), ["404 ENOENT", R1], "latest names the disabled version 2; the pinned file keeps version 1");
    // Cloud Run checks no mounted secret when an instance starts: this one starts, and its file cannot be read.
    const started = await engine.skiff([
      "deploy",
      "starter",
      "--image",
      image,
      "--set-secrets",
      "/rot/key=rotating:latest",
      ...SHORT_STARTUP_PROBE,
    ]);
    t.is(started.code, 0, transcript(["deploy", "starter"], started));
    t.is(await read("starter", "/rot/key"), "404 ENOENT");
    await skiffOk(engine, ["secrets", "versions", "destroy", "2", "--secret", "rotating", "-q"]);
    await skiffOk(engine, ["secrets", "delete", "rotating", "-q"]);
    t.deepEqual(await both(), ["404 ENOENT", "404 ENOENT"], "the secret is gone");
    const left = readdirSync(path.join(engine.home, "mounts"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(path.join(e.parentPath, e.name), "utf8"));
    t.false(
      left.some((text) => text.includes("rotating-")),
      "no value of the secret is left under the home's mounts",
    );
    await skiffOk(engine, ["services", "delete", "starter", "-q"]);
    await skiffOk(engine, ["services", "delete", "reader", "-q"]);
  },
);

test.serial("the values appear nowhere: describe --format export, logs read, engine.log, state.db and its WAL", async (t) => {
  // Something to read back: a request logged, and the service described in every format.
  await engine.request(hostOf(engine, "web"), "/");
  const outputs = [
    (await skiffOk(engine, ["services", "describe", "web", "--format", "export"])).stdout,
    (await skiffOk(engine, ["services", "describe", "web", "--format", "json"])).stdout,
    (await skiffOk(engine, ["services", "describe", "web"])).stdout,
    (await skiffOk(engine, ["revisions", "list", "--service", "web", "--format", "yaml"])).stdout,
    (await skiffOk(engine, ["logs", "read", "web"])).stdout,
    (await skiffOk(engine, ["secrets", "versions", "list", "api-key", "--format", "json"])).stdout,
  ];
  t.regex(outputs[0], /secretKeyRef:\n\s+key: '2'\n\s+name: db-pass/, "the export names the secret and its version");
  const files = [
    path.join(engine.home, "engine.log"),
    ...readdirSync(engine.home)
      .filter((f) => f.startsWith("state.db"))
      .map((f) => path.join(engine.home, f)),
  ];
  for (const value of [DB_PASSWORD, `${DB_PASSWORD}-2`, API_KEY_1, API_KEY_2]) {
    for (const [i, text] of outputs.entries()) t.false(text.includes(value), `output ${i} shows ${value}`);
    for (const f of files) {
      const bytes = readFileSync(f);
      t.false(bytes.includes(value), `${path.basename(f)} holds ${value}`);
      t.false(bytes.includes(Buffer.from(value).toString("base64")), `${path.basename(f)} holds ${value} in base64`);
    }
  }
});

test.serial(
  "gcloud's secrets add-iam-policy-binding (secretAccessor for a service's account) is kept and read back; a deleted secret takes its policy with it",
  async (t) => {
    await skiffOk(engine, ["secrets", "create", "granted", "--data-file", "-"], "v1");
    const member = "serviceAccount:web@p.iam.gserviceaccount.com";
    const args = ["secrets", "add-iam-policy-binding", "granted", "--member", member, "--role", "roles/secretmanager.secretAccessor"];
    const added = await engine.skiff(args);
    t.is(added.code, 0, transcript(args, added));
    t.is(added.stderr, "Updated IAM policy for secret [granted].\n");
    t.true(added.stdout.includes(`- members:\n  - ${member}\n  role: roles/secretmanager.secretAccessor\n`), added.stdout);
    const policy = await skiffOk(engine, ["secrets", "get-iam-policy", "granted", "--format", "json"]);
    t.deepEqual(JSON.parse(policy.stdout).bindings, [{ role: "roles/secretmanager.secretAccessor", members: [member] }]);

    const missing = await engine.skiff(["secrets", "get-iam-policy", "nosuch"]);
    t.is(missing.code, 1, transcript(["secrets", "get-iam-policy", "nosuch"], missing));
    t.regex(missing.stderr, /nosuch/);

    await skiffOk(engine, ["secrets", "delete", "granted", "--quiet"]);
    await skiffOk(engine, ["secrets", "create", "granted", "--data-file", "-"], "v1");
    const fresh = await skiffOk(engine, ["secrets", "get-iam-policy", "granted", "--format", "json"]);
    // gcloud prints an empty policy as its etag alone.
    t.is(JSON.parse(fresh.stdout).bindings, undefined, "a new secret of the same name starts with no bindings");
    await skiffOk(engine, ["secrets", "delete", "granted", "--quiet"]);
  },
);
