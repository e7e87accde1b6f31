import test from "ava";
import { describeService, hostOf, skiffOk } from "../helpers/cli";
import type { TestEngine } from "../helpers/engine";
import { gcloudOk, disposeGcloudBed, startGcloudBed } from "../helpers/gcloud";
import { projectNumber } from "../../provider/model/derived-names";

// Google's own gcloud names secrets by their full path, projects/NUMBER/secrets/NAME, as on Cloud
// Run: it sends the Knative v1 API a made-up alias in secretKeyRef.name and secret.secretName and
// maps it in the template annotation run.googleapis.com/secrets. The engine reads the alias as the
// secret it maps, so the container gets the values; and --remove-secrets of a key the container
// does not have deploys, as gcloud deploys it on Cloud Run.

let engine: TestEngine;
let image: string;
let config: string;
const R = ["--region", "europe-west1"];

test.before(async () => {
  ({ engine, image, config } = await startGcloudBed());
});

test.after.always(() => disposeGcloudBed(engine, config));

function ok(args: string[]): Promise<string> {
  return gcloudOk(engine, config, args);
}

const get = async (service: string, path: string) => (await engine.request(hostOf(engine, service), path)).body;

test("gcloud run deploy --set-secrets with projects/NUMBER/secrets/NAME: the env var and the file carry the values", async (t) => {
  await skiffOk(engine, ["secrets", "create", "db-pass", "--data-file", "-"], "first");
  await skiffOk(engine, ["secrets", "versions", "add", "db-pass", "--data-file", "-"], "second");
  const path = `projects/${projectNumber("default")}/secrets/db-pass`;

  await ok([
    "run",
    "deploy",
    "gc-secrets",
    ...R,
    "--image",
    image,
    "--allow-unauthenticated",
    "--set-secrets",
    `PW=${path}:1,/keys/pw=${path}`,
  ]);
  const env = JSON.parse(await get("gc-secrets", "/env")) as Record<string, string>;
  t.is(env.PW, "first", "the pinned version, read through the alias");
  t.is(await get("gc-secrets", "/file?path=/keys/pw"), "second", "no version in the path: latest");
  const s = await describeService(engine, "gc-secrets");
  t.deepEqual(s.template.secretEnv, { PW: { secret: "db-pass", version: "1" } }, "the template names the secret, not gcloud's alias");

  // gcloud's own describe sees a secret it can update again (it makes a new alias each time).
  await ok(["run", "deploy", "gc-secrets", ...R, "--image", image, "--update-secrets", `PW=${path}/versions/2`]);
  t.is((JSON.parse(await get("gc-secrets", "/env")) as Record<string, string>).PW, "second");

  const before = (await describeService(engine, "gc-secrets")).latestCreatedRevision;
  await ok(["run", "deploy", "gc-secrets", ...R, "--image", image, "--remove-secrets", "NOPE,/nope/x"]);
  t.is((await describeService(engine, "gc-secrets")).latestCreatedRevision, before, "nothing to remove: no new revision");
  t.is(
    (await engine.skiff(["deploy", "gc-secrets", "--image", image, "--remove-secrets", "NOPE"])).code,
    0,
    "skiff deploy --remove-secrets NOPE deploys as gcloud's does",
  );
});
