import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeRevision, describeService, hostOf } from "../helpers/cli";
import { DockerEventLog } from "../helpers/docker-events";
import { eventually, type HttpAnswer } from "../helpers/http";

// What a client sees when a revision has no capacity: 429 when every instance is busy at the
// revision's maximum for longer than the queue limit (10 s), 500 "no available instance" when the
// revision could add an instance but cannot start one in time, and 504 for a handler slower than
// the request timeout, after which the same instance serves the next request.
// The three tests use separate services and run side by side; each one is dominated by waiting.

let engine: TestEngine;
let image: string;
let events: DockerEventLog;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  events = new DockerEventLog({ "skiff.engine": engine.engineId });
});

test.after.always(async () => {
  events?.stop();
  await engine?.dispose();
});

interface Timed {
  answer: HttpAnswer;
  ms: number;
}

async function timed(service: string, path: string, timeoutMs = 40_000): Promise<Timed> {
  const started = Date.now();
  const answer = await engine.request(hostOf(engine, service), path, { timeoutMs });
  return { answer, ms: Date.now() - started };
}

/** Waits until the service's only revision has exactly `n` requests in flight (so the next one must queue). */
async function untilInFlight(service: string, n: number): Promise<void> {
  await eventually(
    `${service} has ${n} request(s) in flight`,
    async () => (await describeService(engine, service)).scaling?.some((s) => s.inFlight === n),
    10_000,
    100,
  );
}

function why(label: string, x: Timed): string {
  return `${label}: ${x.answer.status} after ${x.ms} ms: ${x.answer.body.trim()}\n${engine.logTail(25)}`;
}

test("every instance busy at max-instances for longer than the 10 s queue limit: the queued request gets 429 after ~10 s", async (t) => {
  await deploy(engine, "busy", ["--image", image, "--concurrency", "1", "--max-instances", "1"]);
  const hold = timed("busy", "/sleep?ms=15000");
  await untilInFlight("busy", 1);

  const queued = await timed("busy", "/");
  t.is(queued.answer.status, 429, why("the queued request", queued));
  t.true(queued.ms >= 9_500, `the request waited in the queue for the 10 s limit before the 429: ${queued.ms} ms`);
  t.true(queued.ms <= 14_000, `and not much longer: ${queued.ms} ms`);
  t.log(`429 after ${queued.ms} ms`);
  t.regex(queued.answer.body, /too many requests/i);
  t.regex(queued.answer.body, /maximum number of instances/);

  const held = await hold;
  t.is(held.answer.status, 200, why("the request holding the instance", held));
  t.is(held.answer.body, "slept 15000ms\n");
  const running = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "busy" && c.state === "running");
  t.is(running.length, 1, "max-instances 1: the queued request never started a second instance");
});

test("a revision below max-instances whose new instances cannot start: the queued request gets 500 'no available instance' after ~10 s", async (t) => {
  // The first instance starts before failAt; every instance started after it exits 4 at once.
  const failAt = Date.now() + 15_000;
  await deploy(engine, "starved", [
    "--image",
    image,
    "--concurrency",
    "1",
    "--max-instances",
    "3",
    "--env",
    `FIXTURE_FAIL_AFTER=${failAt}`,
  ]);
  t.true(
    Date.now() < failAt,
    `the deploy (and so the first instance) must finish before FIXTURE_FAIL_AFTER; it finished ${Date.now() - failAt} ms after`,
  );
  const revision = (await describeService(engine, "starved")).latestReadyRevision ?? "";
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, failAt - Date.now()) + 500));

  const hold = timed("starved", "/sleep?ms=15000");
  await untilInFlight("starved", 1);
  const queuedAt = Date.now();
  const queued = await timed("starved", "/");
  t.is(queued.answer.status, 500, why("the queued request", queued));
  t.true(queued.ms >= 9_500, `the request waited the 10 s queue limit before the 500: ${queued.ms} ms`);
  t.true(queued.ms <= 14_000, `and not much longer: ${queued.ms} ms`);
  t.log(`500 after ${queued.ms} ms: ${queued.answer.body.trim()}`);
  t.regex(queued.answer.body, /no available instance/);
  t.notRegex(queued.answer.body, /maximum number of instances/, "the revision was below its maximum: not a 429 case");

  // The engine did try: instances of this revision were created after failAt and exited 4.
  const died = events.of("die").filter((e) => e.attributes["skiff.revision"] === revision && e.atMs >= queuedAt);
  t.true(died.length >= 1, `at least one replacement was tried while the request waited:\n${events.summary()}`);
  t.deepEqual(
    [...new Set(died.map((e) => e.attributes.exitCode))],
    ["4"],
    `every later instance exited 4 (FIXTURE_FAIL_AFTER):\n${events.summary()}`,
  );

  const held = await hold;
  t.is(held.answer.status, 200, why("the request holding the first instance", held));
  t.is((await describeRevision(engine, revision)).status, "READY", "failed extra starts do not fail a READY revision");
});

test("a handler slower than --timeout 2 gets 504 after ~2 s, and the same instance serves the next request with 200", async (t) => {
  // One instance with one slot: if the timed-out request kept its slot, the next request would queue (and get a 429).
  await deploy(engine, "slowpoke", ["--image", image, "--timeout", "2", "--concurrency", "1", "--max-instances", "1"]);
  const before = await timed("slowpoke", "/");
  t.is(before.answer.status, 200, why("the first request", before));
  const instance = String(before.answer.headers["x-instance"] ?? "");
  t.regex(instance, /^[0-9a-f]{12}$/, "the fixture names its instance in x-instance");

  const slow = await timed("slowpoke", "/sleep?ms=6000");
  t.is(slow.answer.status, 504, why("the slow request", slow));
  t.true(slow.ms >= 1_900, `the 504 came at the 2 s timeout, not before: ${slow.ms} ms`);
  t.true(slow.ms < 5_000, `the 504 came at the timeout, not when the handler finished (6 s): ${slow.ms} ms`);
  t.log(`504 after ${slow.ms} ms`);
  t.regex(slow.answer.body, /upstream request timeout/);

  const after = await timed("slowpoke", "/");
  t.log(`the request after the 504 took ${after.ms} ms`);
  t.is(after.answer.status, 200, why("the request after the 504", after));
  t.is(after.answer.headers["x-instance"], instance, "the instance that timed out serves the next request");
  t.true(after.ms < 1_500, `the timed-out request's slot was free at once: the next request took ${after.ms} ms`);
  const running = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "slowpoke" && c.state === "running");
  t.deepEqual(
    running.map((c) => c.id.slice(0, 12)),
    [instance],
    "the instance was left running, and it is the only one",
  );
});
