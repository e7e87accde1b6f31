import * as path from "node:path";
import test from "ava";
import { TestEngine, startEngine, REPO_ROOT } from "../helpers/engine";
import { listOf } from "../helpers/cli";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, suffix, transcript } from "./pulumi";

// A wrong program fails at `pulumi preview`, naming the property and the
// reason, and `pulumi up` creates nothing (not even the valid service beside the mistake).

let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  engine = await startEngine();
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "invalid"), engine.home);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

const mistakes: [string, RegExp][] = [
  ["name", /Service resource 'bad': property name value \{Bad_Name\} has a problem: must be a DNS label/],
  [
    "concurrency",
    /Service resource 'zero': property template\.maxInstanceRequestConcurrency value .* has a problem: must be between 1 and 1000/,
  ],
  ["percents", /TrafficTarget resource 'split': property traffic value .* has a problem: percents must sum to 100, got 110/],
];

for (const [mistake, expected] of mistakes) {
  test.serial(`a program with a bad ${mistake} fails at preview with the property and the reason, and up creates nothing`, async (t) => {
    const stack = `bad-${mistake}-${suffix()}`;
    await project.initStack(stack, { mistake, image: "skiff-test/never-pulled:1" });

    const preview = await project.pulumi(stack, ["preview"]);
    t.not(preview.code, 0, transcript("pulumi preview", preview));
    t.regex(preview.stdout + preview.stderr, expected);

    const up = await project.pulumi(stack, ["up", "--yes"]);
    t.not(up.code, 0, transcript("pulumi up --yes", up));
    t.regex(up.stdout + up.stderr, expected);
    t.deepEqual(await project.resources(stack), []);
    t.deepEqual(listOf(await engine.skiffJson(["services", "list", "--project", stack]), "services"), []);
  });
}
