import test from "ava";
import { run } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, stepsFor, suffix, transcript } from "./pulumi";

// examples/review under the real CLI: a canary program (a Service, a candidate Revision with env
// COLOR, a TrafficTarget 80/20 with the tag canary). A COLOR change previews as the Revision's
// replace with nothing shown as removed, its name and the TrafficTarget's entry reading "new
// revision of web"; the example's script prints the report a reviewer reads; and previews stay
// quiet after up and after refresh.

const stack = `review-${suffix()}`;
let engine: TestEngine;
let image: string;
let project: PulumiProject;
let stable: string;
let candidate: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.example("review", engine.home);
  await project.initStack(stack, { image });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial("pulumi up, then pulumi preview --expect-no-changes passes", async (t) => {
  await project.up(stack);
  candidate = (await project.outputs(stack)).candidateRevision;
  stable = (await engine.api().then((api) => api.getService(stack, "web"))).latestCreatedRevision ?? "";
  t.regex(candidate, /^web-00002-[a-z]{3}$/);
  const quiet = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(quiet.code, 0, transcript("pulumi preview --expect-no-changes", quiet));
});

test.serial(
  "a COLOR change previews as the Revision's replace with no output shown as removed, and the new name as 'new revision of web'",
  async (t) => {
    await project.ok(stack, ["config", "set", "canaryColor", "purple"]);
    const steps = await project.previewSteps(stack);
    t.deepEqual(
      steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`),
      ["replace web-candidate", "update web"],
    );
    t.deepEqual(
      stepsFor(steps, "Service", "web").filter((s) => s.op !== "same"),
      [],
    );

    const diff = (await project.ok(stack, ["preview", "--diff"])).stdout;
    for (const removed of ["- imageDigest", "- name", "- ready"]) t.false(diff.includes(removed), `${removed} in:\n${diff}`);
    t.deepEqual(
      diff.split("\n").filter((line) => /^\s+- /.test(line)),
      [],
      "nothing at all shows as removed",
    );
    t.true(diff.includes(`~ name       : "${candidate}" => "new revision of web"`), diff);
    t.true(diff.includes(`~ revision: "${candidate}" => "new revision of web"`), diff);
    t.false(diff.includes("[unknown]"), diff);
    await project.ok(stack, ["config", "set", "canaryColor", "blue"]);
  },
);

test.serial(
  "the example's script makes the change and prints the report: the candidate's share moves to its replacement, with the one env key it changes",
  async (t) => {
    const result = await run("bash", ["review-change.sh", "purple"], { cwd: project.dir, env: project.env(), timeoutMs: 280_000 });
    t.is(result.code, 0, transcript("review-change.sh purple", result));
    const report = result.stdout;
    t.true(report.startsWith(`## skiff review of stack \`${stack}\`\n`), report);
    t.true(
      report.includes(
        [
          "| Revision | Tags | Before | After |",
          "| --- | --- | ---: | ---: |",
          `| \`${stable}\` |  | 80 % | 80 % |`,
          `| \`${candidate}\` **deleted** | \`canary\` → — | 20 % | 0 % |`,
          "| new revision (Revision `web-candidate`) **new** | `canary` | 0 % | 20 % |",
          "",
          "Traffic after: TrafficTarget web.",
          "",
          `New revision from Revision \`web-candidate\`, against \`${candidate}\`:`,
          '- env `COLOR`: `"blue"` → `"purple"`',
        ].join("\n"),
      ),
      report,
    );
    t.true(report.includes(`- ⚠️ **${candidate}, which serves 20 % now, is deleted**`), report);
    t.false(report.includes("sudden-shift") || report.includes("at once"), report);
  },
);

test.serial("pulumi up applies it; previews stay quiet after up and after refresh", async (t) => {
  await project.up(stack);
  const after = (await project.outputs(stack)).candidateRevision;
  t.not(after, candidate);
  for (const when of ["after up", "after refresh"]) {
    if (when === "after refresh") await project.ok(stack, ["refresh", "--yes"]);
    const quiet = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
    t.is(quiet.code, 0, transcript(`pulumi preview --expect-no-changes (${when})`, quiet));
  }
});
