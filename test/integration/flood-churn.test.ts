import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { mb, sampleRss } from "../helpers/probes";

// Deleting a service while it floods its log (its log file is removed while lines are still being
// written) and deploying it again, ten times over, never takes the engine down.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  await deploy(engine, "quiet", ["--image", image]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("deploying a flooding service and deleting it 2 s later, 10 times, leaves the engine up and the other service serving", async (t) => {
  const rss = sampleRss(engine.pid, 250);
  const pid = engine.pid;
  for (let round = 1; round <= 10; round++) {
    await deploy(engine, "burst", ["--image", image, "--env", "FIXTURE_MODE=flood"]);
    await new Promise((r) => setTimeout(r, 2_000));
    const deleted = await engine.skiff(["services", "delete", "burst"]);
    t.is(deleted.code, 0, `round ${round}: ${transcript(["services", "delete", "burst"], deleted)}\n${engine.logTail(20)}`);
    const status = await engine.skiff(["engine", "status", "--format", "json"]);
    t.is(status.code, 0, `round ${round}: ${transcript(["engine", "status"], status)}\n${engine.logTail(20)}`);
    t.is((JSON.parse(status.stdout || "{}") as { pid?: number }).pid, pid, `round ${round}: the same daemon still runs`);
    const answer = await engine.request(hostOf(engine, "quiet"), "/");
    t.is(answer.status, 200, `round ${round}: ${answer.body}`);
  }
  const memory = rss.stop();
  t.log(`engine RSS over the 10 rounds: max ${mb(memory.maxBytes)}, last ${mb(memory.lastBytes)}`);
  const leftovers = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "burst" && c.state === "running");
  t.log(`burst containers still running right after the last delete (draining in the background): ${leftovers.length}`);
});
