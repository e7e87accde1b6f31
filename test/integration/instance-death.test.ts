import { readFileSync } from "node:fs";
import * as path from "node:path";
import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeRevision, describeService, hostOf } from "../helpers/cli";
import { describeFailures, runClients } from "../helpers/clients";
import { docker } from "../helpers/docker";
import { DockerEventLog } from "../helpers/docker-events";
import { eventually } from "../helpers/http";

// Instances that die on their own (killed from outside, or out of memory after they listen) are
// noticed from Docker's event stream at once: out of routing, the failure recorded on the revision
// and in the service's log, a replacement started after a growing back-off. The revision stays READY.
// Serial: the failure counts under load and the back-off timings must not share the engine's CPU.

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

async function readyInstances(service: string, revision: string): Promise<number> {
  return (await describeService(engine, service)).scaling.find((s) => s.revision === revision)?.readyInstances ?? 0;
}

/** engine.log's `instance died` lines for one revision, their JSON fields parsed. */
function deathsLogged(revision: string): { exitCode?: number; oomKilled: boolean; restartInMs: number; instance: string }[] {
  const text = readFileSync(path.join(engine.home, "engine.log"), "utf8");
  return text
    .split("\n")
    .filter((line) => line.includes(" instance died {"))
    .map(
      (line) =>
        JSON.parse(line.slice(line.indexOf("{"))) as {
          revision: string;
          exitCode?: number;
          oomKilled: boolean;
          restartInMs: number;
          instance: string;
        },
    )
    .filter((fields) => fields.revision === revision);
}

test.serial(
  "docker kill of one of two instances under load fails at most the requests it had in flight; traffic moves to the other at once",
  async (t) => {
    // max-instances 2: exactly two instances, so the kill takes half the capacity (10 slots for 8 clients, 5 after).
    await deploy(engine, "victim", ["--image", image, "--concurrency", "5", "--min-instances", "2", "--max-instances", "2"]);
    const revision = (await describeService(engine, "victim")).latestReadyRevision ?? "";
    await eventually("two ready instances (min-instances 2)", async () => (await readyInstances("victim", revision)) === 2, 30_000);
    const containers = (await engine.containers()).filter((c) => c.labels["skiff.revision"] === revision && c.state === "running");
    t.is(containers.length, 2, JSON.stringify(containers));
    const victim = containers[0];
    const victimInstance = victim.id.slice(0, 12);

    // 8 closed-loop clients on keep-alive connections to the ingress, 50 ms requests, for 8 s.
    const loading = runClients({
      port: engine.ingressPort,
      host: hostOf(engine, "victim"),
      path: "/sleep?ms=50",
      durationMs: 8_000,
      clientsAt: () => 8,
      keepAlive: true,
      requestTimeoutMs: 15_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const killIssuedAt = Date.now();
    await docker(["kill", victim.id]);
    const load = await loading;

    const died = await events.waitFor("die of the killed container", (e) => e.action === "die" && e.id === victim.id, 5_000);
    t.is(died.attributes.exitCode, "137", "docker kill ends the container with SIGKILL");
    // The moment of the kill: Docker's record of sending SIGKILL (its die event can trail it by a few hundred ms).
    const killedAt = events.of("kill", victim.id).find((e) => e.attributes.signal === "9")?.atMs ?? killIssuedAt;
    const origin = load.startedAt;
    const failures = load.samples.filter((s) => s.status !== 200);
    const report = `${failures.length} of ${load.samples.length} failed; kill at +${Math.round(killedAt - origin)} ms:\n${describeFailures(load.samples, origin)}\n${engine.logTail(15)}`;

    const inFlightAtKill = failures.filter((s) => s.sentAt <= killedAt);
    const afterKill = failures.filter((s) => s.sentAt > killedAt);
    t.log(
      `SIGKILL at +${Math.round(killedAt - origin)} ms (docker kill issued at +${killIssuedAt - origin} ms, die event at +${Math.round(died.atMs - origin)} ms); ` +
        `${load.samples.length} requests; failed: ${inFlightAtKill.length} in flight at the kill, ${afterKill.length} sent after it`,
    );
    t.true(
      load.samples.some((s) => s.instance === victimInstance && s.endedAt < killedAt),
      "the killed instance was serving before the kill",
    );
    t.true(load.samples.filter((s) => s.sentAt > killedAt + 1_000).length > 50, "the load went on well after the kill");
    // Why 10: at the kill the instance has at most 5 requests in flight (its concurrency), and those
    // fail. Docker reports the death within tens of ms and the engine then stops routing to it; a
    // request leased to it in between fails too. That window is about one 50 ms request long and new
    // requests spread over both instances, so about 8 clients / 2 = 4 more can fail: 5 + 4, and one
    // to spare. More means the ingress kept sending requests to an instance that was already dead.
    t.true(
      failures.length <= 10,
      `at most the killed instance's in-flight requests (≤ 5) and a handful that raced the kill fail; ` +
        `${inFlightAtKill.length} were in flight at the kill and ${afterKill.length} were sent after it: ${report}`,
    );
    // Docker stamps its kill event just after it sends the signal, so the lower bound is when the test ran `docker kill`.
    t.true(
      failures.every((s) => s.endedAt >= killIssuedAt && s.sentAt <= killedAt + 1_000),
      `every failure is around the kill: ${report}`,
    );
    t.deepEqual(
      load.samples.filter((s) => s.sentAt > killedAt + 1_000 && s.status !== 200).map((s) => `${s.status} ${s.error ?? s.body}`),
      [],
      "every request sent more than 1 s after the kill succeeds",
    );
    t.deepEqual(
      load.samples.filter((s) => s.instance === victimInstance && s.endedAt > killedAt + 1_000).length,
      0,
      "the killed container never answers after the kill",
    );

    const described = await eventually(
      "the revision records the instance's exit",
      async () => {
        const r = await describeRevision(engine, revision);
        return r.instanceError?.includes("exited with code 137") ? r : undefined;
      },
      10_000,
    );
    t.regex(described.instanceError ?? "", /instance [a-z0-9-]+ exited with code 137; a new instance starts in 1 s if requests need one/);
    const warnings = await engine.skiff(["logs", "read", "victim", "--severity", "WARNING", "--format", "json"]);
    t.is(warnings.code, 0, warnings.stderr);
    t.deepEqual(
      (JSON.parse(warnings.stdout) as { severity?: string; textPayload?: string }[])
        .filter((e) => e.textPayload?.includes("exited with code 137"))
        .map((e) => e.severity),
      ["WARNING"],
      `the death is a WARNING entry, as Cloud Run writes a container's exit:\n${warnings.stdout.slice(-2000)}`,
    );
    t.is(described.status, "READY");
    t.true((await readyInstances("victim", revision)) >= 1, "the service still has a ready instance");
    await eventually("min-instances 2 is restored", async () => (await readyInstances("victim", revision)) === 2, 20_000);
    const answer = await engine.request(hostOf(engine, "victim"), "/");
    t.is(answer.status, 200);
    t.not(answer.headers["x-instance"], victimInstance);
  },
);

test.serial(
  "an instance killed for memory after it listens is recorded as 'memory limit exceeded', replaced after 1 s, 2 s, 4 s, and the revision stays READY",
  async (t) => {
    // 96Mi: the fixture starts and serves in it; GET /oom allocates until the kernel kills it.
    // min-instances 1, so every dead instance is replaced whether or not requests wait.
    await deploy(engine, "hog", ["--image", image, "--memory", "96Mi", "--min-instances", "1", "--max-instances", "1"]);
    const revision = (await describeService(engine, "hog")).latestReadyRevision ?? "";
    const ofHog = (action: string) => events.of(action).filter((e) => e.attributes["skiff.revision"] === revision);

    // Each /oom lands on the ready instance, or waits in the queue for the next one: one OOM per instance.
    for (let attempt = 0; ofHog("die").length < 3 && attempt < 10; attempt++) {
      const before = ofHog("die").length;
      const answer = await engine
        .request(hostOf(engine, "hog"), "/oom", { timeoutMs: 40_000 })
        .catch((error: Error) => ({ status: 0, body: error.message }));
      t.not(answer.status, 200, `GET /oom never answers 200: ${answer.body}`);
      // Docker's die event may trail the failed answer by a moment: wait for it, so no fourth /oom is sent.
      await events.waitFor("the death the /oom caused", () => ofHog("die").length > before, 5_000).catch(() => undefined);
    }
    const deaths = ofHog("die");
    t.is(deaths.length, 3, `three instances died:\n${events.summary()}`);
    // The third replacement comes 4 s after the third death.
    await events.waitFor("the third replacement", () => ofHog("create").length >= 4, 15_000);
    const creates = ofHog("create");

    t.deepEqual(
      deaths.map((e) => e.attributes.exitCode),
      ["137", "137", "137"],
      "the kernel killed each one",
    );
    t.deepEqual(
      ofHog("oom")
        .map((e) => e.id)
        .sort(),
      deaths.map((e) => e.id).sort(),
      `Docker reported an OOM for each dead instance:\n${events.summary()}`,
    );
    // engine.log: each death noticed as an OOM, with back-off 1 s, 2 s, 4 s.
    const logged = deathsLogged(revision);
    t.deepEqual(
      logged.map((d) => [d.oomKilled, d.restartInMs]),
      [
        [true, 1000],
        [true, 2000],
        [true, 4000],
      ],
      engine.logTail(30),
    );
    // Docker's times: each replacement is created no sooner than its back-off after the death it replaces.
    const gaps = deaths.map((d, i) => creates[i + 1].atMs - d.atMs);
    const timeline = events.summary();
    for (const [i, delay] of [1000, 2000, 4000].entries()) {
      t.true(
        gaps[i] >= delay - 50,
        `replacement ${i + 1} was created ${Math.round(gaps[i])} ms after death ${i + 1}; the back-off is ${delay} ms\n${timeline}`,
      );
      t.true(
        gaps[i] <= delay + 3_000,
        `replacement ${i + 1} was created ${Math.round(gaps[i])} ms after death ${i + 1}; want about ${delay} ms\n${timeline}`,
      );
    }
    const restartGap = creates[3].atMs - creates[2].atMs;
    t.true(restartGap >= 3_500, `the third restart came ${Math.round(restartGap)} ms after the second (want ≥ 3.5 s)`);

    const described = await describeRevision(engine, revision);
    t.is(described.status, "READY", "OOMs after listening do not fail the revision");
    t.regex(
      described.instanceError ?? "",
      /memory limit exceeded: instance \S+ used more than its 96Mi and was killed; a new instance starts in 4 s/,
    );
    const log = await engine.skiff(["logs", "read", "hog"]);
    t.is(log.code, 0, log.stderr);
    const oomLines = log.stdout.split("\n").filter((line) => line.includes("memory limit exceeded"));
    t.is(oomLines.length, 3, `one 'memory limit exceeded' line per OOM in skiff logs read:\n${log.stdout.slice(-3000)}`);
    t.true(
      oomLines.every((line) => line.includes(`${revision} engine: memory limit exceeded`)),
      oomLines.join("\n"),
    );
    const errors = await engine.skiff(["logs", "read", "hog", "--severity", "ERROR", "--format", "json"]);
    t.is(errors.code, 0, errors.stderr);
    const oomEntries = (JSON.parse(errors.stdout) as { severity?: string; textPayload?: string }[]).filter((e) =>
      e.textPayload?.includes("memory limit exceeded"),
    );
    t.deepEqual(
      oomEntries.map((e) => e.severity),
      ["ERROR", "ERROR", "ERROR"],
      `each OOM is an ERROR entry, as Cloud Run writes it:\n${errors.stdout.slice(-2000)}`,
    );

    // The fourth instance serves.
    await eventually("the fourth instance is ready", async () => (await readyInstances("hog", revision)) === 1, 20_000);
    const answer = await engine.request(hostOf(engine, "hog"), "/");
    t.is(answer.status, 200);
    t.is(answer.headers["x-instance"], creates[3].id.slice(0, 12));
  },
);
