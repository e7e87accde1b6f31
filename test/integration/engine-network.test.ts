import test from "ava";
import { docker } from "../helpers/docker";
import { startEngine, type TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, hostOf } from "../helpers/cli";

// Each engine's Docker network (skiff-<engine id>) is kept while the engine has containers, which
// outlive it, and removed by an engine that stops with none left: Docker has a few dozen address
// pools for bridge networks, and a home used once must not hold one for ever.
// Serial: both tests stop and start the one engine of this file.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

async function networkOf(engineId: string): Promise<string[]> {
  return (await docker(["network", "ls", "-q", "--filter", `label=skiff.engine=${engineId}`])).split("\n").filter(Boolean);
}

test.serial("an engine that stops with no container left removes its network; the next start makes it again", async (t) => {
  const engineId = engine.engineId;
  t.is((await networkOf(engineId)).length, 1, "the running engine has its network");
  t.deepEqual(await engine.containers(), [], "no container: nothing is deployed");

  const stopped = await engine.stop();
  t.is(stopped.code, 0, stopped.stderr);
  t.deepEqual(await networkOf(engineId), [], "gone with the engine");
  t.regex(engine.engineLog(), /Docker network was removed/);

  await engine.start(engine.samePortFlags());
  t.is(engine.engineId, engineId, "the same engine");
  t.is((await networkOf(engineId)).length, 1, "made again at start");
});

test.serial("an engine that stops with a container left keeps its network, and the container answers after the restart", async (t) => {
  await deploy(engine, "kept", ["--image", image, "--min-instances", "1"]);
  const engineId = engine.engineId;
  const [container] = await engine.containers();
  t.truthy(container, "the minimum instance runs");

  const stopped = await engine.stop();
  t.is(stopped.code, 0, stopped.stderr);
  t.is((await networkOf(engineId)).length, 1, "kept: the instance is still on it");
  t.deepEqual(
    (await engine.containers()).map((c) => c.id),
    [container.id],
    "the instance outlived the engine",
  );

  await engine.start(engine.samePortFlags());
  const answer = await engine.request(hostOf(engine, "kept"), "/");
  t.is(answer.status, 200, answer.body);
});
