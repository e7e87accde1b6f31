import test from "ava";
import { v2 } from "@google-cloud/run";
import { googleRunClientOptions } from "../helpers/google-run-client";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, listRevisions, skiffOk } from "../helpers/cli";

// gcloud's --no-default-url (Cloud Run's defaultUriDisabled): the service's own URL and its tag URLs
// answer as a host that names no service does, its domain mappings still reach it, describe shows
// no URL; --default-url turns them back on. No change makes a revision.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("--no-default-url: its host and tag host answer 404 as an unknown host does, its domain mapping answers 200; --default-url restores them", async (t) => {
  await deploy(engine, "nourl", ["--image", image, "--tag", "blue"]);
  await skiffOk(engine, ["domain-mappings", "create", "--service", "nourl", "--domain", "nourl.example.test"]);
  t.is((await engine.request("nourl.localhost", "/")).status, 200, "on: served at its own host");

  const updated = await skiffOk(engine, ["services", "update", "nourl", "--no-default-url"]);
  t.false(updated.stderr.includes("no local effect"), updated.stderr);
  const own = await engine.request("nourl.localhost", "/");
  const unknown = await engine.request("nosuch.localhost", "/");
  t.is(own.status, 404);
  t.is(own.body.replaceAll("nourl", "nosuch"), unknown.body, "the same answer as a service that does not exist");
  t.is((await engine.request("blue---nourl.localhost", "/")).status, 404, "a tag URL is one of its own URLs too");
  t.is((await engine.request("nourl.example.test", "/")).status, 200, "the domain mapping still reaches it");

  const service = await describeService(engine, "nourl");
  t.is(service.url, "");
  t.true(service.defaultUriDisabled);
  t.deepEqual(
    service.trafficStatuses.map((s) => s.url),
    [undefined, undefined],
  );
  const shown = await skiffOk(engine, ["services", "describe", "nourl"]);
  t.true(shown.stdout.split("\n").includes("  URL:               - (default URL disabled)"), shown.stdout);
  const exported = await skiffOk(engine, ["services", "describe", "nourl", "--format", "export"]);
  t.regex(exported.stdout, /run\.googleapis\.com\/default-url-disabled: 'true'/);

  await skiffOk(engine, ["services", "update", "nourl", "--update-labels", "team=web"]);
  t.is((await engine.request("nourl.localhost", "/")).status, 404, "an update without the flag keeps it off");
  await skiffOk(engine, ["services", "update", "nourl", "--default-url"]);
  t.is((await engine.request("nourl.localhost", "/")).status, 200);
  t.is((await engine.request("blue---nourl.localhost", "/")).status, 200);
  t.is((await listRevisions(engine, "nourl")).length, 1, "the switch is the service's: no revision made");
});

test("@google-cloud/run: createService with defaultUriDisabled answers with no uri, its host answers 404; an updateMask turns it back on", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const [creating] = await services.createService({
    parent: "projects/default/locations/europe-west1",
    serviceId: "nourlapi",
    service: { template: { containers: [{ image }] }, defaultUriDisabled: true, invokerIamDisabled: true },
  });
  const [created] = await creating.promise();
  t.true(created.defaultUriDisabled);
  t.is(created.uri, "");
  t.deepEqual(created.urls, []);
  t.is((await engine.request("nourlapi.localhost", "/")).status, 404);
  const [updating] = await services.updateService({
    service: { name: created.name, defaultUriDisabled: false },
    updateMask: { paths: ["default_uri_disabled"] },
  });
  const [updated] = await updating.promise();
  t.false(updated.defaultUriDisabled);
  t.regex(updated.uri ?? "", /^http:\/\/nourlapi\.localhost:\d+$/);
  t.is((await engine.request("nourlapi.localhost", "/")).status, 200);
});
