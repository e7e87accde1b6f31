import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService } from "../helpers/cli";
import { containerOf, copyInto, muslGetBinary, nodeIn } from "../helpers/in-container";
import { run } from "../helpers/docker";
import { eventually } from "../helpers/http";
import { serviceContainers } from "../helpers/scaling";

// Services call services by the URLs the engine reports, from inside its own containers (service
// instances and job tasks), through the same router: with Node's fetch (glibc's resolver), with a
// client built on musl, across a 90/10 split, and to a service at zero instances.

let engine: TestEngine;
let image: string;
/** api's URL exactly as `services describe` reports it. */
let apiUrl: string;
let web: string;

test.before(async () => {
  [image, engine] = await Promise.all([
    fixtureImage(),
    startEngine({ flags: ["--scale-to-zero-grace", "1s", "--stable-window", "2s", "--panic-window", "1s"] }),
  ]);
  await Promise.all([
    deploy(engine, "api", ["--image", image, "--min-instances", "1"]),
    deploy(engine, "web", ["--image", image, "--min-instances", "1"]),
  ]);
  apiUrl = (await describeService(engine, "api")).url;
  web = await containerOf(engine, { "skiff.service": "web" });
});

test.after.always(async () => {
  await engine?.dispose();
});

/** fetch(url) inside the container, printing status and body. */
const FETCH = `fetch(process.argv[1]).then(async (r) => console.log(r.status, (await r.text()).trim()), (e) => (console.log("failed", String(e.cause ?? e)), process.exit(1)))`;

test("inside web's container, api's URL as it reports it resolves and reaches api (Node's fetch, glibc's resolver)", async (t) => {
  t.regex(apiUrl, /^http:\/\/api\.localhost:\d+$/);
  const answer = await nodeIn(web, FETCH, [`${apiUrl}/`]);
  t.is(answer.stdout.trim(), `200 K_REVISION=${(await describeService(engine, "api")).latestReadyRevision}`, answer.stderr);
});

test("a client built on musl resolves the same URL and gets the same answer", async (t) => {
  await copyInto(web, await muslGetBinary(), "/musl-get");
  const answer = await run("docker", ["exec", web, "/musl-get", `${apiUrl}/headers`]);
  t.is(answer.code, 0, answer.stderr);
  t.regex(answer.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  // The request went through the router: it carries the hop's X-Forwarded-For, the calling container's address.
  const headers = JSON.parse(answer.stdout.slice(answer.stdout.indexOf("\r\n\r\n") + 4)) as Record<string, string>;
  const webAddress = (
    await run("docker", ["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", web])
  ).stdout.trim();
  t.is(headers["x-forwarded-for"], webAddress);
  t.is(headers.host, new URL(apiUrl).host);
});

test("a job's task reaches a service by its URL the same way", async (t) => {
  const api = await engine.api();
  const script = `fetch(process.env.API_URL).then(async (r) => { console.log("task got", r.status, (await r.text()).trim()); process.exit(r.status === 200 ? 0 : 3); }, (e) => { console.log("task failed", String(e.cause ?? e)); process.exit(4); })`;
  await api.putJob(
    "default",
    "caller",
    { template: { image, command: ["/node"], args: ["-e", script], env: { API_URL: apiUrl }, maxRetries: 0 } },
    { mode: "create" },
  );
  const started = await api.executeJob("default", "caller");
  const done = await api.getExecution("default", started.name, 120);
  const logs = await api.jobLogs("default", "caller", { execution: started.name });
  t.is(done.status, "SUCCEEDED", logs);
  t.regex(logs, /task got 200 K_REVISION=api-/);
});

test("1,000 calls from a container to a 90/10 split land within ±3 points of each share", async (t) => {
  await deploy(engine, "split", ["--image", image, "--min-instances", "1"]);
  await deploy(engine, "split", ["--image", image, "--min-instances", "1", "--set-env-vars", "V=2", "--no-traffic", "--tag", "next"]);
  const service = await describeService(engine, "split");
  const [first, second] = [service.trafficStatuses[0].revision, service.latestCreatedRevision!];
  const shift = await engine.skiff(["services", "update-traffic", "split", "--to-revisions", `${first}=90,${second}=10`]);
  t.is(shift.code, 0, shift.stderr);
  const counting = `(async () => { const counts = {}; for (let i = 0; i < 1000; i++) { const body = (await (await fetch(process.argv[1])).text()).trim(); counts[body] = (counts[body] ?? 0) + 1; } console.log(JSON.stringify(counts)); })()`;
  const answer = await nodeIn(web, counting, [service.url]);
  const counts = JSON.parse(answer.stdout) as Record<string, number>;
  t.is((counts[`K_REVISION=${first}`] ?? 0) + (counts[`K_REVISION=${second}`] ?? 0), 1000, answer.stdout);
  t.true(Math.abs((counts[`K_REVISION=${first}`] ?? 0) - 900) <= 30, answer.stdout);
  t.true(Math.abs((counts[`K_REVISION=${second}`] ?? 0) - 100) <= 30, answer.stdout);
});

test("a call to a service at zero instances is held while it starts, then served", async (t) => {
  await deploy(engine, "cold", ["--image", image]);
  const cold = await describeService(engine, "cold");
  await eventually("cold to scale to zero", async () => (await serviceContainers(engine, "cold")).length === 0, 30_000, 200);
  const answer = await nodeIn(web, FETCH, [`${cold.url}/`]);
  t.is(answer.stdout.trim(), `200 K_REVISION=${cold.latestReadyRevision}`, answer.stderr);
});

test("tag URLs and mapped domains work inside containers too", async (t) => {
  const tagged = await deploy(engine, "api", [
    "--image",
    image,
    "--min-instances",
    "1",
    "--set-env-vars",
    "V=tagged",
    "--no-traffic",
    "--tag",
    "beta",
  ]);
  t.is(tagged.code, 0, tagged.stderr);
  const beta = (await describeService(engine, "api")).trafficStatuses.find((s) => s.tag === "beta")!;
  const viaTag = await nodeIn(web, FETCH, [`${beta.url}/`]);
  t.is(viaTag.stdout.trim(), `200 K_REVISION=${beta.revision}`, viaTag.stderr);
  const mapped = await engine.skiff(["domain-mappings", "create", "--service", "api", "--domain", "api.example.test"]);
  t.is(mapped.code, 0, mapped.stderr);
  const viaDomain = await nodeIn(web, FETCH, [`http://api.example.test:${engine.ingressPort}/`]);
  t.regex(viaDomain.stdout, /^200 K_REVISION=api-/, viaDomain.stderr);
});
