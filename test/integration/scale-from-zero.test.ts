import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import { deploy, describeService, hostOf } from "../helpers/cli";
import { runLoad } from "../helpers/load";
import { burst, hostnameOf, revisionContainers, sampleContainers, SHORT_WINDOW_FLAGS, sleep, statusCounts } from "../helpers/scaling";

// From zero, a burst of N requests at concurrency C starts ceil(N/C) instances at once (bounded by
// max): 40 at concurrency 80 start one, 40 at concurrency 1 with max 8 start eight and the other 32
// queue; every request is held until it is served, none is lost. And the autoscaler, once the first
// instance is ready, does not provision the same burst again at its 60 % target: 80 closed-loop
// clients at concurrency 10 start ceil(80/10) = 8 instances (9 allowed), not ceil(80/6) = 14.
// Serial: the bursts must not share the engine's CPU; the services reach zero together beforehand.

const SLEEP_MS = 1_500;
const BURST = 40;
/** Issue 27, item 8: 200 requests from 80 clients, each sending its next request when answered. */
const CROWD_REQUESTS = 200;
const CROWD_CLIENTS = 80;
const CROWD_SLEEP_MS = 100;

let engine: TestEngine;
let image: string;

interface ColdService {
  service: string;
  revision: string;
  /** The containers the revision had before it scaled to zero. */
  former: string[];
}

let cold: Promise<Record<string, ColdService>>;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: SHORT_WINDOW_FLAGS })]);
  // Deployed and idled to zero together, so the file waits for the grace only once.
  cold = Promise.all([
    coldService("wide", ["--concurrency", "80"]),
    coldService("narrow", ["--concurrency", "1", "--max-instances", "8"]),
    coldService("crowd", ["--concurrency", "10"]),
  ]).then((list) => Object.fromEntries(list.map((c) => [c.service, c])));
  // Keep an early failure from being an unhandled rejection; the tests await it and report it.
  cold.catch(() => undefined);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Deploys the service and waits until its revision has no container and describe shows no instance. */
async function coldService(service: string, flags: string[]): Promise<ColdService> {
  await deploy(engine, service, ["--image", image, ...flags]);
  const revision = (await describeService(engine, service)).latestCreatedRevision ?? "";
  const former = (await revisionContainers(engine, revision)).map((c) => c.id);
  await eventually(`${service} scales to zero`, async () => (await revisionContainers(engine, revision)).length === 0, 40_000, 200);
  const status = (await describeService(engine, service)).scaling.find((s) => s.revision === revision);
  if (status?.readyInstances !== 0 || status.startingInstances !== 0) {
    throw new Error(`${service} has no container but describe shows instances: ${JSON.stringify(status)}`);
  }
  return { service, revision, former };
}

/**
 * Sends the burst on new connections while sampling the revision's containers every 100 ms, and
 * keeps sampling for a second after the last answer (a late start would show there).
 */
async function burstFromZero(c: ColdService) {
  const before = await revisionContainers(engine, c.revision);
  if (before.length !== 0) throw new Error(`${c.service} is not at zero before the burst: ${JSON.stringify(before)}`);
  const sampler = sampleContainers(engine, { revision: c.revision }, 100);
  const answers = await burst(engine, hostOf(engine, c.service), `/sleep?ms=${SLEEP_MS}`, BURST, 120_000).finally(() => sleep(1_000));
  const seen = await sampler.stop();
  return { answers, seen };
}

test.serial("a burst of 40 at concurrency 80 from zero starts exactly 1 instance and all 40 are served 200", async (t) => {
  const c = (await cold).wide;
  const { answers, seen } = await burstFromZero(c);

  t.deepEqual(
    statusCounts(answers),
    { "200": BURST },
    `every request is served: ${JSON.stringify(answers.filter((a) => a.status !== 200).slice(0, 3))}`,
  );
  t.true(
    answers.every((a) => a.body === `slept ${SLEEP_MS}ms\n` && a.revision === c.revision),
    "every answer is the full /sleep answer of the revision",
  );
  t.is(seen.ids.size, 1, `exactly one container started for the burst: ${[...seen.ids].join(", ")}`);
  t.is(Math.max(...seen.counts), 1, `never more than one container: ${JSON.stringify(seen.counts)}`);
  t.false(
    [...seen.ids].some((id) => c.former.includes(id)),
    "the container is new, not the one before zero",
  );
  t.deepEqual([...new Set(answers.map((a) => a.instance))], [...seen.ids].map(hostnameOf), "that one instance served all 40");
});

test.serial(
  "a burst of 40 at concurrency 1 with max 8 from zero starts exactly 8 instances; the other 32 queue and all 40 are served 200",
  async (t) => {
    const c = (await cold).narrow;
    const { answers, seen } = await burstFromZero(c);

    t.deepEqual(
      statusCounts(answers),
      { "200": BURST },
      `none is lost: ${JSON.stringify(answers.filter((a) => a.status !== 200).slice(0, 3))}`,
    );
    t.true(
      answers.every((a) => a.body === `slept ${SLEEP_MS}ms\n` && a.revision === c.revision),
      "every answer is the full /sleep answer of the revision",
    );
    t.is(seen.ids.size, 8, `exactly 8 containers started for the burst: ${[...seen.ids].join(", ")}`);
    t.is(Math.max(...seen.counts), 8, `never more than 8 containers at once: ${JSON.stringify(seen.counts)}`);
    t.false(
      [...seen.ids].some((id) => c.former.includes(id)),
      "all of them are new",
    );
    const instances = [...new Set(answers.map((a) => a.instance))].sort();
    t.deepEqual(instances, [...seen.ids].map(hostnameOf).sort(), "the 8 distinct x-instance values are those 8 containers");

    // At concurrency 1 each instance finishes at most one request per 1.5 s, so with 8 instances the
    // k-th answer cannot arrive before ceil(k / 8) * 1.5 s: 32 of the 40 waited in the queue.
    const finished = answers.map((a) => a.ms).sort((x, y) => x - y);
    const early = finished.map((ms, i) => ({ k: i + 1, ms, earliest: Math.ceil((i + 1) / 8) * SLEEP_MS })).filter((x) => x.ms < x.earliest);
    t.deepEqual(early, [], `answers arrive in waves of at most 8: ${JSON.stringify(finished)}`);
    t.true(finished[BURST - 1] >= 5 * SLEEP_MS, `the last answer took at least five rounds (${finished[BURST - 1]} ms)`);
  },
);

test.serial(
  "200 requests from 80 closed-loop clients at concurrency 10 from zero start at most 9 instances (ceil(80/10) = 8, plus one), and all 200 are served 200",
  async (t) => {
    const c = (await cold).crowd;
    const before = await revisionContainers(engine, c.revision);
    if (before.length !== 0) throw new Error(`crowd is not at zero before the load: ${JSON.stringify(before)}`);
    const sampler = sampleContainers(engine, { revision: c.revision }, 100);
    const { samples, elapsedMs } = await runLoad({
      port: engine.ingressPort,
      host: hostOf(engine, c.service),
      path: `/sleep?ms=${CROWD_SLEEP_MS}`,
      count: CROWD_REQUESTS,
      workers: CROWD_CLIENTS,
      maxMs: 60_000,
      requestTimeoutMs: 60_000,
    }).finally(() => sleep(2_000)); // a late start (the autoscaler's next decisions) would show here
    const seen = await sampler.stop();

    const started = [...seen.ids].filter((id) => !c.former.includes(id));
    t.log(`${started.length} instances started; the load took ${elapsedMs} ms; containers per sample: ${seen.counts.join(" ")}`);
    t.deepEqual(
      statusCounts(samples),
      { "200": CROWD_REQUESTS },
      `every request is served: ${JSON.stringify(samples.filter((s) => s.status !== 200).slice(0, 3))}`,
    );
    t.true(
      samples.every((s) => s.body === `slept ${CROWD_SLEEP_MS}ms\n` && s.revision === c.revision),
      "every answer is the full /sleep answer of the revision",
    );
    t.is(started.length, seen.ids.size, "no container from before zero came back");
    t.true(started.length <= 9, `at most ceil(80/10) + 1 = 9 instances started, not ceil(80/6) = 14: ${started.length}`);
    t.true(started.length >= 8, `80 clients at concurrency 10 need 8 instances: ${started.length}`);
  },
);
