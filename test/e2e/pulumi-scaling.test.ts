import * as path from "node:path";
import test from "ava";
import { ContainerSummary, containersWithLabels } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { describeRevision, describeService } from "../helpers/cli";
import { LoadResult, runLoad } from "../helpers/load";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, changedLeaves, hostOfUrl, portOfUrl, stepsFor, suffix, transcript } from "./pulumi";

// A Pulumi program whose service scales between 1 and 3 instances at 2 requests per instance:
// the bounds hold under load and at rest, and changing only the max is an in-place update that cuts
// a new revision, as in Cloud Run.

const stack = `scale-${suffix()}`;
const GRACE_MS = 2_000;
const STABLE_MS = 4_000;
let engine: TestEngine;
let image: string;
let project: PulumiProject;

test.before(async () => {
  [image, engine] = await Promise.all([
    fixtureImage(),
    startEngine({
      flags: ["--scale-to-zero-grace", `${GRACE_MS / 1000}s`, "--stable-window", `${STABLE_MS / 1000}s`, "--panic-window", "1s"],
    }),
  ]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "scaling"), engine.home);
  await project.initStack(stack, { image });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every container (any state: starting, running, stopping) this engine has for the revision. */
function containersOf(revision: string): Promise<ContainerSummary[]> {
  return containersWithLabels({ "skiff.engine": engine.engineId, "skiff.revision": revision });
}

interface Sample {
  /** Epoch ms when the listing came back. */
  at: number;
  ids: string[];
}

/** Samples the revision's containers every ~100 ms until stop() is called; stop() resolves with the samples. */
function sampleContainers(revision: string): { stop: () => Promise<Sample[]> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const due = Date.now() + 100;
      const ids = (await containersOf(revision)).map((c) => c.id);
      samples.push({ at: Date.now(), ids });
      await sleep(Math.max(0, due - Date.now()));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

function histogram(values: readonly (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}

test.serial(
  "with min 1, max 3 and concurrency 2, 30 concurrent slow requests run at most 3 instances and reach 3; after the load and the grace exactly 1 stays",
  async (t) => {
    await project.up(stack);
    const out = await project.outputs(stack);
    t.regex(out.latestReadyRevision, /^api-00001-[a-z]{3}$/);
    const revision: string = out.latestReadyRevision;
    const service = await describeService(engine, "api", stack);
    t.deepEqual(service.template.scaling, { minInstanceCount: 1, maxInstanceCount: 3 });
    t.is(service.template.maxInstanceRequestConcurrency, 2);
    t.is((await containersOf(revision)).length, 1, "min 1: one instance runs right after up");

    const sampler = sampleContainers(revision);
    let load: LoadResult;
    let restFrom: number;
    try {
      // 30 workers each keep one GET /sleep?ms=1000 open; new requests start for 8 s, then the open ones finish.
      load = await runLoad({
        port: portOfUrl(out.url),
        host: hostOfUrl(out.url),
        path: "/sleep?ms=1000",
        count: 10_000,
        workers: 30,
        maxMs: 8_000,
        requestTimeoutMs: 20_000,
      });
      // The stable window must forget the load and the grace must pass with no request at all.
      await sleep(STABLE_MS + GRACE_MS + 1_000);
      const deadline = Date.now() + 20_000;
      while ((await containersOf(revision)).length !== 1 && Date.now() < deadline) await sleep(200);
      restFrom = Date.now();
      await sleep(GRACE_MS + 1_500);
    } finally {
      await sampler.stop();
    }
    const samples = await sampler.stop();
    const rest = samples.filter((s) => s.at >= restFrom);

    const counts = samples.map((s) => s.ids.length);
    const peak = Math.max(...counts);
    t.log(
      `load: ${load.samples.length} requests in ${load.elapsedMs} ms, statuses ${JSON.stringify(histogram(load.samples.map((s) => s.status)))}`,
    );
    t.log(`${samples.length} samples of the container count: ${JSON.stringify(histogram(counts))}`);
    t.true(samples.length >= 100, `sampled every ~100 ms for well over 10 s, got ${samples.length} samples`);
    t.true(
      counts.every((n) => n <= 3),
      `never more than maxInstanceCount (3) containers; counts over time: ${JSON.stringify(counts)}`,
    );
    t.is(peak, 3, `the load (30 at concurrency 2 wants 15) reaches the max of 3; counts over time: ${JSON.stringify(counts)}`);

    const answered = load.samples.filter((s) => s.status === 200);
    t.deepEqual(
      load.samples.filter((s) => s.status !== 200 && s.status !== 429).map((s) => `${s.status} ${s.error ?? s.body.trim()}`),
      [],
      "every request is served, or refused with 429 at the max (never 500 or a dropped connection)",
    );
    t.deepEqual([...new Set(answered.map((s) => s.revision))], [revision]);
    const allIds = new Set(samples.flatMap((s) => s.ids));
    const instances = new Set(answered.map((s) => s.instance ?? ""));
    t.is(instances.size, 3, `3 instances answered: ${[...instances].join(", ")}`);
    for (const instance of instances)
      t.true(
        [...allIds].some((id) => id.startsWith(instance)),
        `instance ${instance} is one of the sampled containers`,
      );

    // At rest after the grace: one container, the same one throughout, and the autoscaler says why.
    t.true(rest.length >= 20, `sampled the rest period ${rest.length} times`);
    t.deepEqual(
      [...new Set(rest.map((s) => s.ids.length))],
      [1],
      `exactly 1 container at rest: ${JSON.stringify(rest.map((s) => s.ids.length))}`,
    );
    t.is(new Set(rest.map((s) => s.ids[0])).size, 1, "the same instance stays (it is not stopped and replaced)");
    const [kept] = await containersOf(revision);
    t.is(kept.state, "running");
    const described = await describeRevision(engine, revision, stack);
    t.like(described.scaling, { readyInstances: 1, startingInstances: 0, inFlight: 0, queued: 0, desired: 1, reason: "min" });
  },
);

test.serial("changing only maxInstanceCount to 4 previews as an update of template.scaling alone; up cuts revision 00002", async (t) => {
  const before = await describeService(engine, "api", stack);
  t.regex(before.latestReadyRevision ?? "", /^api-00001-[a-z]{3}$/);
  await project.ok(stack, ["config", "set", "maxInstances", "4"]);

  const preview = await project.ok(stack, ["preview", "--json"]);
  const parsed = JSON.parse(preview.stdout) as { changeSummary?: Record<string, number>; steps?: any[] };
  t.deepEqual(parsed.changeSummary, { same: 1, update: 1 }, "1 update, no replace, create or delete");
  const [step] = stepsFor(parsed.steps ?? [], "Service", "api");
  t.is(step?.op, "update");
  t.deepEqual(step?.replaceReasons ?? [], []);
  t.deepEqual(changedLeaves(step?.oldState?.inputs, step?.newState?.inputs), ["template.scaling.maxInstanceCount"]);

  const diff = await project.ok(stack, ["preview", "--diff"]);
  // The lines Pulumi marks as changed: the resource, then the path down to the one field.
  const marked = diff.stdout
    .split("\n")
    .filter((line) => /^\s*(\+-|[~+-])\s/.test(line) && !/^\s*[~+-] \d+ to /.test(line))
    .map((line) => line.trim().replace(/\s+/g, " "));
  t.deepEqual(
    marked,
    ["~ pulumi-nodejs:dynamic/skiff:Service: (update)", "~ template: {", "~ scaling : {", "~ maxInstanceCount: 3 => 4"],
    diff.stdout,
  );
  t.regex(diff.stdout, /Resources:\n\s+~ 1 to update\n\s+1 unchanged\n/);
  t.notRegex(diff.stdout, /replace/);

  await project.up(stack);
  const after = await describeService(engine, "api", stack);
  t.regex(after.latestReadyRevision ?? "", /^api-00002-[a-z]{3}$/);
  t.regex((await project.outputs(stack)).latestReadyRevision, /^api-00002-[a-z]{3}$/);
  t.deepEqual(after.template.scaling, { minInstanceCount: 1, maxInstanceCount: 4 });
  t.is(after.template.maxInstanceRequestConcurrency, 2);
  const noChanges = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(noChanges.code, 0, transcript("pulumi preview --expect-no-changes", noChanges));
});
