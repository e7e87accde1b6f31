import test from "ava";
import type { ExecutionContext } from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { v2 } from "@google-cloud/run";
import { googleRunClientOptions } from "../helpers/google-run-client";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, listRevisions, skiffOk } from "../helpers/cli";

// Custom audiences of a private service, through the CLI as a user drives it: gcloud's
// --set/--add/--remove/--clear-custom-audiences on deploy and services update, and a token minted
// by `skiff auth print-identity-token --audiences <custom audience>` sent as curl sends it; and the
// service annotation run.googleapis.com/custom-audiences through --format export and services replace;
// the v2 Admin API's Service.customAudiences through Google's own Node client.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

async function identityToken(audience: string): Promise<string> {
  return (await skiffOk(engine, ["auth", "print-identity-token", "--audiences", audience])).stdout.trim();
}

async function call(service: string, token: string): Promise<number> {
  return (await engine.request(hostOf(engine, service), "/", { headers: { authorization: `Bearer ${token}` } })).status;
}

async function revisionCount(service: string): Promise<number> {
  return (await listRevisions(engine, service)).length;
}

const CUSTOM = "https://api.example.com";
const OTHER = "https://elsewhere.example.com";

async function expectCalls(t: ExecutionContext, service: string, expected: Record<string, number>, why: string): Promise<void> {
  for (const [audience, status] of Object.entries(expected))
    t.is(await call(service, await identityToken(audience)), status, `${why}: a token for ${audience}`);
}

test("a private service with a custom audience takes a token for it (another audience gets 401); removing it makes the same token 401; no new revision", async (t) => {
  await deploy(engine, "aud", ["--image", image, "--no-allow-unauthenticated", "--set-custom-audiences", `${CUSTOM},myservice`]);
  t.deepEqual((await describeService(engine, "aud")).customAudiences, [CUSTOM, "myservice"]);
  const url = `http://aud.localhost:${engine.ingressPort}`;
  await expectCalls(t, "aud", { [CUSTOM]: 200, myservice: 200, [OTHER]: 401, [url]: 200 }, "after --set-custom-audiences");

  const described = await skiffOk(engine, ["services", "describe", "aud"]);
  t.true(described.stdout.split("\n").includes(`  Custom audiences:  ${CUSTOM}, myservice`), described.stdout);

  const token = await identityToken(CUSTOM);
  await skiffOk(engine, ["services", "update", "aud", "--remove-custom-audiences", CUSTOM]);
  t.is(await call("aud", token), 401, "the same token, its audience removed");
  t.deepEqual((await describeService(engine, "aud")).customAudiences, ["myservice"]);

  await skiffOk(engine, ["services", "update", "aud", "--add-custom-audiences", OTHER]);
  await expectCalls(t, "aud", { [OTHER]: 200, myservice: 200, [CUSTOM]: 401 }, "after --add-custom-audiences");

  await skiffOk(engine, ["services", "update", "aud", "--clear-custom-audiences"]);
  await expectCalls(t, "aud", { [OTHER]: 401, myservice: 401, [url]: 200 }, "after --clear-custom-audiences");
  t.is(await revisionCount("aud"), 1, "custom audiences are the service's: no change made a revision");

  const both = await engine.skiff(["services", "update", "aud", "--add-custom-audiences", "a", "--clear-custom-audiences"]);
  t.is(both.code, 1);
  t.regex(both.stderr, /--add-custom-audiences, --clear-custom-audiences: at most one of these can be specified/);
  const tooLong = await engine.skiff(["services", "update", "aud", "--set-custom-audiences", "x".repeat(40_000)]);
  t.is(tooLong.code, 1);
  t.regex(
    tooLong.stderr,
    /--set-custom-audiences: the list of custom audiences is \d+ characters as a JSON list; Cloud Run takes at most 32768/,
  );
  t.deepEqual((await describeService(engine, "aud")).customAudiences, [], "a refused change changes nothing");
});

test("describe --format export writes the custom-audiences annotation; services replace reads it back, an edited list applies with no new revision", async (t) => {
  await deploy(engine, "yaml", ["--image", image, "--no-allow-unauthenticated", "--add-custom-audiences", CUSTOM]);
  const exported = (await skiffOk(engine, ["services", "describe", "yaml", "--format", "export"])).stdout;
  const doc = parseYaml(exported) as { metadata: { annotations: Record<string, string> } };
  t.is(doc.metadata.annotations["run.googleapis.com/custom-audiences"], JSON.stringify([CUSTOM]));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-custom-audiences-"));
  try {
    const file = path.join(dir, "service.yaml");
    await fs.writeFile(file, exported);
    const same = await skiffOk(engine, ["services", "replace", file]);
    t.is(same.stderr, "", "nothing in what export printed is ignored");
    t.deepEqual((await describeService(engine, "yaml")).customAudiences, [CUSTOM]);

    await fs.writeFile(file, exported.replace(JSON.stringify([CUSTOM]), JSON.stringify([OTHER])));
    await skiffOk(engine, ["services", "replace", file]);
    await expectCalls(t, "yaml", { [OTHER]: 200, [CUSTOM]: 401 }, "after replace with another audience");
    t.is(await revisionCount("yaml"), 1, "no new revision");

    await fs.writeFile(file, exported.replace(JSON.stringify([CUSTOM]), "not a list"));
    const refused = await engine.skiff(["services", "replace", file]);
    t.is(refused.code, 1);
    t.regex(refused.stderr, /metadata\.annotations\.run\.googleapis\.com\/custom-audiences/);
    t.deepEqual((await describeService(engine, "yaml")).customAudiences, [OTHER], "a refused file changes nothing");
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("@google-cloud/run: createService with customAudiences makes a private service that takes their tokens; updateService with an updateMask changes them, no new revision", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const parent = "projects/default/locations/europe-west1";
  const [creating] = await services.createService({
    parent,
    serviceId: "viaapi",
    service: { template: { containers: [{ image }] }, customAudiences: [CUSTOM] },
  });
  const [created] = await creating.promise();
  t.deepEqual(created.customAudiences, [CUSTOM]);
  await expectCalls(t, "viaapi", { [CUSTOM]: 200, [OTHER]: 401 }, "created with customAudiences");

  const [updating] = await services.updateService({
    service: { name: created.name, customAudiences: [OTHER] },
    updateMask: { paths: ["custom_audiences"] },
  });
  const [updated] = await updating.promise();
  t.deepEqual(updated.customAudiences, [OTHER]);
  t.is(updated.latestCreatedRevision, created.latestCreatedRevision, "no new revision");
  await expectCalls(t, "viaapi", { [OTHER]: 200, [CUSTOM]: 401 }, "after updateService");
});
