import test from "ava";
import { v2 } from "@google-cloud/run";
import { OAuth2Client } from "google-auth-library";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { hostOf } from "../helpers/cli";

// Google's own Node client for Cloud Run (@google-cloud/run, a pinned devDependency) in its REST
// mode (fallback: "rest"), pointed at the engine's admin port with the engine's token as an OAuth
// access token: services from create to delete, as a Node program drives Cloud Run.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

function clientOptions() {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: engine.token });
  return { fallback: "rest" as const, apiEndpoint: "127.0.0.1", port: engine.apiPort, protocol: "http", authClient };
}

test("@google-cloud/run in REST mode: createService's operation gives a Service that serves; getService; updateService with a new env var makes a new revision in listRevisions; deleteService's operation finishes and the service is gone", async (t) => {
  const services = new v2.ServicesClient(clientOptions());
  const revisions = new v2.RevisionsClient(clientOptions());
  const parent = "projects/default/locations/europe-west1";
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-hello",
      service: { template: { containers: [{ image, env: [{ name: "GREETING", value: "one" }] }] }, invokerIamDisabled: true },
    });
    const [created] = await creating.promise();
    t.is(created.name, `${parent}/services/node-hello`, "the location asked for is the one shown");
    t.is(created.uri, `http://node-hello.localhost:${engine.ingressPort}`);
    const first = (created.latestReadyRevision ?? "").split("/").pop();
    t.regex(first ?? "", /^node-hello-00001-[a-z]{3}$/);
    const answer = await engine.request(hostOf(engine, "node-hello"), "/");
    t.is(answer.status, 200);
    t.is(answer.headers["x-revision"], first);

    const [got] = await services.getService({ name: created.name });
    t.is(got.template?.containers?.[0].image, image);
    t.is(got.etag, created.etag);
    got.template!.containers![0].env!.push({ name: "ADDED", value: "two" });
    const [updating] = await services.updateService({ service: got });
    const [updated] = await updating.promise();
    const second = (updated.latestReadyRevision ?? "").split("/").pop();
    t.not(second, first);
    t.deepEqual(
      updated.template?.containers?.[0].env?.map((e) => [e.name, e.value]),
      [
        ["GREETING", "one"],
        ["ADDED", "two"],
      ],
    );
    t.not(updated.etag, created.etag, "a change is a new etag");

    const [listed] = await revisions.listRevisions({ parent: created.name });
    t.deepEqual(
      listed.map((r) => r.name?.split("/").pop()),
      [second, first],
    );

    const [deleting] = await services.deleteService({ name: created.name });
    const [deleted] = await deleting.promise();
    t.is(deleted.name, created.name);
    t.true(deleting.done);
    const error = await t.throwsAsync(services.getService({ name: created.name }));
    t.is((error as { code?: number }).code, 5, "NOT_FOUND as the client reports it");
    t.is((await engine.skiff(["services", "describe", "node-hello"])).code, 1, "the CLI does not find it either");
  } finally {
    await services.close();
    await revisions.close();
  }
});
