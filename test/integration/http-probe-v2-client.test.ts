import test from "ava";
import { v2 } from "@google-cloud/run";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { googleRunClientOptions } from "../helpers/google-run-client";
import { hostOf } from "../helpers/cli";

// Google's Node client for Cloud Run (REST mode) with an HTTP startup probe on real Docker: the
// service is ready only once /healthz answers 200, the answer shows the httpGet (path, port,
// headers), and a GET sent back as an update keeps it and makes no new revision. Its livenessProbe
// is kept and shown the same way.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

interface Warmup {
  startedAt: number;
  firstHealthyAt?: number;
  healthz: { at: number; status: number }[];
}

test("@google-cloud/run: a service with startupProbe.httpGet is ready after /healthz's first 200, shows the httpGet, and a GET sent back keeps it", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  try {
    const [creating] = await services.createService({
      parent: "projects/default/locations/us-central1",
      serviceId: "probed",
      service: {
        invokerIamDisabled: true,
        template: {
          containers: [
            {
              image,
              ports: [{ containerPort: 8080 }],
              env: [{ name: "FIXTURE_HEALTHZ_WARMUP_MS", value: "2000" }],
              startupProbe: {
                httpGet: { path: "/healthz", httpHeaders: [{ name: "X-Probe", value: "startup" }] },
                periodSeconds: 1,
                failureThreshold: 30,
              },
              livenessProbe: { httpGet: { path: "/healthz" }, periodSeconds: 5, timeoutSeconds: 2 },
            },
          ],
        },
      },
    });
    const [created] = await creating.promise();
    const probe = created.template?.containers?.[0].startupProbe;
    t.is(probe?.httpGet?.path, "/healthz");
    t.is(probe?.httpGet?.port, 8080);
    t.deepEqual(
      probe?.httpGet?.httpHeaders?.map((h) => [h.name, h.value]),
      [["X-Probe", "startup"]],
    );
    t.is(probe?.tcpSocket ?? null, null, "not shown as a TCP probe");
    // The liveness probe is kept (it used to be dropped), with Cloud Run's defaults and its port filled in.
    const live = created.template?.containers?.[0].livenessProbe;
    t.deepEqual(
      [live?.httpGet?.path, live?.httpGet?.port, live?.periodSeconds, live?.timeoutSeconds, live?.failureThreshold],
      ["/healthz", 8080, 5, 2, 3],
    );

    const warm = await engine.request(hostOf(engine, "probed"), "/warmup");
    const w = JSON.parse(warm.body) as Warmup;
    t.true(w.firstHealthyAt !== undefined && w.firstHealthyAt - w.startedAt >= 2000, warm.body);
    t.true(
      w.healthz.some((h) => h.status === 503),
      warm.body,
    );

    const [got] = await services.getService({ name: created.name });
    const [updating] = await services.updateService({ service: got });
    const [updated] = await updating.promise();
    t.is(updated.latestReadyRevision, created.latestReadyRevision, "a GET sent back changes nothing: no new revision");
    t.is(updated.template?.containers?.[0].startupProbe?.httpGet?.path, "/healthz");
    t.is(updated.template?.containers?.[0].livenessProbe?.httpGet?.path, "/healthz");

    const [deleting] = await services.deleteService({ name: created.name });
    await deleting.promise();
  } finally {
    await services.close();
  }
});
