import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import { deploy, describeService, firstRevisionOf, hostOf } from "../helpers/cli";
import { runLoad, tally } from "../helpers/load";
import {
  burst,
  hostnameOf,
  revisionContainers,
  sampleContainers,
  SHORT_WINDOW_FLAGS,
  sleep,
  statusCounts,
  watchInflight,
} from "../helpers/scaling";

// Each instance takes at most maxInstanceRequestConcurrency requests at once, however many clients
// wait, and a revision never runs more than maxInstanceCount containers. Requests beyond the slots
// queue (FIFO) and are served; 429 comes only after 10 s in the queue at max scale.
// Serial: the load and the burst must not share the engine's CPU.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: SHORT_WINDOW_FLAGS })]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test.serial(
  "at concurrency 3, 60 concurrent clients for 15 s never put more than 3 requests on any instance, and no request fails",
  async (t) => {
    // Max 10 instances = 30 slots for 60 clients: the queue is never empty, so every instance runs at its
    // limit the whole time. A request waits about one 50 ms answer for a slot, far below the 10 s after
    // which the contract allows a 429, so the expected error count is 0. Min 1 keeps the deployed
    // instance until the load starts, so the run always begins from one warm instance.
    await deploy(engine, "limited", ["--image", image, "--concurrency", "3", "--min-instances", "1", "--max-instances", "10"]);
    const revision = await firstRevisionOf(engine, "limited");
    const inflight = watchInflight(engine, revision, 500);
    const containers = sampleContainers(engine, { revision }, 250);
    const { samples, elapsedMs } = await runLoad({
      port: engine.ingressPort,
      host: hostOf(engine, "limited"),
      path: "/sleep?ms=50",
      count: 30_000,
      workers: 60,
      maxMs: 15_000,
      requestTimeoutMs: 30_000,
    }).finally(() => Promise.all([inflight.stop(), containers.stop()]));
    // Stopped right after the load, before the autoscaler drains anything: the last /inflight answers are final.
    const [maxima, seen] = await Promise.all([inflight.stop(), containers.stop()]);
    const { byRevision, failures } = tally(samples);

    t.true(elapsedMs >= 14_000, `the load ran for about 15 s (${elapsedMs} ms)`);
    t.true(samples.length >= 1_000, `the load sent ${samples.length} requests`);
    t.deepEqual(
      failures.slice(0, 5).map((f) => ({ status: f.status, error: f.error, body: f.body.slice(0, 200), at: f.at })),
      [],
      `0 errors expected; ${failures.length} of ${samples.length} failed: ${JSON.stringify(statusCounts(failures))}`,
    );
    t.deepEqual(Object.keys(byRevision), [revision]);

    const perInstance = Object.fromEntries([...maxima].map(([id, max]) => [hostnameOf(id), max]));
    const served = [...new Set(samples.filter((s) => s.status === 200).map((s) => s.instance ?? ""))].sort();
    t.deepEqual(
      served.filter((h) => !(h in perInstance)),
      [],
      `every instance that answered was asked for its /inflight: ${JSON.stringify(perInstance)}`,
    );
    const over = Object.entries(perInstance).filter(([, max]) => max > 3);
    t.deepEqual(over, [], `no instance ever had more than 3 requests in flight: ${JSON.stringify(perInstance)}`);
    t.is(Math.max(...maxima.values()), 3, `the load filled instances to their limit of 3: ${JSON.stringify(perInstance)}`);
    t.true(served.length >= 2, `the load spread over several instances: ${served.join(", ")}`);
    t.true(Math.max(...seen.counts) <= 10, `never more than the 10 max instances: ${JSON.stringify(seen.counts)}\n${engine.logTail(30)}`);
  },
);

test.serial(
  "at concurrency 2 with max 3, a burst of 60 slow requests never runs more than 3 containers; all 60 are served 200",
  async (t) => {
    // 3 instances x 2 slots: 60 requests of 500 ms take 10 rounds, so the last waits about 4.5 s in the
    // queue, below the 10 s after which a 429 would be allowed: every request is expected to get 200.
    // Min 1: the burst meets the deployed instance, not one that is stopping after the grace.
    await deploy(engine, "capped", ["--image", image, "--concurrency", "2", "--min-instances", "1", "--max-instances", "3"]);
    const revision = await firstRevisionOf(engine, "capped");
    const sampler = sampleContainers(engine, { revision }, 100);
    const answers = await burst(engine, hostOf(engine, "capped"), "/sleep?ms=500", 60, 60_000).finally(() => sleep(1_000));
    const seen = await sampler.stop();

    t.deepEqual(statusCounts(answers), { "200": 60 }, JSON.stringify(answers.filter((a) => a.status !== 200).slice(0, 3)));
    t.true(
      answers.every((a) => a.body === "slept 500ms\n"),
      "every answer is the full /sleep answer",
    );
    // 6 slots in all: the k-th answer cannot arrive before ceil(k / 6) * 500 ms.
    const finished = answers.map((a) => a.ms).sort((x, y) => x - y);
    const early = finished.map((ms, i) => ({ k: i + 1, ms, earliest: Math.ceil((i + 1) / 6) * 500 })).filter((x) => x.ms < x.earliest);
    t.deepEqual(early, [], `answers arrive in waves of at most 6: ${JSON.stringify(finished)}`);
    t.true(seen.counts.length >= 20, `sampled the containers ${seen.counts.length} times`);
    t.true(
      Math.max(...seen.counts) <= 3,
      `never more than 3 containers of the revision: ${JSON.stringify(seen.counts)}\n${engine.logTail(15)}`,
    );
    t.is(Math.max(...seen.counts), 3, `the burst scaled the revision to its max of 3: ${JSON.stringify(seen.counts)}`);
    t.is(
      seen.ids.size,
      3,
      `3 containers in all: no instance is stopped while requests still queue for it\n${[...seen.ids].join("\n")}\n${engine.logTail(15)}`,
    );
    t.deepEqual(
      [...new Set(answers.map((a) => a.instance))].sort(),
      [...seen.ids].map(hostnameOf).sort(),
      "the 3 containers served the burst",
    );
  },
);

test.serial(
  "at max 3, a burst right after scale-to-zero, while the old container is still stopping, never runs more than 3 containers",
  async (t) => {
    // The app ignores SIGTERM, so its container lives on for the 10 s stop grace after the revision
    // scaled to zero. A container that runs counts against maxInstanceCount until it is gone.
    await deploy(engine, "overlap", ["--image", image, "--concurrency", "2", "--max-instances", "3", "--env", "FIXTURE_TRAP_SIGTERM=1"]);
    const revision = await firstRevisionOf(engine, "overlap");
    const [old] = await revisionContainers(engine, revision);
    await eventually(
      "overlap scales to zero",
      async () => (await describeService(engine, "overlap")).scaling.find((s) => s.revision === revision)?.readyInstances === 0,
      30_000,
      100,
    );
    const stillThere = (await revisionContainers(engine, revision)).map((c) => `${c.id} ${c.state}`);
    t.deepEqual(stillThere, [`${old?.id} running`], "the old container is still stopping when the burst comes");

    const sampler = sampleContainers(engine, { revision }, 100);
    const answers = await burst(engine, hostOf(engine, "overlap"), "/sleep?ms=1000", 12, 60_000).finally(() => sleep(500));
    const seen = await sampler.stop();
    t.deepEqual(statusCounts(answers), { "200": 12 }, JSON.stringify(answers.filter((a) => a.status !== 200).slice(0, 3)));
    t.true(
      Math.max(...seen.counts) <= 3,
      `never more than 3 containers of the revision, the stopping one included: ${JSON.stringify(seen.counts)}\n${engine.logTail(15)}`,
    );
    t.false(
      answers.some((a) => a.instance === hostnameOf(old?.id ?? "")),
      "the stopping container takes no request",
    );
  },
);
