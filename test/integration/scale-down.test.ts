import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf } from "../helpers/cli";
import { describeFailures, runClients } from "../helpers/clients";
import { DockerEventLog, type DockerEvent } from "../helpers/docker-events";
import { eventually } from "../helpers/http";

// Scale-down never fails a request: an instance leaves routing first, finishes what it serves, and
// only then gets SIGTERM. A ramp of 1 → 60 → 0 closed-loop clients makes the autoscaler add
// instances and then take them away while requests still flow; every answer must be a 200.
// Serial and alone in its file: the ramp is the heaviest load in the suite and must not share the
// engine's CPU with another test. Short autoscaler windows so the ramp fits in about a minute.

let engine: TestEngine;
let image: string;
let events: DockerEventLog;

test.before(async () => {
  [image, engine] = await Promise.all([
    fixtureImage(),
    startEngine({ flags: ["--stable-window", "6s", "--panic-window", "2s", "--scale-to-zero-grace", "3s"] }),
  ]);
  events = new DockerEventLog({ "skiff.engine": engine.engineId });
});

test.after.always(async () => {
  events?.stop();
  await engine?.dispose();
});

const RAMP_UP_MS = 25_000;
const PLATEAU_MS = 7_000;
const RAMP_DOWN_MS = 25_000;
const LOAD_MS = RAMP_UP_MS + PLATEAU_MS + RAMP_DOWN_MS + 3_000;
const PEAK_CLIENTS = 60;

/** 1 → 60 clients over 25 s, 60 for 7 s, 60 → 0 over 25 s, then 3 s with none. */
function clientsAt(ms: number): number {
  if (ms < RAMP_UP_MS) return 1 + Math.floor(((PEAK_CLIENTS - 1) * ms) / RAMP_UP_MS);
  if (ms < RAMP_UP_MS + PLATEAU_MS) return PEAK_CLIENTS;
  const down = ms - RAMP_UP_MS - PLATEAU_MS;
  return Math.max(0, Math.ceil((PEAK_CLIENTS * (RAMP_DOWN_MS - down)) / RAMP_DOWN_MS));
}

/** How many of the revision's containers were running at each start/die, from Docker's own events. */
function runningOverTime(revisionEvents: DockerEvent[]): { atMs: number; running: number }[] {
  let running = 0;
  const series: { atMs: number; running: number }[] = [];
  for (const e of [...revisionEvents].sort((a, b) => a.atMs - b.atMs)) {
    if (e.action === "start") running += 1;
    else if (e.action === "die") running -= 1;
    else continue;
    series.push({ atMs: e.atMs, running });
  }
  return series;
}

test.serial("a ramp of 1 → 60 → 0 clients at concurrency 4 gets only 200s while instances are added and then drained away", async (t) => {
  // max-instances 10 bounds the containers on a 2-core machine; 10 × 4 slots still serve 60 clients
  // of 100 ms requests with a queue wait far below the 10 s limit, so a 429 here would be a bug too.
  await deploy(engine, "ramp", ["--image", image, "--concurrency", "4", "--max-instances", "10"]);
  const revision = (await describeService(engine, "ramp")).latestReadyRevision ?? "";
  t.regex(revision, /^ramp-00001-[a-z]{3}$/);

  // The engine's own view, sampled while the load runs: ready instances of the revision.
  const readySeen: { atMs: number; ready: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await describeService(engine, "ramp").catch(() => undefined);
      const ready = s?.scaling.find((x) => x.revision === revision)?.readyInstances;
      if (ready !== undefined) readySeen.push({ atMs: Date.now(), ready });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();

  // Keep-alive connections from the clients to the ingress (the engine reaches instances over its own pool).
  const load = await runClients({
    port: engine.ingressPort,
    host: hostOf(engine, "ramp"),
    path: "/sleep?ms=100",
    durationMs: LOAD_MS,
    clientsAt,
    keepAlive: true,
    requestTimeoutMs: 30_000,
  });
  sampling = false;
  await sampler;

  const failures = load.samples.filter((s) => s.status !== 200);
  t.is(load.peakClients, PEAK_CLIENTS, "the ramp reached 60 clients at once");
  t.true(load.samples.length > 5_000, `the ramp sent a real load: ${load.samples.length} requests`);
  t.is(
    failures.length,
    0,
    `every request is answered 200; ${failures.length} of ${load.samples.length} were not:\n${describeFailures(load.samples, load.startedAt)}\n${engine.logTail(30)}`,
  );
  t.true(
    load.samples.every((s) => s.status !== 200 || s.body === "slept 100ms\n"),
    "every 200 is the fixture's answer",
  );

  const instancesAnswering = new Set(load.samples.map((s) => s.instance));
  t.true(instancesAnswering.size > 1, `more than one instance answered: ${[...instancesAnswering].join(", ")}`);

  // Docker's view: the revision's running containers rose above 1, and fell again while clients still sent requests.
  const series = runningOverTime(events.events.filter((e) => e.attributes["skiff.revision"] === revision));
  const peak = Math.max(...series.map((p) => p.running));
  const peakAt = series.find((p) => p.running === peak)!.atMs;
  const rampDownEnd = load.startedAt + RAMP_UP_MS + PLATEAU_MS + RAMP_DOWN_MS;
  const stoppedUnderLoad = events
    .of("die")
    .filter((e) => e.attributes["skiff.revision"] === revision && e.atMs > peakAt && e.atMs < rampDownEnd);
  const lowestAfterPeakUnderLoad = Math.min(peak, ...series.filter((p) => p.atMs > peakAt && p.atMs < rampDownEnd).map((p) => p.running));
  const timeline = series.map((p) => `+${Math.round(p.atMs - load.startedAt)} ms: ${p.running}`).join("\n");
  t.log(
    `${load.samples.length} requests, peak ${load.peakClients} clients, ${instancesAnswering.size} instances answered; running containers peaked at ${peak}, ${stoppedUnderLoad.length} stopped during the ramp-down (lowest ${lowestAfterPeakUnderLoad} under load)`,
  );
  t.log(`ready instances per services describe, ~1/s: ${readySeen.map((r) => r.ready).join(" ")}`);
  t.true(peak > 1, `the running instances rose above 1 (peak ${peak}):\n${timeline}`);
  t.true(stoppedUnderLoad.length >= 1, `instances were stopped during the ramp-down, while requests still flowed:\n${timeline}`);
  t.true(lowestAfterPeakUnderLoad < peak, `the count fell from its peak ${peak} to ${lowestAfterPeakUnderLoad} under load:\n${timeline}`);
  t.true(
    stoppedUnderLoad.every((e) => load.samples.some((s) => s.instance === e.id.slice(0, 12))),
    "each instance stopped under load had served requests of the ramp",
  );

  // The engine's view agrees: more than one ready instance at some point, fewer later.
  const maxReady = Math.max(...readySeen.map((r) => r.ready));
  const maxReadyAt = readySeen.find((r) => r.ready === maxReady)!.atMs;
  t.true(maxReady > 1, `services describe showed more than one ready instance: ${JSON.stringify(readySeen.map((r) => r.ready))}`);
  t.true(
    readySeen.some((r) => r.atMs > maxReadyAt && r.ready < maxReady),
    `and fewer after that: ${JSON.stringify(readySeen.map((r) => r.ready))}`,
  );

  // With no requests the revision goes back to zero after the 3 s grace.
  await eventually(
    "the revision scales to zero after the load",
    async () => (await describeService(engine, "ramp")).scaling.find((x) => x.revision === revision)?.readyInstances === 0,
    25_000,
    500,
  );
});
