import { spawn } from "node:child_process";
import * as path from "node:path";
import test from "ava";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { describeService, listRevisions } from "../helpers/cli";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, suffix, transcript } from "./pulumi";

// A `pulumi up` that does not finish after the engine took an update: the engine stopped while the
// new revision started, or the user pressed Ctrl-C twice. The engine then holds the new spec while
// the state names the generation before it; the next `pulumi up` must finish the update, not
// refuse it as a change made outside the stack.

const stack = `intr-${suffix()}`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  const [image, started] = await Promise.all([fixtureImage(), startEngine()]);
  engine = started;
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "interrupted"), engine.home);
  // Nothing may start an engine of its own on the default ports while this one is stopped.
  await project.initStack(stack, { image, "skiff:autostart": "false" });
  await project.up(stack);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

/** Resolves once the engine has made a revision of `service` newer than `before`. */
function newRevisionOf(service: string, before: string): Promise<string> {
  return eventually(
    `a new revision of ${service}`,
    async () => {
      const latest = (await describeService(engine, service, stack)).latestCreatedRevision;
      return latest !== before && latest;
    },
    60_000,
    100,
  );
}

test.serial("the engine stopped while up waited for a new revision: after it starts again, the next up finishes the update", async (t) => {
  const before = await describeService(engine, "api", stack);
  await project.ok(stack, ["config", "set", "apiVersion", "2"]);
  const interrupted = project.pulumi(stack, ["up", "--yes"]);
  await newRevisionOf("api", before.latestCreatedRevision ?? "");
  await engine.stop();
  const failed = await interrupted;
  t.not(failed.code, 0, transcript("pulumi up (engine stopped mid-way)", failed));

  await engine.start(engine.samePortFlags());
  const rerun = await project.pulumi(stack, ["up", "--yes"]);
  t.is(rerun.code, 0, transcript("pulumi up (after the engine started again)", rerun));
  const after = await describeService(engine, "api", stack);
  t.is(after.template.env?.VERSION, "2");
  t.is(after.latestReadyRevision, after.latestCreatedRevision);
  t.is((await project.outputs(stack)).apiRevision, after.latestReadyRevision);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});

test.serial("Ctrl-C twice while up waited for a new revision: the next up waits for that revision and makes no other", async (t) => {
  const before = await describeService(engine, "web", stack);
  const revisionsBefore = (await listRevisions(engine, "web", stack)).length;
  await project.ok(stack, ["config", "set", "webVersion", "2"]);
  const child = spawn("pulumi", ["up", "--yes", "--stack", stack, "--non-interactive", "--color", "never"], {
    cwd: project.dir,
    env: project.env(),
    stdio: "ignore",
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await newRevisionOf("web", before.latestCreatedRevision ?? "");
  child.kill("SIGINT");
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.kill("SIGINT");
  t.not(await exited, 0);

  const rerun = await project.pulumi(stack, ["up", "--yes"]);
  t.is(rerun.code, 0, transcript("pulumi up (after Ctrl-C)", rerun));
  const after = await describeService(engine, "web", stack);
  t.is(after.template.env?.VERSION, "2");
  t.is(after.latestReadyRevision, after.latestCreatedRevision);
  t.is((await listRevisions(engine, "web", stack)).length, revisionsBefore + 1, "the interrupted run's revision is the one that serves");
  t.is((await project.outputs(stack)).webRevision, after.latestReadyRevision);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes", again));
});
