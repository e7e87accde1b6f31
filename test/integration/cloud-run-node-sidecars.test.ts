import test from "ava";
import { v2 } from "@google-cloud/run";
import { TestEngine, startEngine } from "../helpers/engine";
import { googleRunClientOptions } from "../helpers/google-run-client";
import { hostOf } from "../helpers/cli";
import { pairImages } from "../helpers/pair-images";

// Google's Node client for Cloud Run (REST mode) creating a service of two containers on real
// Docker: the ingress container (the one with a port) proxies to a sidecar on localhost, started
// after it; a getService sent back as updateService keeps the sidecar and makes no new revision.

let engine: TestEngine;
let images: { proxy: string; backend: string };

test.before(async () => {
  [images, engine] = await Promise.all([pairImages(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("@google-cloud/run creates a two-container service that answers through its sidecar; a GET sent back keeps both containers and the revision", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const parent = "projects/default/locations/us-central1";
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-pair",
      service: {
        invokerIamDisabled: true,
        template: {
          containers: [
            // The sidecar first, as a client may list it: the ingress container is the one with ports.
            {
              name: "backend",
              image: images.backend,
              env: [{ name: "PAIR_BACKEND_PORT", value: "9000" }],
              startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 30 },
            },
            {
              name: "app",
              image: images.proxy,
              ports: [{ containerPort: 8080 }],
              env: [{ name: "PAIR_BACKEND_PORT", value: "9000" }],
              dependsOn: ["backend"],
            },
          ],
        },
      },
    });
    const [created] = await creating.promise();
    t.deepEqual(
      created.template?.containers?.map((c) => [c.name, (c.ports ?? []).length]),
      [
        ["app", 1],
        ["backend", 0],
      ],
    );
    const answer = await engine.request(hostOf(engine, "node-pair"), "/through");
    t.is(answer.status, 200, answer.body);
    t.like(JSON.parse(answer.body), { role: "backend", path: "/through" });
    const containers = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "node-pair");
    t.deepEqual(containers.map((c) => c.labels["skiff.container"]).sort(), ["app", "backend"]);

    const [got] = await services.getService({ name: created.name });
    const [updating] = await services.updateService({ service: got });
    const [updated] = await updating.promise();
    t.is(updated.latestReadyRevision, created.latestReadyRevision, "a GET sent back changes nothing: no new revision");
    t.deepEqual(
      updated.template?.containers?.map((c) => [c.name, c.image, c.dependsOn]),
      [
        ["app", images.proxy, ["backend"]],
        ["backend", images.backend, []],
      ],
    );
    t.is((await engine.request(hostOf(engine, "node-pair"), "/again")).status, 200);

    const [deleting] = await services.deleteService({ name: created.name });
    await deleting.promise();
  } finally {
    await services.close();
  }
});
