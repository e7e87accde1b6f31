import test from "ava";
import { v2 } from "@google-cloud/run";
import { TestEngine, startEngine } from "../helpers/engine";
import { googleRunClientOptions } from "../helpers/google-run-client";
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

test("@google-cloud/run in REST mode: createService's operation gives a Service that serves; getService; updateService with a new env var makes a new revision in listRevisions; deleteService's operation finishes and the service is gone", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const revisions = new v2.RevisionsClient(googleRunClientOptions(engine));
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
    // A page at a time: pageSize, and the pageToken the first page handed out.
    const [firstPage, next] = await revisions.listRevisions({ parent: created.name, pageSize: 1 }, { autoPaginate: false });
    t.truthy(next?.pageToken, "a page of one of two revisions says there is more");
    const [lastPage, after] = await revisions.listRevisions(
      { parent: created.name, pageSize: 1, pageToken: next?.pageToken },
      { autoPaginate: false },
    );
    t.deepEqual(
      [...firstPage, ...lastPage].map((r) => r.name?.split("/").pop()),
      [second, first],
    );
    t.falsy(after?.pageToken, "the last page says there is no more");

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

test("secrets and volumes through the v2 API: a secretKeyRef env, a secret file and an in-memory volume reach the container; a read-modify-update keeps them; the CLI shows them", async (t) => {
  const created = await engine.skiff(["secrets", "create", "node-pass", "--data-file", "-"], { input: "s3cret-value" });
  t.is(created.code, 0, created.stderr);
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const parent = "projects/default/locations/europe-west1";
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-mounted",
      service: {
        invokerIamDisabled: true,
        template: {
          volumes: [
            { name: "keys", secret: { secret: "projects/default/secrets/node-pass", items: [{ path: "pass", version: "1" }] } },
            { name: "scratch", emptyDir: { medium: "MEMORY", sizeLimit: "16Mi" } },
          ],
          containers: [
            {
              image,
              env: [
                { name: "PLAIN", value: "x" },
                { name: "DB_PASSWORD", valueSource: { secretKeyRef: { secret: "node-pass", version: "latest" } } },
              ],
              volumeMounts: [
                { name: "keys", mountPath: "/secrets" },
                { name: "scratch", mountPath: "/scratch" },
              ],
            },
          ],
        },
      },
    });
    const [service] = await creating.promise();
    const host = hostOf(engine, "node-mounted");
    const env = async () => JSON.parse((await engine.request(host, "/env")).body) as Record<string, string>;
    t.like(await env(), { PLAIN: "x", DB_PASSWORD: "s3cret-value" });
    t.is((await engine.request(host, `/file?path=${encodeURIComponent("/secrets/pass")}`)).body, "s3cret-value");
    const mounts = (await engine.request(host, `/file?path=${encodeURIComponent("/proc/mounts")}`)).body;
    t.regex(mounts, /^tmpfs \/scratch tmpfs /m, "the in-memory volume is a tmpfs");

    const object = await engine.skiffJson(["services", "describe", "node-mounted"]);
    const described = JSON.stringify(object);
    const shownEnv = object.spec.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[];
    t.deepEqual(
      shownEnv.find((e) => e.name === "DB_PASSWORD")?.valueFrom,
      { secretKeyRef: { name: "node-pass", key: "latest" } },
      described,
    );
    t.false(described.includes("s3cret-value"), "no value in what the CLI prints");

    const [got] = await services.getService({ name: service.name });
    t.deepEqual(
      got.template?.containers?.[0].env?.map((e) => [e.name, e.value || e.valueSource?.secretKeyRef?.secret]),
      [
        ["PLAIN", "x"],
        ["DB_PASSWORD", "node-pass"],
      ],
    );
    got.template!.containers![0].env!.push({ name: "ADDED", value: "two" });
    const [updating] = await services.updateService({ service: got });
    const [updated] = await updating.promise();
    t.not(updated.latestReadyRevision, service.latestReadyRevision);
    t.like(await env(), { PLAIN: "x", ADDED: "two", DB_PASSWORD: "s3cret-value" });
    t.deepEqual(
      updated.template?.volumes?.map((v) => v.name),
      ["keys", "scratch"],
      "the update sent back what it read, and nothing was lost",
    );

    const [badSecret] = await Promise.allSettled([
      services.createService({
        parent,
        serviceId: "node-bad-mount",
        service: {
          template: {
            containers: [{ image, volumeMounts: [{ name: "v", mountPath: "/proc/x" }] }],
            volumes: [{ name: "v", emptyDir: {} }],
          },
        },
      }),
    ]);
    t.is(badSecret.status, "rejected");
    const reason = (badSecret as PromiseRejectedResult).reason as { code?: number; message?: string };
    t.is(reason.code, 3, "INVALID_ARGUMENT");
    t.regex(reason.message ?? "", /service\.template\.containers\[0\]\.volumeMounts\[0\]\.mountPath: must not be \/proc or under it/);
  } finally {
    const [deleting] = await services.deleteService({ name: `${parent}/services/node-mounted` }).catch(() => [undefined]);
    await deleting?.promise();
    await services.close();
  }
});
