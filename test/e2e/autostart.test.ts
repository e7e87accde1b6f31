import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import test from "ava";
import { requireDocker } from "../helpers/docker";
import { TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, hostOfUrl, portOfUrl, revisionsServed, suffix } from "./pulumi";

// `pulumi up` with no engine running starts one (detached) and succeeds.

const stack = `auto-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;
let image: string;

test.before(async () => {
  await requireDocker();
  image = await fixtureImage();
  // A home with no engine in it; TestEngine only cleans up whatever the SDK starts there.
  engine = new TestEngine(await fs.mkdtemp(path.join(os.tmpdir(), "skiff-test-home-")));
  project = await PulumiProject.example("staging", engine.home);
  // Ephemeral ports for the engine the SDK will start, so parallel test files never collide.
  await project.initStack(stack, { image, "skiff:ingressPort": "0", "skiff:apiPort": "0" });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial("pulumi up with no engine running starts it and succeeds", async (t) => {
  t.false(existsSync(path.join(engine.home, "engine.json")));
  await project.up(stack);
  const file = engine.readEngineFile();
  t.truthy(file, "the SDK should have started an engine in SKIFF_HOME");
  t.notThrows(() => process.kill(file!.pid, 0), "the engine outlives the pulumi run");
  const out = await project.outputs(stack);
  t.is(portOfUrl(out.apiUrl), file!.ingressPort);
  const served = await revisionsServed(portOfUrl(out.apiUrl), hostOfUrl(out.apiUrl), 3);
  t.is(served.size, 1, JSON.stringify([...served]));
  t.regex([...served.keys()][0], /^api-00001-[a-z]{3}$/);
});
