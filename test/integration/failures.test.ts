import test from "ava";
import type { ExecutionContext } from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import {
  SHORT_STARTUP_PROBE,
  deploy,
  describeRevision,
  describeService,
  hostOf,
  listRevisions,
  revisionFromBody,
  transcript,
} from "../helpers/cli";

// Revisions that never become ready fail with their logs and take no traffic.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/**
 * Deploys a good revision, then a bad one acted out by the fixture; checks the bad one ends FAILED
 * with the fixture's last words in its error and that the good one keeps serving.
 */
async function failingRevisionKeepsPreviousServing(t: ExecutionContext, service: string, mode: string, lastWords: string) {
  await deploy(engine, service, ["--image", image, ...SHORT_STARTUP_PROBE]);
  const good = (await describeService(engine, service)).latestReadyRevision ?? "";
  t.regex(good, new RegExp(`^${service}-00001-[a-z]{3}$`));

  const args = ["deploy", service, "--image", image, "--env", `FIXTURE_MODE=${mode}`, ...SHORT_STARTUP_PROBE];
  const failed = await engine.skiff(args);
  t.not(failed.code, 0, `a deploy whose revision fails must not exit 0\n${transcript(args, failed)}`);
  t.true((failed.stderr + failed.stdout).includes(lastWords), `the deploy error shows the log tail\n${transcript(args, failed)}`);

  const after = await describeService(engine, service);
  const bad = after.latestCreatedRevision ?? "";
  t.regex(bad, new RegExp(`^${service}-00002-[a-z]{3}$`), "the failed template still made revision 00002");
  t.is(after.latestReadyRevision, good, "the ready revision is still the first one");

  const revision = await describeRevision(engine, bad);
  t.is(revision.status, "FAILED");
  t.true((revision.error ?? "").includes(lastWords), `error carries the log tail: ${revision.error}`);
  const listed = (await listRevisions(engine, service)).find((r) => r.name === bad);
  t.is(listed?.status, "FAILED");

  for (let i = 0; i < 5; i++) {
    const answer = await engine.request(hostOf(engine, service), "/");
    t.is(answer.status, 200, answer.body);
    t.is(revisionFromBody(answer.body), good, "the previous revision answers, never the failed one");
  }
  const running = (await engine.containers()).filter((c) => c.labels["skiff.revision"] === bad && c.state === "running");
  t.deepEqual(running, [], "no instance of the failed revision is left running");
}

test("a revision whose container exits at once fails with its log tail; the previous one keeps serving", async (t) => {
  await failingRevisionKeepsPreviousServing(t, "exits", "exit", "fixture: exiting on purpose");
});

test("a revision that never listens fails at its startup deadline with its log tail; the previous one keeps serving", async (t) => {
  await failingRevisionKeepsPreviousServing(t, "mute", "never-listen", "fixture: not listening");
});

test("a revision whose app listens on 127.0.0.1 only fails at its startup deadline, saying so; the previous one keeps serving", async (t) => {
  // Cloud Run's startup probe and requests reach the ingress container from outside it: a listener
  // on its loopback address is never ready (the container contract: listen on 0.0.0.0).
  await deploy(engine, "loopback", ["--image", image, ...SHORT_STARTUP_PROBE]);
  const good = (await describeService(engine, "loopback")).latestReadyRevision ?? "";
  const args = ["deploy", "loopback", "--image", image, "--env", "FIXTURE_LISTEN_HOST=127.0.0.1", ...SHORT_STARTUP_PROBE];
  const failed = await engine.skiff(args);
  t.not(failed.code, 0, transcript(args, failed));
  t.regex(failed.stderr, /loopback address only.*listen on 0\.0\.0\.0/, transcript(args, failed));
  const after = await describeService(engine, "loopback");
  t.is(after.latestReadyRevision, good);
  const bad = await describeRevision(engine, after.latestCreatedRevision ?? "");
  t.is(bad.status, "FAILED");
  t.regex(bad.error ?? "", /did not listen on port 8080 .*loopback address only/);
  // services describe says why, as gcloud shows the Ready condition's message.
  const described = await engine.skiff(["services", "describe", "loopback"]);
  t.regex(
    described.stdout,
    /\n {2}Latest failed: +revision loopback-00002-[a-z]{3} is not ready: .*loopback address only/,
    described.stdout,
  );
  const answer = await engine.request(hostOf(engine, "loopback"), "/");
  t.is(answer.status, 200, answer.body);
  t.is(revisionFromBody(answer.body), good);
});

test("a revision whose app listens on another port than PORT fails naming the port it listens on", async (t) => {
  const args = ["deploy", "wrong-port", "--image", image, "--env", "FIXTURE_LISTEN_PORT=8081", ...SHORT_STARTUP_PROBE];
  const failed = await engine.skiff(args);
  t.not(failed.code, 0, transcript(args, failed));
  const [revision] = await listRevisions(engine, "wrong-port");
  t.is(revision?.status, "FAILED");
  t.regex((await describeRevision(engine, revision.name)).error ?? "", /did not listen on port 8080 .*it listens on port 8081 instead/);
});

test("a first revision that fails leaves a service with no ready revision and no route", async (t) => {
  const args = ["deploy", "born-broken", "--image", image, "--env", "FIXTURE_MODE=exit", ...SHORT_STARTUP_PROBE];
  const failed = await engine.skiff(args);
  t.not(failed.code, 0, transcript(args, failed));
  const [revision] = await listRevisions(engine, "born-broken");
  t.is(revision?.status, "FAILED");
  const answer = await engine.request(hostOf(engine, "born-broken"), "/");
  t.true(answer.status >= 500 || answer.status === 404, `no revision serves: got ${answer.status} ${answer.body}`);
});
