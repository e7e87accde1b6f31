import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeRevision, describeService, hostOf, listRevisions, transcript } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { newConnectionLoad, outcomes } from "../helpers/probes";

// The engine dies (kill -9) while it serves and while it deploys; the next start serves the same
// containers without a wrong answer and cleans up what was half done.
// Serial: each test kills the one engine of this file.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

async function runningContainerIds(): Promise<string[]> {
  return (await engine.containers())
    .filter((c) => c.state === "running")
    .map((c) => c.id)
    .sort();
}

test.serial(
  "kill -9 under load, then engine start on the same ports: no request is answered 404 and exactly the same containers run",
  async (t) => {
    await deploy(engine, "live", ["--image", image]);
    const before = await runningContainerIds();
    t.is(before.length, 1, "one instance of live before the kill");

    const load = newConnectionLoad({ port: engine.ingressPort, host: hostOf(engine, "live"), workers: 8 });
    await new Promise((r) => setTimeout(r, 2_000));
    const killedAt = Date.now() - load.startedAt;
    await engine.killDaemon();
    const deadAt = Date.now() - load.startedAt;
    await new Promise((r) => setTimeout(r, 1_000));
    const startingAt = Date.now() - load.startedAt;
    await engine.start(engine.samePortFlags());
    const startedAt = Date.now() - load.startedAt;
    await new Promise((r) => setTimeout(r, 3_000));
    const samples = await load.stop();

    const counts = outcomes(samples);
    const report = `kill at +${killedAt} ms (gone at +${deadAt} ms), engine start from +${startingAt} to +${startedAt} ms; outcomes ${JSON.stringify(counts)}`;
    t.log(report);
    const answered = samples.filter((s) => !s.error);
    t.deepEqual(
      answered.filter((s) => s.status !== 200).map((s) => `+${s.at} ms: ${s.status} ${s.body?.trim()}`),
      [],
      `every answer is 200 (a live service is never 404 or 5xx while the engine comes back); ${report}\n${engine.logTail(20)}`,
    );
    // While nothing listens, connections are refused; a request in flight at the kill is cut (one per client at most).
    const errors = samples.filter((s) => s.error);
    t.deepEqual(
      [...new Set(errors.map((s) => s.error))].filter((e) => e !== "ECONNREFUSED" && e !== "ECONNRESET"),
      [],
      `the only failures are refused (nothing listened) or reset (in flight at the kill); ${report}`,
    );
    t.true(errors.filter((s) => s.error === "ECONNRESET").length <= 8, `at most one request per client is cut by the kill; ${report}`);
    const late = errors.filter((s) => (s.error === "ECONNRESET" ? s.at > deadAt : s.at < killedAt || s.at > startedAt));
    t.deepEqual(
      late.map((s) => `+${s.at} ms: ${s.error}`),
      [],
      `resets only for requests sent before the daemon was gone, refusals only while it was down; ${report}`,
    );
    t.true(answered.filter((s) => s.at > startedAt).length >= 8, `requests after the restart are answered; ${report}`);

    t.deepEqual(await runningContainerIds(), before, "the same container serves after the restart: none duplicated, none leaked");
    t.deepEqual((await engine.containers()).map((c) => c.id).sort(), before, "and no stopped container is left either");
  },
);

test.serial(
  "kill -9 during deploy --tag of a slow starter, then engine start: the revision is FAILED, no traffic entry carries the tag, update-traffic --to-latest works",
  async (t) => {
    await deploy(engine, "tagged", ["--image", image]);
    const ready = (await describeService(engine, "tagged")).latestReadyRevision ?? "";
    t.regex(ready, /^tagged-00001-[a-z]{3}$/);

    const args = ["deploy", "tagged", "--tag", "t", "--env", "FIXTURE_LISTEN_DELAY_MS=8000"];
    const deploying = engine.skiff(args, { timeoutMs: 60_000 });
    const pending = await eventually(
      "the tagged revision is starting (PENDING, with a container)",
      async () => {
        const newest = (await listRevisions(engine, "tagged")).find((r) => r.name !== ready);
        if (newest?.status !== "PENDING") return undefined;
        const containers = (await engine.containers()).filter((c) => c.labels["skiff.revision"] === newest.name);
        return containers.length > 0 ? newest.name : undefined;
      },
      20_000,
      200,
    );
    await engine.killDaemon();
    const interrupted = await deploying;
    t.not(interrupted.code, 0, `the deploy cannot succeed once its engine is gone\n${transcript(args, interrupted)}`);

    await engine.start(engine.samePortFlags());
    const revision = await describeRevision(engine, pending);
    t.is(revision.status, "FAILED", JSON.stringify(revision));
    t.is(revision.error, `revision ${pending} is not ready: the engine stopped while it was starting; deploy again`);

    const service = await describeService(engine, "tagged");
    t.deepEqual(
      service.traffic.filter((e) => e.tag === "t"),
      [],
      `no traffic entry carries tag t: ${JSON.stringify(service.traffic)}`,
    );
    t.deepEqual(
      service.trafficStatuses.filter((e) => e.tag === "t"),
      [],
      `no traffic status carries tag t: ${JSON.stringify(service.trafficStatuses)}`,
    );
    t.deepEqual(
      service.trafficStatuses.map((s) => [s.revision, s.percent]),
      [[ready, 100]],
      "the ready revision keeps all traffic",
    );
    const tagUrl = await engine.request(`t---tagged.localhost:${engine.ingressPort}`, "/");
    t.is(tagUrl.status, 404, `the tag URL is gone: ${tagUrl.body}`);

    const update = await engine.skiff(["services", "update-traffic", "tagged", "--to-latest", "--format", "json"]);
    t.is(update.code, 0, transcript(["services", "update-traffic", "tagged", "--to-latest"], update));
    // The CLI's JSON is gcloud's: a pair per traffic target, its routed percent statusPercent.
    const after = JSON.parse(update.stdout || "[]") as { revisionName: string; statusPercent: string }[];
    t.deepEqual(
      after.map((p) => [p.revisionName, p.statusPercent]),
      [[ready, "100"]],
      update.stdout,
    );
    const served = await engine.request(hostOf(engine, "tagged"), "/");
    t.is(served.status, 200, served.body);
    t.is(served.body, `K_REVISION=${ready}\n`);

    await eventually(
      "the interrupted revision's container is removed",
      async () => (await engine.containers()).every((c) => c.labels["skiff.revision"] !== pending),
      20_000,
    ).catch(() => undefined);
    t.deepEqual(
      (await engine.containers()).filter((c) => c.labels["skiff.revision"] === pending).map((c) => `${c.id} ${c.state}`),
      [],
      "the interrupted revision's container is removed after the restart",
    );
  },
);
