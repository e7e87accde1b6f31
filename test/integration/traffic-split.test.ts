import test from "ava";
import type { ExecutionContext } from "ava";
import type { Service } from "../../provider/model/service";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeRevision, describeService, hostOf, revisionFromBody, transcript } from "../helpers/cli";
import { runLoad, sharePercent, tally } from "../helpers/load";

// The split is accurate per request, a rollback is one command, no request fails while traffic
// moves, bad update-traffic input exits 1 naming the flag and the reason with traffic unchanged, and
// `services describe --format json` shows the resolved traffic, as gcloud's Knative status.traffic.
// Serial: the split counts and the load run must not share the engine's CPU with other tests.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Deploys `count` revisions of `service` (each with a different env) and returns their names, oldest first. */
async function revisionsOf(service: string, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    await deploy(engine, service, ["--image", image, "--env", `FIXTURE_VERSION=${i}`]);
    const s = await describeService(engine, service);
    const name = s.latestCreatedRevision ?? "";
    if (!new RegExp(`^${service}-0000${i}-[a-z]{3}$`).test(name))
      throw new Error(`unexpected revision name ${name} for deploy ${i} of ${service}`);
    names.push(name);
  }
  return names;
}

async function updateTraffic(t: ExecutionContext, service: string, flags: string[]): Promise<void> {
  const args = ["services", "update-traffic", service, ...flags];
  const result = await engine.skiff(args);
  t.is(result.code, 0, transcript(args, result));
  if (result.code !== 0) throw new Error(`update-traffic failed:\n${transcript(args, result)}\n${engine.logTail()}`);
}

/** Percent per revision, as `services describe` resolves it. */
function percentsOf(s: Service): Record<string, number> {
  const out: Record<string, number> = {};
  for (const status of s.trafficStatuses) out[status.revision] = (out[status.revision] ?? 0) + status.percent;
  return out;
}

async function sample(service: string, count: number, workers = 4) {
  const result = await runLoad({ port: engine.ingressPort, host: hostOf(engine, service), count, workers, maxMs: 90_000 });
  return result.samples;
}

test.serial("90/10 across two revisions: of 2,000 requests each revision's share is within ±2 points", async (t) => {
  const [a, b] = await revisionsOf("split-two", 2);
  await updateTraffic(t, "split-two", ["--to-revisions", `${a}=90,${b}=10`]);
  t.deepEqual(percentsOf(await describeService(engine, "split-two")), { [a]: 90, [b]: 10 });

  const samples = await sample("split-two", 2000);
  const { byRevision, failures } = tally(samples);
  t.is(samples.length, 2000);
  t.deepEqual(failures.slice(0, 5), [], `every request is answered 200 (${failures.length} were not)`);
  t.deepEqual(Object.keys(byRevision).sort(), [a, b].sort(), `only the two revisions answer: ${JSON.stringify(byRevision)}`);
  const shareA = sharePercent(samples, a);
  const shareB = sharePercent(samples, b);
  t.true(Math.abs(shareA - 90) <= 2, `${a} got ${shareA.toFixed(2)}% (want 90 ± 2): ${JSON.stringify(byRevision)}`);
  t.true(Math.abs(shareB - 10) <= 2, `${b} got ${shareB.toFixed(2)}% (want 10 ± 2): ${JSON.stringify(byRevision)}`);
  t.true(
    samples.every((s) => s.status !== 200 || revisionFromBody(s.body) === s.revision),
    "the body's K_REVISION and the x-revision header agree on every answer",
  );
});

test.serial("34/33/33 across three revisions: each share within ±3 points", async (t) => {
  const [a, b, c] = await revisionsOf("split-three", 3);
  await updateTraffic(t, "split-three", ["--to-revisions", `${a}=34,${b}=33,${c}=33`]);
  t.deepEqual(percentsOf(await describeService(engine, "split-three")), { [a]: 34, [b]: 33, [c]: 33 });

  const samples = await sample("split-three", 2000);
  const { byRevision, failures } = tally(samples);
  t.is(failures.length, 0, JSON.stringify(failures.slice(0, 5)));
  for (const [revision, want] of [
    [a, 34],
    [b, 33],
    [c, 33],
  ] as const) {
    const share = sharePercent(samples, revision);
    t.true(Math.abs(share - want) <= 3, `${revision} got ${share.toFixed(2)}% (want ${want} ± 3): ${JSON.stringify(byRevision)}`);
  }
});

test.serial("rollback: update-traffic --to-revisions OLD=100 takes effect on the next request", async (t) => {
  const [old, current] = await revisionsOf("rollback", 2);
  // The second deploy follows LATEST: the new revision serves everything.
  for (let i = 0; i < 5; i++) {
    const answer = await engine.request(hostOf(engine, "rollback"), "/");
    t.is(answer.status, 200, answer.body);
    t.is(revisionFromBody(answer.body), current);
  }

  await updateTraffic(t, "rollback", ["--to-revisions", `${old}=100`]);
  // No polling: the very next request, and every one after it, reaches the old revision.
  for (let i = 0; i < 20; i++) {
    const answer = await engine.request(hostOf(engine, "rollback"), "/");
    t.is(answer.status, 200, answer.body);
    t.is(revisionFromBody(answer.body), old, `request ${i} after the rollback`);
    t.is(answer.headers["x-revision"], old);
  }
  const s = await describeService(engine, "rollback");
  t.deepEqual(percentsOf(s), { [old]: 100 });
  t.deepEqual(
    s.trafficStatuses.map((x) => [x.type, x.revision, x.percent]),
    [["REVISION", old, 100]],
  );

  // And forward again, also at once.
  await updateTraffic(t, "rollback", ["--to-latest"]);
  const forward = await engine.request(hostOf(engine, "rollback"), "/");
  t.is(revisionFromBody(forward.body), current);
});

test.serial("under bounded load, moving traffic 100/0 → 50/50 → 0/100 fails no request", async (t) => {
  const [a] = await revisionsOf("moving", 1);
  // B comes with no traffic: the split starts at 100/0.
  await deploy(engine, "moving", ["--image", image, "--env", "FIXTURE_VERSION=2", "--no-traffic"]);
  const b = (await describeService(engine, "moving")).latestCreatedRevision ?? "";
  t.regex(b, /^moving-00002-[a-z]{3}$/);
  t.deepEqual(percentsOf(await describeService(engine, "moving")), { [a]: 100 });

  const load = runLoad({
    port: engine.ingressPort,
    host: hostOf(engine, "moving"),
    count: 3000,
    workers: 4,
    minMs: 6000,
    maxMs: 60_000,
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await updateTraffic(t, "moving", ["--to-revisions", `${a}=50,${b}=50`]);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await updateTraffic(t, "moving", ["--to-revisions", `${b}=100`]);
  const { samples, elapsedMs } = await load;

  const { byRevision, failures } = tally(samples);
  t.is(samples.length, 3000, `the run was cut short after ${elapsedMs} ms`);
  t.true(elapsedMs >= 5000, `the load spans at least 5 s (it took ${elapsedMs} ms)`);
  t.deepEqual(
    failures.slice(0, 10).map((f) => ({ status: f.status, error: f.error, body: f.body.slice(0, 200), at: f.at })),
    [],
    `zero failed requests; ${failures.length} of ${samples.length} failed`,
  );
  t.true((byRevision[a] ?? 0) > 0 && (byRevision[b] ?? 0) > 0, `both revisions answered: ${JSON.stringify(byRevision)}`);
  t.deepEqual(Object.keys(byRevision).sort(), [a, b].sort());

  // After the last move, B serves everything.
  t.deepEqual(percentsOf(await describeService(engine, "moving")), { [b]: 100 });
  for (let i = 0; i < 10; i++) t.is(revisionFromBody((await engine.request(hostOf(engine, "moving"), "/")).body), b);
});

test.serial(
  "services describe --format json shows the resolved traffic as Knative's status.traffic, with revision, percent, tag and url",
  async (t) => {
    const [a, b] = await revisionsOf("described", 2);
    await updateTraffic(t, "described", ["--to-revisions", `${a}=70,${b}=30`, "--set-tags", `stable=${a},canary=${b}`]);
    const port = engine.ingressPort;
    const knative = await engine.skiffJson(["services", "describe", "described"]);
    t.is(knative.apiVersion, "serving.knative.dev/v1");
    t.is(knative.kind, "Service");
    t.is(knative.status.url, `http://described.localhost:${port}`);
    t.deepEqual(
      [...knative.status.traffic].sort((x: { revisionName: string }, y: { revisionName: string }) =>
        x.revisionName.localeCompare(y.revisionName),
      ),
      [
        { revisionName: a, percent: 70, tag: "stable", url: `http://stable---described.localhost:${port}` },
        { revisionName: b, percent: 30, tag: "canary", url: `http://canary---described.localhost:${port}` },
      ],
    );
    const s = await describeService(engine, "described");
    const statuses = [...s.trafficStatuses].sort((x, y) => x.revision.localeCompare(y.revision));
    t.deepEqual(statuses, [
      { type: "REVISION", revision: a, percent: 70, tag: "stable", url: `http://stable---described.localhost:${port}` },
      { type: "REVISION", revision: b, percent: 30, tag: "canary", url: `http://canary---described.localhost:${port}` },
    ]);
    t.is(s.url, `http://described.localhost:${port}`);
    const percentSum = s.trafficStatuses.reduce((sum, x) => sum + x.percent, 0);
    t.is(percentSum, 100);
    t.deepEqual((await describeRevision(engine, b)).urls, [`http://canary---described.localhost:${port}`]);
  },
);

// ---- bad input ----

interface BadInputContext {
  service: string;
  a: string;
  b: string;
  failed: string;
}

let bad: Promise<BadInputContext> | undefined;

/** One service for every bad-input case: A and B at 50/50, a tag on A, and a FAILED revision C. */
function badInputService(): Promise<BadInputContext> {
  bad ??= (async () => {
    const service = "guarded";
    const [a, b] = await revisionsOf(service, 2);
    const args = ["services", "update-traffic", service, "--to-revisions", `${a}=50,${b}=50`, "--set-tags", `stable=${a}`];
    const set = await engine.skiff(args);
    if (set.code !== 0) throw new Error(transcript(args, set));
    const deployArgs = [
      "deploy",
      service,
      "--image",
      image,
      "--env",
      "FIXTURE_MODE=exit",
      "--startup-probe",
      "periodSeconds=2,failureThreshold=1",
    ];
    const failedDeploy = await engine.skiff(deployArgs);
    if (failedDeploy.code === 0) throw new Error(`a revision that exits must not deploy:\n${transcript(deployArgs, failedDeploy)}`);
    const failed = (await describeService(engine, service)).latestCreatedRevision ?? "";
    const status = (await describeRevision(engine, failed)).status;
    if (!/^guarded-00003-[a-z]{3}$/.test(failed) || status !== "FAILED")
      throw new Error(`expected a FAILED guarded-00003, got ${failed} ${status}`);
    return { service, a, b, failed };
  })();
  return bad;
}

/** Runs update-traffic with bad flags; checks exit 1, the named flag and reason, and that traffic did not move. */
async function refused(
  t: ExecutionContext,
  flags: (c: BadInputContext) => string[],
  field: string,
  reason: (c: BadInputContext) => RegExp,
) {
  const c = await badInputService();
  const before = await describeService(engine, c.service);
  const args = ["services", "update-traffic", c.service, ...flags(c)];
  const result = await engine.skiff(args);
  t.is(result.code, 1, transcript(args, result));
  t.true(result.stderr.includes(field), `stderr names ${field}\n${transcript(args, result)}`);
  t.regex(result.stderr, reason(c), transcript(args, result));
  const after = await describeService(engine, c.service);
  t.deepEqual(after.traffic, before.traffic, "traffic is unchanged");
  t.deepEqual(after.trafficStatuses, before.trafficStatuses, "traffic statuses are unchanged");
  t.deepEqual(percentsOf(after), { [c.a]: 50, [c.b]: 50 });
}

test.serial(
  "bad input: percents that sum to more than 100",
  refused,
  (c) => ["--to-revisions", `${c.a}=60,${c.b}=50`],
  "--to-revisions",
  () => /sum.*\b100\b.*\b110\b/i,
);

test.serial(
  "bad input: percents that sum to less than 100 with nothing to take the rest",
  refused,
  (c) => ["--to-revisions", `${c.a}=30,${c.b}=30`],
  "--to-revisions",
  () => /sum to 60\b.*\b40\b/i,
);

test.serial(
  "bad input: an unknown revision",
  refused,
  () => ["--to-revisions", "guarded-00009-zzz=100"],
  "--to-revisions",
  () => /unknown revision "guarded-00009-zzz"/,
);

test.serial(
  "bad input: a failed revision cannot get traffic",
  refused,
  (c) => ["--to-revisions", `${c.failed}=100`],
  "--to-revisions",
  (c) => new RegExp(`"${c.failed}" failed`),
);

test.serial(
  "bad input: a failed revision cannot get a tag",
  refused,
  (c) => ["--set-tags", `broken=${c.failed}`],
  "--set-tags",
  (c) => new RegExp(`"${c.failed}" failed`),
);

test.serial(
  // In one value the last one counts, as gcloud's ArgDict (unit: traffic-update); in two flags it is refused, as its UpdateAction.
  "bad input: the same tag in two --set-tags",
  refused,
  (c) => ["--set-tags", `dup=${c.a}`, "--set-tags", `dup=${c.b}`],
  "--set-tags",
  () => /'dup' cannot be given in more than one --set-tags/,
);

test.serial(
  "bad input: a tag that is not a DNS label",
  refused,
  (c) => ["--set-tags", `Bad_Tag=${c.a}`],
  "--set-tags",
  () => /Bad_Tag.*DNS label/,
);

test.serial(
  "bad input: a tag with '---'",
  refused,
  (c) => ["--set-tags", `a---b=${c.a}`],
  "--set-tags",
  () => /a---b.*---/,
);

test.serial(
  "bad input: a negative percent",
  refused,
  (c) => ["--to-revisions", `${c.a}=-10,${c.b}=110`],
  "--to-revisions",
  (c) => new RegExp(`'${c.a}'.*whole number.*-10`),
);

test.serial(
  "bad input: a percent over 100",
  refused,
  (c) => ["--to-revisions", `${c.a}=150`],
  "--to-revisions",
  (c) => new RegExp(`'${c.a}'.*whole number.*150`),
);

test.serial(
  "bad input: an unknown tag in --to-tags",
  refused,
  () => ["--to-tags", "nosuch=100"],
  "--to-tags",
  () => /unknown tag "nosuch".*stable/,
);

test.serial("after every refusal the 50/50 split still serves and the failed revision never answers", async (t) => {
  const c = await badInputService();
  const samples = await sample(c.service, 200, 2);
  const { byRevision, failures } = tally(samples);
  t.is(failures.length, 0, JSON.stringify(failures.slice(0, 5)));
  t.deepEqual(Object.keys(byRevision).sort(), [c.a, c.b].sort(), "the failed revision never answers");
  t.true(Math.abs(sharePercent(samples, c.a) - 50) <= 5, JSON.stringify(byRevision));
});
