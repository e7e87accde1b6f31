import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeRevision, describeService, hostOf, transcript } from "../helpers/cli";

// A liveness probe on real Docker (gcloud's `--liveness-probe httpGet.path=...`): an instance whose
// /healthz starts answering 500 (the fixture's /sick) is replaced after failureThreshold failed
// GETs in a row, and the requests after that are served by a new instance; a healthy one is never
// replaced. Periods of 1 s keep it to seconds.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

const LIVENESS = ["--liveness-probe", "httpGet.path=/healthz,periodSeconds=1,timeoutSeconds=1,failureThreshold=2"];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The instance (its container's short id, the fixture's hostname) that answered. */
async function servedBy(service: string): Promise<{ status: number; instance: string }> {
  const answer = await engine.request(hostOf(engine, service), "/");
  return { status: answer.status, instance: String(answer.headers["x-instance"] ?? "") };
}

test.serial(
  "an instance whose /healthz starts failing is replaced after the threshold, and later requests reach a new instance",
  async (t) => {
    await deploy(engine, "sickens", ["--image", image, ...LIVENESS]);
    const revision = (await describeService(engine, "sickens")).latestReadyRevision ?? "";
    t.deepEqual((await describeRevision(engine, revision)).template.livenessProbe, {
      httpGet: { path: "/healthz" },
      initialDelaySeconds: 0,
      timeoutSeconds: 1,
      periodSeconds: 1,
      failureThreshold: 2,
    });
    const before = await servedBy("sickens");
    t.is(before.status, 200);
    t.truthy(before.instance);

    const sickAt = Date.now();
    t.is((await engine.request(hostOf(engine, "sickens"), "/sick")).status, 200);
    // The next request after the instance is gone waits for (or reaches) the new one.
    let after = before;
    while (Date.now() - sickAt < 30_000) {
      after = await servedBy("sickens");
      if (after.status === 200 && after.instance !== before.instance) break;
      await pause(200);
    }
    const replacedAfterMs = Date.now() - sickAt;
    t.log(`a new instance answered ${replacedAfterMs} ms after /sick`);
    t.is(after.status, 200);
    t.not(after.instance, before.instance, "a new instance serves the requests after the old one failed its probe");
    // Two failed GETs a second apart, a 1 s back-off and a start: seconds, not the 30 s cap.
    t.true(replacedAfterMs < 15_000, `replaced in ${replacedAfterMs} ms`);
    for (let i = 0; i < 3; i++) t.is((await servedBy("sickens")).instance, after.instance, "the new instance keeps serving");

    // The engine said why: on the revision and in the service's log.
    const why = (await describeRevision(engine, revision)).instanceError ?? "";
    t.regex(why, /was stopped: its liveness probe GET \/healthz on port 8080 failed 2 times in a row \(the last answer was status 500\)/);
    const logs = await engine.skiff(["logs", "read", "sickens", "--limit", "50", "--severity", "ERROR"]);
    t.regex(logs.stdout, /liveness probe GET \/healthz on port 8080 failed 2 times in a row/, transcript(["logs", "read"], logs));
    // The old instance's container is gone.
    const containers = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "sickens");
    t.is(containers.length, 1, JSON.stringify(containers.map((c) => c.labels)));

    // `describe` shows the probe, and the export round-trips it.
    const described = await engine.skiff(["services", "describe", "sickens"]);
    t.regex(described.stdout, /Liveness probe: +GET \/healthz on port 8080 every 1s \(timeout 1s, dead after 2 failures in a row\)/);
    const exported = await engine.skiff(["services", "describe", "sickens", "--format", "export"]);
    t.regex(
      exported.stdout,
      /livenessProbe:\n\s+failureThreshold: 2\n\s+httpGet:\n\s+path: \/healthz\n\s+port: 8080\n\s+periodSeconds: 1\n\s+timeoutSeconds: 1/,
      exported.stdout,
    );
  },
);

test.serial("a healthy instance with a liveness probe is never replaced", async (t) => {
  await deploy(engine, "steady", ["--image", image, ...LIVENESS]);
  const first = await servedBy("steady");
  t.is(first.status, 200);
  // Eight periods: eight GETs that pass.
  await pause(8000);
  const later = await servedBy("steady");
  t.is(later.instance, first.instance, "the same instance serves after 8 s of passing probes");
  const revision = (await describeService(engine, "steady")).latestReadyRevision ?? "";
  t.falsy((await describeRevision(engine, revision)).instanceError);
  const warm = JSON.parse((await engine.request(hostOf(engine, "steady"), "/warmup")).body) as { healthz: { status: number }[] };
  t.log(`/healthz was asked ${warm.healthz.length} times in ~8 s`);
  t.true(warm.healthz.length >= 5 && warm.healthz.length <= 12, `about one GET a second: ${warm.healthz.length}`);
  t.true(warm.healthz.every((h) => h.status === 200));
});

test.serial("a TCP liveness probe is refused naming the key, and nothing changes", async (t) => {
  await deploy(engine, "tcp-live", ["--image", image]);
  const before = (await describeService(engine, "tcp-live")).latestCreatedRevision;
  const args = ["deploy", "tcp-live", "--liveness-probe", "tcpSocket.port=8080"];
  const refused = await engine.skiff(args);
  t.is(refused.code, 1, transcript(args, refused));
  t.regex(refused.stderr, /--liveness-probe: tcpSocket\.port is not a liveness check Cloud Run runs/);
  const timeout = ["deploy", "tcp-live", "--liveness-probe", "httpGet.path=/healthz,periodSeconds=2,timeoutSeconds=3"];
  const refused2 = await engine.skiff(timeout);
  t.is(refused2.code, 1, transcript(timeout, refused2));
  t.regex(refused2.stderr, /--liveness-probe.*timeoutSeconds.*must not exceed periodSeconds \(2\)/s, refused2.stderr);
  t.is((await describeService(engine, "tcp-live")).latestCreatedRevision, before);
});

test.serial("after an engine restart the re-adopted instance is probed again: it is replaced once its /healthz fails", async (t) => {
  await deploy(engine, "adopted", ["--image", image, "--min-instances", "1", ...LIVENESS]);
  const before = await servedBy("adopted");
  t.is(before.status, 200);
  await engine.restart();
  t.is((await servedBy("adopted")).instance, before.instance, "the same instance, taken back");
  const sickAt = Date.now();
  t.is((await engine.request(hostOf(engine, "adopted"), "/sick")).status, 200);
  let after = before;
  while (Date.now() - sickAt < 30_000) {
    after = await servedBy("adopted");
    if (after.status === 200 && after.instance !== before.instance) break;
    await pause(200);
  }
  t.log(`after the restart, a new instance answered ${Date.now() - sickAt} ms after /sick`);
  t.not(after.instance, before.instance, "the adopted instance's liveness probe runs");
});
