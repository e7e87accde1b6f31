import test from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { v2 } from "@google-cloud/run";
import { googleRunClientOptions } from "../helpers/google-run-client";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, listRevisions, skiffOk } from "../helpers/cli";

// A service's description as Cloud Run keeps it: gcloud's --description on deploy and services
// update, shown by describe, the annotation run.googleapis.com/description through --format export
// and services replace, and the v2 Admin API's Service.description through Google's own Node client.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

const DESCRIBED = "  Description:       the storefront";

test("--description is kept, shown by describe, kept by an update that leaves it out, cleared by '', refused past 512 characters; no new revision", async (t) => {
  await deploy(engine, "desc", ["--image", image, "--description", "the storefront"]);
  t.is((await describeService(engine, "desc")).description, "the storefront");
  const shown = await skiffOk(engine, ["services", "describe", "desc"]);
  t.true(shown.stdout.split("\n").includes(DESCRIBED), shown.stdout);
  t.false(shown.stderr.includes("no local effect"), shown.stderr);

  await skiffOk(engine, ["services", "update", "desc", "--update-labels", "team=web"]);
  t.is((await describeService(engine, "desc")).description, "the storefront", "left out: kept");

  const tooLong = await engine.skiff(["services", "update", "desc", "--description", "x".repeat(513)]);
  t.is(tooLong.code, 1);
  t.regex(tooLong.stderr, /description.*at most 512 characters/);
  t.is((await describeService(engine, "desc")).description, "the storefront", "a refused change changes nothing");

  await skiffOk(engine, ["services", "update", "desc", "--description", ""]);
  t.is((await describeService(engine, "desc")).description, undefined);
  t.false((await skiffOk(engine, ["services", "describe", "desc"])).stdout.includes("Description:"));
  t.is((await listRevisions(engine, "desc")).length, 1, "a description is the service's: no change made a revision");
});

test("describe --format export writes the description annotation; services replace reads it back, an edit applies", async (t) => {
  await deploy(engine, "descyaml", ["--image", image, "--description", "the storefront"]);
  const exported = (await skiffOk(engine, ["services", "describe", "descyaml", "--format", "export"])).stdout;
  const doc = parseYaml(exported) as { metadata: { annotations: Record<string, string> } };
  t.is(doc.metadata.annotations["run.googleapis.com/description"], "the storefront");
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-description-"));
  try {
    const file = path.join(dir, "service.yaml");
    await fs.writeFile(file, exported.replace("the storefront", "the shop"));
    const replaced = await skiffOk(engine, ["services", "replace", file]);
    t.is(replaced.stderr, "", "nothing in what export printed is ignored");
    t.is((await describeService(engine, "descyaml")).description, "the shop");
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("@google-cloud/run: createService with a description keeps it; updateService with an updateMask changes it", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const [creating] = await services.createService({
    parent: "projects/default/locations/europe-west1",
    serviceId: "descapi",
    service: { template: { containers: [{ image }] }, description: "made by the API" },
  });
  const [created] = await creating.promise();
  t.is(created.description, "made by the API");
  const [updating] = await services.updateService({
    service: { name: created.name, description: "changed by the API" },
    updateMask: { paths: ["description"] },
  });
  const [updated] = await updating.promise();
  t.is(updated.description, "changed by the API");
  const [read] = await services.getService({ name: created.name });
  t.is(read.description, "changed by the API");
  t.is((await describeService(engine, "descapi")).description, "changed by the API");
});
