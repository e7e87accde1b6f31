import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, transcript } from "../helpers/cli";

// Two people deploy the same service at once, each changing a different field. A deploy writes
// back what it read plus its own change, naming the generation it read: so either both changes
// land, or one deploy says it lost the race (exit 1) — never a silent lost update.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  await deploy(engine, "shared", ["--image", image, "--memory", "256Mi"]);
});

test.after.always(async () => {
  await engine?.dispose();
});

const CONFLICT = "skiff: error: service shared was changed by someone else while this deploy ran; retry";

test("two concurrent deploys changing --env and --memory, 20 times: both changes land, or one exits 1 saying the service changed under it", async (t) => {
  const tally = { both: 0, envLost: 0, memoryLost: 0 };
  for (let trial = 1; trial <= 20; trial++) {
    const memory = trial % 2 === 1 ? "300Mi" : "320Mi";
    const envArgs = ["deploy", "shared", "--env", `A=${trial}`];
    const memArgs = ["deploy", "shared", "--memory", memory];
    const [envDeploy, memDeploy] = await Promise.all([engine.skiff(envArgs), engine.skiff(memArgs)]);
    const template = (await describeService(engine, "shared")).template;
    const envLanded = template.env?.A === String(trial);
    const memoryLanded = template.resources?.memory === memory;
    const said = `trial ${trial}: template env ${JSON.stringify(template.env)}, memory ${template.resources?.memory}\n${transcript(envArgs, envDeploy)}\n${transcript(memArgs, memDeploy)}`;

    t.true([0, 1].includes(envDeploy.code) && [0, 1].includes(memDeploy.code), `each deploy exits 0 or 1\n${said}`);
    t.false(envDeploy.code === 1 && memDeploy.code === 1, `at most one of the two loses the race\n${said}`);
    for (const [result, landed] of [
      [envDeploy, envLanded],
      [memDeploy, memoryLanded],
    ] as const) {
      if (result.code === 0) t.true(landed, `a deploy that exited 0 has its change in the template\n${said}`);
      else t.is(result.stderr.trim(), CONFLICT, said);
    }
    if (envDeploy.code === 0 && memDeploy.code === 0) tally.both += 1;
    else if (envDeploy.code === 1) tally.envLost += 1;
    else tally.memoryLost += 1;
  }
  t.log(`20 trials: both landed ${tally.both}, --env deploy lost the race ${tally.envLost}, --memory deploy lost it ${tally.memoryLost}`);
});
