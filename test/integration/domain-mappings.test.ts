import test from "ava";
import type { DomainMapping } from "../../provider/model/domain-mapping";
import type { Service } from "../../provider/model/service";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, revisionFromBody, skiffOk, transcript } from "../helpers/cli";
import { runLoad, sharePercent, tally } from "../helpers/load";

// Domain mappings route by Host, a domain has one owner, a deleted mapping answers 404 and a deleted
// service takes its mappings along; after kill -9 and a restart the split, the tags and the mappings
// are as before. Serial: the last test kills this file's one engine.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

async function listMappings(): Promise<DomainMapping[]> {
  return (await engine.api()).listDomainMappings("default");
}

async function latestReady(service: string): Promise<string> {
  return (await describeService(engine, service)).latestReadyRevision ?? "";
}

/** The revision that answered `GET /` on `host`, with the status; the body and header must agree. */
async function who(host: string): Promise<string> {
  const answer = await engine.request(host, "/");
  if (answer.status !== 200) return `${answer.status}`;
  const fromBody = revisionFromBody(answer.body);
  if (answer.headers["x-revision"] !== fromBody)
    throw new Error(`body says ${fromBody}, header says ${String(answer.headers["x-revision"])}`);
  return fromBody;
}

test.serial("a domain mapping routes requests by Host, with and without the ingress port", async (t) => {
  await deploy(engine, "api", ["--image", image, "--env", "FIXTURE_NAME=api"]);
  await deploy(engine, "web", ["--image", image, "--env", "FIXTURE_NAME=web"]);
  const api = await latestReady("api");
  const web = await latestReady("web");

  // The CLI prints what gcloud prints for a domain mapping: a domains.cloudrun.com/v1 DomainMapping.
  const created = await engine.skiffJson(["domain-mappings", "create", "--service", "api", "--domain", "api.example.test"]);
  t.like(created, { kind: "DomainMapping", metadata: { name: "api.example.test", namespace: "default" }, spec: { routeName: "api" } });
  await skiffOk(engine, ["domain-mappings", "create", "--service", "web", "--domain", "www.example.test"]);

  t.is(await who("api.example.test"), api, "Host without the port");
  t.is(await who(`api.example.test:${engine.ingressPort}`), api, "Host with the ingress port");
  t.is(await who("www.example.test"), web);
  t.is(await who(`www.example.test:${engine.ingressPort}`), web);
  t.is(await who("nobody.example.test"), "404", "an unmapped domain is not served");

  // The fixture sees the original Host, forwarded.
  const headers = JSON.parse((await engine.request("api.example.test", "/headers")).body) as Record<string, string>;
  t.is(headers["x-forwarded-host"], "api.example.test");

  const listed = (await listMappings()).map((m) => [m.domain, m.service]).sort();
  t.deepEqual(listed, [
    ["api.example.test", "api"],
    ["www.example.test", "web"],
  ]);
});

test.serial("a second mapping of the same domain is refused, naming the owner; the first one stays", async (t) => {
  const api = await latestReady("api");
  const args = ["domain-mappings", "create", "--service", "web", "--domain", "api.example.test"];
  const result = await engine.skiff(args);
  t.is(result.code, 1, transcript(args, result));
  t.regex(result.stderr, /\bdomain\b.*already mapped to service "api"/, `the field and the owner are named\n${transcript(args, result)}`);
  t.is(await who("api.example.test"), api, "the domain still reaches its owner");
  const owners = (await listMappings()).filter((m) => m.domain === "api.example.test").map((m) => m.service);
  t.deepEqual(owners, ["api"]);

  // The same service twice is a conflict too, not a duplicate row.
  const again = await engine.skiff(["domain-mappings", "create", "--service", "api", "--domain", "api.example.test"]);
  t.not(again.code, 0, transcript(["domain-mappings", "create", "--service", "api", "--domain", "api.example.test"], again));
  t.is((await listMappings()).filter((m) => m.domain === "api.example.test").length, 1);
});

test.serial(
  "--force-override takes a domain from another project's mapping, as Cloud Run's spec.forceOverride does; in the same project it is still a conflict",
  async (t) => {
    await deploy(engine, "shop", ["--image", image, "--project", "other"]);
    const shop = (await describeService(engine, "shop", "other")).latestReadyRevision ?? "";
    const plain = ["domain-mappings", "create", "--service", "shop", "--domain", "api.example.test", "--project", "other"];
    const refused = await engine.skiff(plain);
    t.is(refused.code, 1, transcript(plain, refused));
    t.regex(refused.stderr, /already mapped to service "api" in project "default".*--force-override/, transcript(plain, refused));
    t.is(await who("api.example.test"), await latestReady("api"), "refused: nothing changed");

    const sameProject = ["domain-mappings", "create", "--service", "web", "--domain", "api.example.test", "--force-override"];
    const conflict = await engine.skiff(sameProject);
    t.is(conflict.code, 1, transcript(sameProject, conflict));
    t.notRegex(conflict.stderr, /no local effect/, "the flag is no longer ignored");

    const forced = await engine.skiff([...plain, "--force-override"]);
    t.is(forced.code, 0, transcript([...plain, "--force-override"], forced));
    t.is(await who("api.example.test"), shop, "the domain reaches the other project's service");
    t.false(
      (await listMappings()).some((m) => m.domain === "api.example.test"),
      "default's mapping is gone",
    );

    // Back as it was, for the tests after this one.
    await skiffOk(engine, ["domain-mappings", "create", "--service", "api", "--domain", "api.example.test", "--force-override"]);
    t.is(await who("api.example.test"), await latestReady("api"));
    await skiffOk(engine, ["services", "delete", "shop", "--project", "other", "-q"]);
  },
);

test.serial("deleting a mapping gives 404 on that Host; the service itself still answers", async (t) => {
  const web = await latestReady("web");
  await skiffOk(engine, ["domain-mappings", "delete", "--domain", "www.example.test"]);
  t.is(await who("www.example.test"), "404");
  t.is(await who(`www.example.test:${engine.ingressPort}`), "404");
  t.false((await listMappings()).some((m) => m.domain === "www.example.test"));
  t.is(await who(hostOf(engine, "web")), web);

  // Free again: another service may take it.
  await skiffOk(engine, ["domain-mappings", "create", "--service", "api", "--domain", "www.example.test"]);
  t.is(await who("www.example.test"), await latestReady("api"));
  await skiffOk(engine, ["domain-mappings", "delete", "--domain", "www.example.test"]);
  t.is(await who("www.example.test"), "404");
});

test.serial("deleting a service removes its domain mappings", async (t) => {
  await deploy(engine, "temp", ["--image", image]);
  await skiffOk(engine, ["domain-mappings", "create", "--service", "temp", "--domain", "temp.example.test"]);
  await skiffOk(engine, ["domain-mappings", "create", "--service", "temp", "--domain", "alias.example.test"]);
  t.is(await who("temp.example.test"), await latestReady("temp"));

  await skiffOk(engine, ["services", "delete", "temp"]);
  const left = (await listMappings()).map((m) => m.domain);
  t.false(left.includes("temp.example.test"), JSON.stringify(left));
  t.false(left.includes("alias.example.test"), JSON.stringify(left));
  t.true(left.includes("api.example.test"), "other services' mappings stay");
  t.is(await who("temp.example.test"), "404");
  t.is(await who("alias.example.test"), "404");
  const describe = await engine.skiff(["domain-mappings", "describe", "--domain", "temp.example.test"]);
  t.is(describe.code, 1, transcript(["domain-mappings", "describe", "--domain", "temp.example.test"], describe));

  // The domain is free for another service.
  await skiffOk(engine, ["domain-mappings", "create", "--service", "web", "--domain", "temp.example.test"]);
  t.is(await who("temp.example.test"), await latestReady("web"));
});

function percentsOf(s: Service): Record<string, number> {
  const out: Record<string, number> = {};
  for (const status of s.trafficStatuses) out[status.revision] = (out[status.revision] ?? 0) + status.percent;
  return out;
}

test.serial("after kill -9 of the engine and a restart, the split, the tags and the mappings are as before", async (t) => {
  await deploy(engine, "durable", ["--image", image, "--env", "FIXTURE_VERSION=1"]);
  const a = await latestReady("durable");
  await deploy(engine, "durable", ["--image", image, "--env", "FIXTURE_VERSION=2"]);
  const b = await latestReady("durable");
  await deploy(engine, "durable", ["--image", image, "--env", "FIXTURE_VERSION=3", "--no-traffic", "--tag", "candidate"]);
  const c = (await describeService(engine, "durable")).latestCreatedRevision ?? "";
  t.regex(c, /^durable-00003-[a-z]{3}$/);
  await skiffOk(engine, ["services", "update-traffic", "durable", "--to-revisions", `${a}=70,${b}=30`, "--update-tags", `stable=${a}`]);
  await skiffOk(engine, ["domain-mappings", "create", "--service", "durable", "--domain", "durable.example.test"]);

  const before = await describeService(engine, "durable");
  t.deepEqual(percentsOf(before), { [a]: 70, [b]: 30, [c]: 0 });
  const mappingsBefore = (await listMappings()).map((m) => ({ domain: m.domain, service: m.service, project: m.project, url: m.url }));
  mappingsBefore.sort((x, y) => x.domain.localeCompare(y.domain));

  await engine.killDaemon();
  await engine.start(engine.samePortFlags());

  const after = await describeService(engine, "durable");
  t.deepEqual(after.traffic, before.traffic, "the stored traffic is as before");
  t.deepEqual(after.trafficStatuses, before.trafficStatuses, "the resolved traffic, tags and tag URLs are as before");
  const mappingsAfter = (await listMappings()).map((m) => ({ domain: m.domain, service: m.service, project: m.project, url: m.url }));
  mappingsAfter.sort((x, y) => x.domain.localeCompare(y.domain));
  t.deepEqual(mappingsAfter, mappingsBefore, "the mappings are as before");

  // The split as served: ~200 requests on the service URL, and some through the mapped domain.
  const { samples } = await runLoad({ port: engine.ingressPort, host: hostOf(engine, "durable"), count: 200, workers: 2, maxMs: 90_000 });
  const served = tally(samples);
  t.is(served.failures.length, 0, JSON.stringify(served.failures.slice(0, 5)));
  t.deepEqual(Object.keys(served.byRevision).sort(), [a, b].sort(), JSON.stringify(served.byRevision));
  t.true(Math.abs(sharePercent(samples, a) - 70) <= 5, `after the restart ${a} got ${sharePercent(samples, a)}% (want 70 ± 5)`);
  t.true(Math.abs(sharePercent(samples, b) - 30) <= 5, `after the restart ${b} got ${sharePercent(samples, b)}% (want 30 ± 5)`);

  const viaDomain = await runLoad({ port: engine.ingressPort, host: "durable.example.test", count: 100, workers: 2, maxMs: 60_000 });
  const domainTally = tally(viaDomain.samples);
  t.is(domainTally.failures.length, 0, JSON.stringify(domainTally.failures.slice(0, 5)));
  t.true(
    Math.abs(sharePercent(viaDomain.samples, a) - 70) <= 10,
    `the mapped domain follows the split: ${JSON.stringify(domainTally.byRevision)}`,
  );

  // Tags answer from their revisions; the other mappings still route.
  for (let i = 0; i < 10; i++) {
    t.is(await who(`candidate---durable.localhost:${engine.ingressPort}`), c);
    t.is(await who(`stable---durable.localhost:${engine.ingressPort}`), a);
  }
  t.is(await who("api.example.test"), await latestReady("api"));
  t.is(await who(`temp.example.test:${engine.ingressPort}`), await latestReady("web"));
  t.is(await who("www.example.test"), "404", "a deleted mapping stays deleted");
});
