import test from "ava";
import { v2 } from "@google-cloud/run";
import { TestEngine, startEngine } from "../helpers/engine";
import { googleRunClientOptions } from "../helpers/google-run-client";
import { fixtureImage } from "../helpers/fixture-image";

// Google's Node client for Cloud Run (REST mode) driving skiff as a deployment script drives
// Cloud Run, where skiff once answered otherwise: each test names the rule Cloud Run states.

let engine: TestEngine;
let image: string;
const parent = "projects/default/locations/us-central1";

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

interface ClientError {
  code?: number;
  message?: string;
  statusDetails?: { fieldViolations?: { field: string; description: string }[] }[];
}

const fieldsOf = (error: ClientError) => (error.statusDetails ?? []).flatMap((d) => d.fieldViolations ?? []).map((v) => v.field);
const short = (name: string | null | undefined) => (name ?? "").split("/").pop();

test("an update with a fresh Service (no traffic) sends 100% to its new revision, as Cloud Run's traffic default says; pins and tags are gone", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const name = `${parent}/services/node-traffic-default`;
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-traffic-default",
      service: { template: { containers: [{ image }] } },
    });
    const [first] = await creating.promise();
    const firstRevision = short(first.latestReadyRevision)!;
    const [pinning] = await services.updateService({
      service: {
        ...first,
        traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: firstRevision, percent: 100, tag: "stable" }],
      },
    });
    await pinning.promise();

    // What a deploy script sends: a new Service with the new template, built from nothing.
    const [deploying] = await services.updateService({
      service: { name, template: { containers: [{ image, env: [{ name: "RELEASE", value: "2" }] }] } },
    });
    const [deployed] = await deploying.promise();
    const secondRevision = short(deployed.latestReadyRevision);
    t.not(secondRevision, firstRevision);
    t.deepEqual(
      deployed.traffic?.map((e) => [e.revision ?? "", e.percent, e.tag ?? ""]),
      [["", 100, ""]],
      "the service follows its latest revision (one LATEST entry)",
    );
    t.deepEqual(
      deployed.trafficStatuses?.map((s) => [s.revision, s.percent, s.tag ?? ""]),
      [[secondRevision, 100, ""]],
      "the new revision serves everything, as on Cloud Run; the old pin and its tag are gone",
    );
  } finally {
    await services.close();
  }
});

test("a v1 annotation copied into a v2 request (run.googleapis.com/ingress) is INVALID_ARGUMENT naming it, as Cloud Run's v2 refuses system namespaces; nothing is created", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  try {
    const refused = (await t.throwsAsync(
      services.createService({
        parent,
        serviceId: "node-v1-annotation",
        service: {
          annotations: { "run.googleapis.com/ingress": "internal" },
          template: { annotations: { "autoscaling.knative.dev/maxScale": "3" }, containers: [{ image }] },
        },
      }),
    )) as ClientError;
    t.is(refused.code, 3, refused.message);
    t.deepEqual(fieldsOf(refused), [
      "service.annotations.run.googleapis.com/ingress",
      "service.template.annotations.autoscaling.knative.dev/maxScale",
    ]);
    t.regex(refused.message ?? "", /set the v2 field ingress instead/);
    const missing = (await t.throwsAsync(services.getService({ name: `${parent}/services/node-v1-annotation` }))) as ClientError;
    t.is(missing.code, 5, "nothing was created");
  } finally {
    await services.close();
  }
});

test("a Knative-style label (from services replace) is not shown to v2 and survives a v2 read-modify-write", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const api = await engine.api();
  const name = `${parent}/services/node-v1-label`;
  try {
    await api.putService("default", "node-v1-label", {
      template: { image },
      labels: { team: "web", "cloud.googleapis.com/location": "us-central1" },
    });
    const [read] = await services.getService({ name });
    t.deepEqual(read.labels, { team: "web" });
    const [updating] = await services.updateService({ service: { ...read, labels: { team: "api" } } });
    await updating.promise();
    t.deepEqual((await api.getService("default", "node-v1-label")).labels, { team: "api", "cloud.googleapis.com/location": "us-central1" });
  } finally {
    await services.close();
  }
});

test("template.revision is kept and answered, as Cloud Run does: a read-modify-write that changes the template under it fails as the call (ALREADY_EXISTS); one without it makes a new revision", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const name = `${parent}/services/node-pinned-name`;
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-pinned-name",
      service: { template: { revision: "node-pinned-name-v1", containers: [{ image }] } },
    });
    await creating.promise();
    const [read] = await services.getService({ name });
    t.is(read.template?.revision, "node-pinned-name-v1", "the spec's revision name is answered");

    // The script changes the image's env and sends the service back as it read it.
    const changed = { ...read, template: { ...read.template, containers: [{ image, env: [{ name: "RELEASE", value: "2" }] }] } };
    const taken = (await t.throwsAsync(services.updateService({ service: changed }))) as ClientError;
    t.is(taken.code, 6, taken.message);
    t.regex(taken.message ?? "", /node-pinned-name-v1/);

    const [labelled] = await services.updateService({ service: { ...read, labels: { team: "web" } } });
    t.is((await labelled.promise())[0].template?.revision, "node-pinned-name-v1", "the same template under its own name: no change");

    const [now] = await services.getService({ name });
    const unnamed = { ...now, template: { ...changed.template, revision: "" } };
    const [renamed] = await services.updateService({ service: unnamed });
    const [after] = await renamed.promise();
    t.regex(short(after.latestReadyRevision) ?? "", /^node-pinned-name-00002-[a-z]{3}$/);
    t.falsy(after.template?.revision, "no name asked for: none kept");
  } finally {
    await services.close();
  }
});

test("annotations a tool sets on a service are kept and answered, as Cloud Run preserves them; a change moves the etag, so a stale writer is refused", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const name = `${parent}/services/node-annotated`;
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-annotated",
      service: { annotations: { "example.com/commit": "abc123" }, template: { containers: [{ image }] } },
    });
    const [created] = await creating.promise();
    t.deepEqual(created.annotations, { "example.com/commit": "abc123" });
    const [read] = await services.getService({ name });
    t.deepEqual(read.annotations, { "example.com/commit": "abc123" });

    const [masked] = await services.updateService({
      service: { name, annotations: { "example.com/commit": "def456" } },
      updateMask: { paths: ["annotations"] },
    });
    const [after] = await masked.promise();
    t.deepEqual(after.annotations, { "example.com/commit": "def456" });
    t.is(short(after.latestReadyRevision), short(read.latestReadyRevision), "metadata only: no new revision");
    const stale = (await t.throwsAsync(services.updateService({ service: read }))) as ClientError;
    t.is(stale.code, 10, `the read from before the annotation changed is stale: ${stale.message}`);
  } finally {
    await services.close();
  }
});

test("a template.revision that is no revision name fails createService as the call itself (INVALID_ARGUMENT naming it), validateOnly too, and nothing is created", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  try {
    for (const validateOnly of [true, false]) {
      const refused = (await t.throwsAsync(
        services.createService({
          parent,
          serviceId: "node-bad-revision",
          validateOnly,
          service: { template: { revision: "node-bad-revision-V1", containers: [{ image }] } },
        }),
      )) as ClientError;
      t.is(refused.code, 3, `validateOnly ${validateOnly}: ${refused.message}`);
      t.deepEqual(fieldsOf(refused), ["service.template.revision"]);
    }
    const missing = (await t.throwsAsync(services.getService({ name: `${parent}/services/node-bad-revision` }))) as ClientError;
    t.is(missing.code, 5, "nothing was created");
  } finally {
    await services.close();
  }
});

test("testIamPermissions refuses a wildcard permission (INVALID_ARGUMENT naming it), as IAM's request says; named permissions are answered", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const resource = `${parent}/services/node-iam-test`;
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-iam-test",
      service: { template: { containers: [{ image }] } },
    });
    await creating.promise();
    const refused = (await t.throwsAsync(
      services.testIamPermissions({ resource, permissions: ["run.services.get", "run.*"] }),
    )) as ClientError;
    t.is(refused.code, 3, refused.message);
    t.deepEqual(fieldsOf(refused), ["permissions[1]"]);
    const [granted] = await services.testIamPermissions({ resource, permissions: ["run.services.get", "run.routes.invoke"] });
    t.deepEqual(granted.permissions, ["run.services.get", "run.routes.invoke"]);
  } finally {
    await services.close();
  }
});

test("template.labels are kept on the template and carried by its revision (getRevision answers them), as Cloud Run's revisions carry their template's labels", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const revisions = new v2.RevisionsClient(googleRunClientOptions(engine));
  const name = `${parent}/services/node-revision-labels`;
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-revision-labels",
      service: { template: { labels: { release: "r42" }, containers: [{ image }] } },
    });
    const [created] = await creating.promise();
    t.deepEqual(created.template?.labels, { release: "r42" });
    const [revision] = await revisions.getRevision({ name: created.latestReadyRevision! });
    t.deepEqual(revision.labels, { release: "r42" });

    const [read] = await services.getService({ name });
    const [again] = await services.updateService({ service: read });
    t.is((await again.promise())[0].latestReadyRevision, created.latestReadyRevision, "sent back as read: no new revision");
  } finally {
    await services.close();
    await revisions.close();
  }
});

test("createService's operation metadata is the Service as it will be: the same uid and createTime as the service keeps, at generation 1", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  try {
    const [creating] = await services.createService({ parent, serviceId: "node-uid", service: { template: { containers: [{ image }] } } });
    const metadata = creating.metadata as { uid?: string; createTime?: { seconds?: unknown; nanos?: number }; generation?: unknown } | null;
    const [created] = await creating.promise();
    const [read] = await services.getService({ name: `${parent}/services/node-uid` });
    t.truthy(metadata?.uid);
    t.is(metadata?.uid, read.uid ?? undefined, "a script that records the uid from the operation finds the same service later");
    t.is(created.uid ?? undefined, read.uid ?? undefined);
    t.deepEqual(
      [String(metadata?.createTime?.seconds), metadata?.createTime?.nanos],
      [String(read.createTime?.seconds), read.createTime?.nanos],
    );
    t.is(String(metadata?.generation), "1");
  } finally {
    await services.close();
  }
});
