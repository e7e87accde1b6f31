import test from "ava";
import { deploy, describeService, firstRevisionOf } from "../helpers/cli";
import type { TestEngine } from "../helpers/engine";
import { gcloudOk, disposeGcloudBed, startGcloudBed } from "../helpers/gcloud";
import { revisionContainers, sleep } from "../helpers/scaling";

// Google's own gcloud sets a service's own scaling through the Knative v1 API, as it does on
// Cloud Run: its config changes write run.googleapis.com/minScale, maxScale, scalingMode and
// manualInstanceCount on the Service's metadata (gcloud's beta track has --max and --scaling; GA
// has --min), and the engine reads them as the service's scaling, with no new revision.

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

test("gcloud run services update --min, beta --max and --scaling set the service's scaling; describe --format export shows it", async (t) => {
  await deploy(engine, "gc-scale", ["--image", image]);
  const revision = await firstRevisionOf(engine, "gc-scale");

  await ok(["run", "services", "update", "gc-scale", ...R, "--min", "2"]);
  await ok(["beta", "run", "services", "update", "gc-scale", ...R, "--max", "4"]);
  let s = await describeService(engine, "gc-scale");
  t.deepEqual(s.serviceScaling, { scalingMode: "AUTOMATIC", minInstanceCount: 2, maxInstanceCount: 4 });
  t.is(s.latestCreatedRevision, revision, "no new revision");
  const until = Date.now() + 60_000;
  let running = 0;
  while (Date.now() < until && running !== 2) {
    running = (await revisionContainers(engine, revision)).filter((c) => c.state === "running").length;
    if (running !== 2) await sleep(250);
  }
  t.is(running, 2, "the service minimum runs 2 instances");

  const exported = await ok(["run", "services", "describe", "gc-scale", ...R, "--format", "export"]);
  t.regex(exported, /run\.googleapis\.com\/minScale: '2'/);
  t.regex(exported, /run\.googleapis\.com\/maxScale: '4'/);

  await ok(["beta", "run", "services", "update", "gc-scale", ...R, "--scaling", "3"]);
  s = await describeService(engine, "gc-scale");
  t.deepEqual(s.serviceScaling, { scalingMode: "MANUAL", manualInstanceCount: 3 });
  await ok(["beta", "run", "services", "update", "gc-scale", ...R, "--scaling", "auto"]);
  s = await describeService(engine, "gc-scale");
  t.deepEqual(s.serviceScaling?.scalingMode, "AUTOMATIC");
  t.log(`after --scaling auto: ${JSON.stringify(s.serviceScaling)}`);
});
