import test from "ava";
import type { Service } from "../../provider/model/service";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeRevision, describeService, listRevisions, revisionFromBody, skiffOk, transcript } from "../helpers/cli";
import { runLoad, tally } from "../helpers/load";

// Tag URLs (`deploy --no-traffic --tag candidate`), and a revision with traffic or a tag, or the
// service's latest revision, cannot be deleted: 409 naming the traffic entry or saying it is the latest.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

function serviceHost(service: string): string {
  return `${service}.localhost:${engine.ingressPort}`;
}

function tagHost(tag: string, service: string): string {
  return `${tag}---${service}.localhost:${engine.ingressPort}`;
}

async function latestCreated(service: string): Promise<string> {
  return (await describeService(engine, service)).latestCreatedRevision ?? "";
}

/** `count` requests on `host` through a keep-alive agent; the revision that answered each one. */
async function answersOn(host: string, count: number): Promise<{ byRevision: Record<string, number>; failures: number }> {
  const { samples } = await runLoad({ port: engine.ingressPort, host, count, workers: 3, maxMs: 60_000 });
  const { byRevision, failures } = tally(samples);
  const mismatched = samples.filter((s) => s.status === 200 && revisionFromBody(s.body) !== s.revision);
  if (mismatched.length > 0) throw new Error(`body and x-revision disagree: ${JSON.stringify(mismatched.slice(0, 3))}`);
  return { byRevision, failures: failures.length };
}

function percentsOf(s: Service): Record<string, number> {
  const out: Record<string, number> = {};
  for (const status of s.trafficStatuses) out[status.revision] = (out[status.revision] ?? 0) + status.percent;
  return out;
}

test("deploy --no-traffic --tag candidate: only the tag URL serves the candidate; the service URL keeps the old revision", async (t) => {
  await deploy(engine, "shop", ["--image", image, "--env", "FIXTURE_VERSION=1"]);
  const old = await latestCreated("shop");
  t.regex(old, /^shop-00001-[a-z]{3}$/);

  const args = ["deploy", "shop", "--image", image, "--env", "FIXTURE_VERSION=2", "--no-traffic", "--tag", "candidate"];
  const result = await engine.skiff(args);
  t.is(result.code, 0, transcript(args, result));
  const candidate = await latestCreated("shop");
  t.regex(candidate, /^shop-00002-[a-z]{3}$/);
  t.true(
    result.stdout.includes(`http://candidate---shop.localhost:${engine.ingressPort}`),
    `deploy prints the tag URL\n${transcript(args, result)}`,
  );

  const service = await answersOn(serviceHost("shop"), 200);
  t.deepEqual(service, { byRevision: { [old]: 200 }, failures: 0 }, "the service URL serves only the old revision");
  const tagged = await answersOn(tagHost("candidate", "shop"), 100);
  t.deepEqual(tagged, { byRevision: { [candidate]: 100 }, failures: 0 }, "the tag URL serves only the candidate");

  const s = await describeService(engine, "shop");
  t.deepEqual(percentsOf(s), { [old]: 100, [candidate]: 0 });
  const entry = s.trafficStatuses.find((x) => x.tag === "candidate");
  t.like(entry, { revision: candidate, percent: 0, tag: "candidate", url: `http://candidate---shop.localhost:${engine.ingressPort}` });
  t.deepEqual((await describeRevision(engine, candidate)).urls, [`http://candidate---shop.localhost:${engine.ingressPort}`]);

  // Canary at 10 % through the tag: the tag URL still reaches only the candidate.
  await skiffOk(engine, ["services", "update-traffic", "shop", "--to-tags", "candidate=10"]);
  t.deepEqual(percentsOf(await describeService(engine, "shop")), { [old]: 90, [candidate]: 10 });
  t.deepEqual(await answersOn(tagHost("candidate", "shop"), 100), { byRevision: { [candidate]: 100 }, failures: 0 });
  const split = await answersOn(serviceHost("shop"), 200);
  t.is(split.failures, 0);
  t.true(
    Math.abs((split.byRevision[candidate] ?? 0) - 20) <= 4,
    `the service URL gives the candidate ~10 %: ${JSON.stringify(split.byRevision)}`,
  );
});

test("a tag URL always reaches its revision, whatever the split, and a removed tag no longer answers", async (t) => {
  await deploy(engine, "tagged", ["--image", image, "--env", "FIXTURE_VERSION=1"]);
  const a = await latestCreated("tagged");
  await deploy(engine, "tagged", ["--image", image, "--env", "FIXTURE_VERSION=2"]);
  const b = await latestCreated("tagged");
  await deploy(engine, "tagged", ["--image", image, "--env", "FIXTURE_VERSION=3"]);
  const c = await latestCreated("tagged");

  await skiffOk(engine, [
    "services",
    "update-traffic",
    "tagged",
    "--to-revisions",
    `${a}=50,${b}=50`,
    "--set-tags",
    `blue=${a},green=${b},next=${c}`,
  ]);
  for (const [tag, revision] of [
    ["blue", a],
    ["green", b],
    ["next", c],
  ]) {
    t.deepEqual(
      await answersOn(tagHost(tag, "tagged"), 60),
      { byRevision: { [revision]: 60 }, failures: 0 },
      `tag ${tag} reaches ${revision}`,
    );
  }

  // The split moves; the tags do not.
  await skiffOk(engine, ["services", "update-traffic", "tagged", "--to-revisions", `${c}=100`]);
  t.deepEqual(await answersOn(serviceHost("tagged"), 30), { byRevision: { [c]: 30 }, failures: 0 });
  for (const [tag, revision] of [
    ["blue", a],
    ["green", b],
    ["next", c],
  ]) {
    t.deepEqual(
      await answersOn(tagHost(tag, "tagged"), 30),
      { byRevision: { [revision]: 30 }, failures: 0 },
      `tag ${tag} still reaches ${revision}`,
    );
  }

  // Moving a tag moves its URL on the next request; removing one makes its URL unknown.
  await skiffOk(engine, ["services", "update-traffic", "tagged", "--update-tags", `blue=${b}`, "--remove-tags", "green"]);
  t.deepEqual(await answersOn(tagHost("blue", "tagged"), 30), { byRevision: { [b]: 30 }, failures: 0 });
  const gone = await engine.request(tagHost("green", "tagged"), "/");
  t.is(gone.status, 404, `a removed tag's URL is not served: ${gone.status} ${gone.body}`);
  const unknown = await engine.request(tagHost("nosuch", "tagged"), "/");
  t.is(unknown.status, 404, unknown.body);

  // gcloud's --set-tags replaces the tags (blue goes), --clear-tags removes them all; neither goes with --remove-tags.
  await skiffOk(engine, ["services", "update-traffic", "tagged", "--set-tags", `next=${a}`]);
  t.deepEqual(await tagsOf("tagged"), [["next", a]]);
  t.is((await engine.request(tagHost("blue", "tagged"), "/")).status, 404, "blue was replaced");
  t.deepEqual(await answersOn(tagHost("next", "tagged"), 20), { byRevision: { [a]: 20 }, failures: 0 });
  const both = ["services", "update-traffic", "tagged", "--set-tags", `blue=${a}`, "--remove-tags", "next"];
  const refused = await engine.skiff(both);
  t.is(refused.code, 1, transcript(both, refused));
  t.regex(refused.stderr, /^skiff: error: --set-tags: cannot be combined with --remove-tags/);
  await skiffOk(engine, ["services", "update-traffic", "tagged", "--clear-tags"]);
  t.deepEqual(await tagsOf("tagged"), []);
});

async function tagsOf(service: string): Promise<[string, string][]> {
  const s = await describeService(engine, service);
  return s.trafficStatuses.flatMap((entry) => (entry.tag ? [[entry.tag, entry.revision] as [string, string]] : []));
}

test("a revision with traffic or a tag, or the latest revision, cannot be deleted: exit 1 naming why; once free it can", async (t) => {
  await deploy(engine, "keep", ["--image", image, "--env", "FIXTURE_VERSION=1"]);
  const a = await latestCreated("keep");
  await deploy(engine, "keep", ["--image", image, "--env", "FIXTURE_VERSION=2", "--no-traffic", "--tag", "candidate"]);
  const b = await latestCreated("keep");
  await deploy(engine, "keep", ["--image", image, "--env", "FIXTURE_VERSION=3", "--no-traffic"]);
  const c = await latestCreated("keep");
  const before = await describeService(engine, "keep");
  t.deepEqual(percentsOf(before), { [a]: 100, [b]: 0 });

  // A has 100 %.
  const withTraffic = await engine.skiff(["revisions", "delete", a]);
  t.is(withTraffic.code, 1, transcript(["revisions", "delete", a], withTraffic));
  t.true(withTraffic.stderr.includes(a), `names the revision\n${withTraffic.stderr}`);
  t.regex(withTraffic.stderr, /traffic\[\d+\] \(100%\)/, "names the traffic entry and its percent");

  // B has only a tag.
  const withTag = await engine.skiff(["revisions", "delete", b]);
  t.is(withTag.code, 1, transcript(["revisions", "delete", b], withTag));
  t.true(withTag.stderr.includes(b), withTag.stderr);
  t.regex(withTag.stderr, /traffic\[\d+\] \(0%, tag "candidate"\)/, "names the tag entry");

  const after = await describeService(engine, "keep");
  t.deepEqual(after.traffic, before.traffic, "refused deletes leave traffic unchanged");
  t.deepEqual(after.trafficStatuses, before.trafficStatuses);
  t.deepEqual((await listRevisions(engine, "keep")).map((r) => r.name).sort(), [a, b, c].sort(), "nothing was deleted");
  t.deepEqual(await answersOn(tagHost("candidate", "keep"), 10), { byRevision: { [b]: 10 }, failures: 0 });

  // C has neither, but it is the latest revision: Cloud Run keeps it (its template is the service's).
  const latest = await engine.skiff(["revisions", "delete", c]);
  t.is(latest.code, 1, transcript(["revisions", "delete", c], latest));
  t.regex(latest.stderr, new RegExp(`revision "${c}" is the latest revision of service "keep" and cannot be deleted`));
  // The v2 Admin API refuses it the same way, FAILED_PRECONDITION, and so does its validateOnly (it deleted nothing but said yes).
  for (const query of ["", "?validateOnly=true"]) {
    const url = `http://127.0.0.1:${engine.apiPort}/v2/projects/default/locations/us-central1/services/keep/revisions/${c}${query}`;
    const answer = await fetch(url, { method: "DELETE", headers: { authorization: `Bearer ${engine.token}` } });
    const body = (await answer.json()) as { error?: { status: string; message: string } };
    t.is(answer.status, 400, `DELETE ${query}: ${JSON.stringify(body)}`);
    t.is(body.error?.status, "FAILED_PRECONDITION");
    t.regex(body.error?.message ?? "", /is the latest revision of service "keep"/);
  }
  // Free B and delete it.
  await skiffOk(engine, ["services", "update-traffic", "keep", "--remove-tags", "candidate"]);
  await skiffOk(engine, ["revisions", "delete", b]);
  t.deepEqual((await listRevisions(engine, "keep")).map((r) => r.name).sort(), [a, c].sort());
  t.deepEqual(await answersOn(serviceHost("keep"), 20), { byRevision: { [a]: 20 }, failures: 0 });
});

test("deploy --tag with a bad tag name is refused with exit 1 naming the tag and the rule, and makes no revision", async (t) => {
  await deploy(engine, "badtag", ["--image", image]);
  const before = await describeService(engine, "badtag");
  const args = ["deploy", "badtag", "--image", image, "--env", "FIXTURE_VERSION=2", "--no-traffic", "--tag", "Bad_Tag"];
  const result = await engine.skiff(args);
  t.is(result.code, 1, transcript(args, result));
  t.regex(result.stderr, /--tag( \(tag\))?:.*Bad_Tag.*must be a DNS label/, transcript(args, result));
  const after = await describeService(engine, "badtag");
  t.is(after.latestCreatedRevision, before.latestCreatedRevision, "no revision was made");
  t.deepEqual(after.traffic, before.traffic);
  t.deepEqual(after.trafficStatuses, before.trafficStatuses);
});

test("update-traffic as gcloud: tags change before percents, a tag too long beside the service name is refused, removing a missing tag is fine", async (t) => {
  await deploy(engine, "gtags", ["--image", image, "--env", "FIXTURE_VERSION=1"]);
  const a = await latestCreated("gtags");
  await deploy(engine, "gtags", ["--image", image, "--env", "FIXTURE_VERSION=2", "--no-traffic"]);
  const b = await latestCreated("gtags");

  // gcloud run services update-traffic gtags --update-tags next=B --to-tags next=10
  await skiffOk(engine, ["services", "update-traffic", "gtags", "--update-tags", `next=${b}`, "--to-tags", "next=10"]);
  t.deepEqual(percentsOf(await describeService(engine, "gtags")), { [a]: 90, [b]: 10 });
  t.deepEqual(await tagsOf("gtags"), [["next", b]]);

  // "gtags" (5) + 42 = 47: Cloud Run's "Combined traffic tag and service name cannot exceed 46 characters".
  const long = "t".repeat(42);
  const before = await describeService(engine, "gtags");
  for (const args of [
    ["services", "update-traffic", "gtags", "--update-tags", `${long}=${a}`],
    ["deploy", "gtags", "--image", image, "--env", "FIXTURE_VERSION=3", "--no-traffic", "--tag", long],
  ]) {
    const result = await engine.skiff(args);
    t.is(result.code, 1, transcript(args, result));
    t.regex(result.stderr, /together are 47 characters; Cloud Run allows at most 46/, transcript(args, result));
  }
  const after = await describeService(engine, "gtags");
  t.is(after.latestCreatedRevision, b, "no revision was made");
  t.deepEqual(after.trafficStatuses, before.trafficStatuses, "nothing changed");
  await skiffOk(engine, ["services", "update-traffic", "gtags", "--update-tags", `${"t".repeat(41)}=${a}`]);

  // A repeated flag adds up, as gcloud's does (only the last one counted: B took 100 %).
  await skiffOk(engine, ["services", "update-traffic", "gtags", "--to-revisions", `${a}=30`, "--to-revisions", `${b}=70`]);
  t.deepEqual(percentsOf(await describeService(engine, "gtags")), { [a]: 30, [b]: 70 });

  // A cleanup that runs twice: the second --remove-tags finds nothing to remove and succeeds.
  await skiffOk(engine, ["services", "update-traffic", "gtags", "--remove-tags", "next"]);
  await skiffOk(engine, ["services", "update-traffic", "gtags", "--remove-tags", "next"]);
  t.deepEqual(await tagsOf("gtags"), [["t".repeat(41), a]]);
});

test("deploy --no-traffic pins LATEST's percent, and a tag on LATEST goes on reaching the newest revision, as in gcloud", async (t) => {
  await deploy(engine, "newest", ["--image", image, "--env", "FIXTURE_VERSION=1"]);
  const a = await latestCreated("newest");
  await skiffOk(engine, ["services", "update-traffic", "newest", "--update-tags", "head=LATEST"]);
  await deploy(engine, "newest", ["--image", image, "--env", "FIXTURE_VERSION=2", "--no-traffic"]);
  const b = await latestCreated("newest");
  const s = await describeService(engine, "newest");
  t.deepEqual(percentsOf(s), { [a]: 100, [b]: 0 });
  t.deepEqual(await tagsOf("newest"), [["head", b]]);
  t.deepEqual(await answersOn(tagHost("head", "newest"), 10), { byRevision: { [b]: 10 }, failures: 0 });
  t.deepEqual(await answersOn(serviceHost("newest"), 10), { byRevision: { [a]: 10 }, failures: 0 });
});
