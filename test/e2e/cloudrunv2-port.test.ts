import { promises as fs } from "node:fs";
import * as path from "node:path";
import test from "ava";
import { containersWithLabels } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { eventually, httpRequest } from "../helpers/http";
import { containerOf, nodeIn } from "../helpers/in-container";
import { demoImage } from "../helpers/node-image";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, hostOfUrl, portOfUrl, suffix, transcript } from "./pulumi";

// examples/cloudrunv2-port, a pulumi-gcp program whose import line is its only mention of skiff,
// run with `pulumi` in its folder: the migration job's execution runs before `up` finishes, the
// service answers on `uri`, a canary release takes 10 % with its tag URL, the domain mapping
// routes, the API key comes from Secret Manager and the volumes are mounted, a preview right after
// is empty, and destroy leaves nothing of the stack (its secret included).

const id = suffix();
const stack = `port-${id}`;
const domain = `hello-${id}.example.test`;
const API_KEY = `api-key-${id}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  let image: string;
  // The example's own image: it serves, and acts out a migration as a job's task.
  [image, engine] = await Promise.all([demoImage(), startEngine()]);
  project = await PulumiProject.example("cloudrunv2-port", engine.home);
  await project.initStack(stack, { image, domain, "gcp:project": "my-project-name" });
  await project.ok(stack, ["config", "set", "--secret", "apiKey", API_KEY]);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

/** Which revision answered each of `n` requests (the example's image says "Served by revision R."). */
async function servedBy(url: string, n: number, host = hostOfUrl(url)): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const answer = await httpRequest(portOfUrl(url), host, "/");
    const key =
      answer.status === 200
        ? (/Served by revision (\S+)\./.exec(answer.body)?.[1] ?? answer.body)
        : `HTTP ${answer.status}: ${answer.body.trim()}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function executions() {
  return (await engine.api()).listExecutions(stack, "migrate");
}

test.serial("the program's only skiff-specific line is its import", async (t) => {
  const source = await fs.readFile(path.join(project.dir, "index.ts"), "utf8");
  t.deepEqual(
    source.split("\n").filter((line) => /skiff-run|@pulumi\/gcp/.test(line)),
    ['import * as gcp from "skiff-run";'],
  );
});

test.serial("pulumi up runs the migration first, then serves release v1 on uri and on the mapped domain", async (t) => {
  const up = await project.up(stack);
  const upFinished = new Date().toISOString();
  t.regex(up.stdout, /warning: cloudrunv2\.Service "hello": accepted without local effect: location\n/);

  const out = await project.outputs(stack);
  t.is(out.uri, `http://hello.${stack}.localhost:${engine.ingressPort}`);
  t.is(out.latestReadyRevision, "hello-v1");
  t.deepEqual(out.trafficStatuses, [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", revision: "hello-v1", percent: 100 }]);
  t.deepEqual(await servedBy(out.uri, 20), { "hello-v1": 20 });

  const [run] = await executions();
  t.is(run.status, "SUCCEEDED");
  t.deepEqual(out.migration, [{ name: run.name, createTime: run.createTime, completionTime: run.completionTime }]);
  t.true(run.completionTime !== undefined && run.completionTime <= upFinished, `${run.completionTime} before ${upFinished}`);

  t.is(out.mappedDomain, domain);
  t.is(out.mappingStatuses[0].mappedRouteName, "hello");
  t.deepEqual(await servedBy(out.uri, 5, `${domain}:${engine.ingressPort}`), { "hello-v1": 5 });
});

test.serial("in the container: API_KEY from Secret Manager, the bucket's folder at /uploads, 64Mi in memory at /scratch", async (t) => {
  const container = await containerOf(engine, { "skiff.project": stack, "skiff.service": "hello" });
  const seen = await nodeIn(
    container,
    `const fs = require("fs");
     fs.writeFileSync("/uploads/hello.txt", "uploaded");
     const mounts = fs.readFileSync("/proc/self/mounts", "utf8").split(require("os").EOL).filter((l) => l.includes(" /scratch "));
     console.log(JSON.stringify({ key: process.env.API_KEY, scratch: mounts }));`,
  );
  t.is(seen.code, 0, seen.stderr);
  const { key, scratch } = JSON.parse(seen.stdout) as { key: string; scratch: string[] };
  t.is(key, API_KEY);
  t.regex(scratch[0] ?? "", /^tmpfs \/scratch tmpfs .*size=65536k/);
  t.is(await fs.readFile(path.join(engine.home, "buckets", "hello-uploads", "hello.txt"), "utf8"), "uploaded");
  const exported = (await project.ok(stack, ["stack", "export"])).stdout;
  t.false(exported.includes(API_KEY), "the key is not in the state in plain text");
  t.deepEqual(stateRowsMentioning(engine.home, API_KEY), [], "nor in the engine's state.db");
});

test.serial("a canary release: its migration runs, then it takes 10 % of 1,000 requests and its tag URL", async (t) => {
  await project.ok(stack, ["config", "set", "release", "v2"]);
  await project.ok(stack, ["config", "set", "previousRelease", "v1"]);
  const before = new Date().toISOString();
  await project.up(stack);
  const upFinished = new Date().toISOString();

  const out = await project.outputs(stack);
  t.deepEqual(out.trafficStatuses, [
    { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "hello-v1", percent: 90 },
    {
      type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST",
      revision: "hello-v2",
      percent: 10,
      tag: "canary",
      uri: `http://canary---hello.${stack}.localhost:${engine.ingressPort}`,
    },
  ]);
  t.is(out.canaryUri, `http://canary---hello.${stack}.localhost:${engine.ingressPort}`);

  // The engine's split is exact per window of requests (smooth weighted round-robin), so 1,000
  // sequential requests land within a request or two of 900/100; Cloud Run's target is ±2 %.
  const split = await servedBy(out.uri, 1000);
  t.log(`1,000 requests: ${JSON.stringify(split)}`);
  t.deepEqual(Object.keys(split).sort(), ["hello-v1", "hello-v2"], JSON.stringify(split));
  t.true(Math.abs(split["hello-v2"] - 100) <= 2, JSON.stringify(split));
  t.deepEqual(await servedBy(out.canaryUri, 20), { "hello-v2": 20 });
  const viaDomain = await servedBy(out.uri, 100, `${domain}:${engine.ingressPort}`);
  t.true(Math.abs((viaDomain["hello-v2"] ?? 0) - 10) <= 2, JSON.stringify(viaDomain));

  const runs = await executions();
  t.is(runs.length, 2);
  const latest = runs.find((r) => r.createTime >= before);
  t.is(latest?.status, "SUCCEEDED");
  t.is(latest?.template.env.SCHEMA_VERSION, "v2");
  t.true(latest?.completionTime !== undefined && latest.completionTime <= upFinished);
  t.deepEqual(
    out.migration.map((e: { name: string }) => e.name),
    [latest?.name],
  );
});

test.serial("pulumi preview --expect-no-changes passes right after up, and after a refresh", async (t) => {
  const result = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(result.code, 0, transcript("pulumi preview --expect-no-changes", result));
  await project.ok(stack, ["refresh", "--yes"]);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes (after refresh)", again));
});

test.serial("pulumi destroy leaves no container, revision, job, execution, mapping or secret of the stack", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  const api = await engine.api();
  t.deepEqual(await project.resources(stack), []);
  t.deepEqual(await api.listServices(stack), []);
  t.deepEqual(await api.listRevisions(stack), []);
  t.deepEqual(await api.listJobs(stack), []);
  t.deepEqual(await api.listExecutions(stack), []);
  t.deepEqual(await api.listDomainMappings(stack), []);
  t.deepEqual(await api.listSecrets(stack), []);
  // Containers stop in the background once out of routing (drain, SIGTERM, grace), as a delete does.
  await eventually("the stack's containers to be gone", async () => (await containersWithLabels({ "skiff.project": stack })).length === 0);
  t.deepEqual(await containersWithLabels({ "skiff.project": stack }), []);
  t.is((await httpRequest(engine.ingressPort, `${domain}:${engine.ingressPort}`, "/")).status, 404);
  t.deepEqual(stateRowsMentioning(engine.home, stack), []);
});
