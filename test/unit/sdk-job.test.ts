import test from "ava";
import { checkJobInputs } from "../../sdk/check/job";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";
import { diffJob } from "../../sdk/diff/job";

// The Job resource's check (the engine's schema, every default applied, failures naming the
// property) and diff (the template and the rest update in place; the name and project replace).

const reasonsOf = (failures: { property: string; reason: string }[]) => failures.map((f) => `${f.property}: ${f.reason}`);

const defaults = {
  env: {},
  taskCount: 1,
  parallelism: 0,
  maxRetries: 3,
  timeout: 600,
  resources: { cpu: "1", memory: "512Mi" },
};

test("a minimal job gets every engine default, execute never and wait false", (t) => {
  const { inputs, failures } = checkJobInputs({ name: "migrate", project: "dev", template: { image: "img:1" } });
  t.deepEqual(failures, []);
  t.deepEqual(inputs, {
    name: "migrate",
    project: "dev",
    template: { image: "img:1", ...defaults },
    labels: {},
    execute: "never",
    wait: false,
  });
});

test("execute onCreate or onChange makes wait default to true; an explicit wait false stays", (t) => {
  t.is(checkJobInputs({ name: "m", project: "dev", template: { image: "i" }, execute: "onChange" }).inputs.wait, true);
  t.is(checkJobInputs({ name: "m", project: "dev", template: { image: "i" }, execute: "onCreate" }).inputs.wait, true);
  t.is(checkJobInputs({ name: "m", project: "dev", template: { image: "i" }, execute: "onChange", wait: false }).inputs.wait, false);
});

test("checking normalised inputs again changes nothing", (t) => {
  const once = checkJobInputs({ name: "m", project: "dev", template: { image: "i", taskCount: 4, parallelism: 2 }, execute: "onChange" });
  t.deepEqual(checkJobInputs(once.inputs as unknown as Record<string, unknown>), once);
});

test("a job written with its defaults spelled out and one without have no diff, so a default never shows as a change", (t) => {
  const bare = checkJobInputs({ name: "m", project: "dev", template: { image: "i" } }).inputs;
  const spelled = checkJobInputs({
    name: "m",
    project: "dev",
    template: { image: "i", ...defaults },
    labels: {},
    execute: "never",
    wait: false,
  }).inputs;
  const state = {
    ...bare,
    latestExecution: { name: "m-abcde", status: "SUCCEEDED", succeededCount: 1, failedCount: 0, retriedCount: 0 },
    __provider: "exports.handler = ...",
  };
  t.deepEqual(diffJob(state, spelled as unknown as Record<string, unknown>), {
    changes: false,
    replaces: [],
    stables: ["name", "project"],
    deleteBeforeReplace: false,
  });
});

test("bad taskCount, parallelism, maxRetries, timeout and execute values fail with the property path and the reason", (t) => {
  const { failures } = checkJobInputs({
    name: "m",
    project: "dev",
    template: { image: "i", taskCount: 0, parallelism: -1, maxRetries: 11, timeout: 0 },
    execute: "always",
  });
  t.deepEqual(reasonsOf(failures), [
    "template.taskCount: must be between 1 and 10000",
    "template.parallelism: must be between 0 (all at once) and 10000",
    "template.maxRetries: must be between 0 and 10",
    "template.timeout: must be between 1 and 604800 seconds",
    'execute: must be "never", "onCreate" or "onChange"',
  ]);
});

test("fractional or out-of-range numbers are named too", (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ taskCount: 1.5 }, "template.taskCount: must be a whole number"],
    [{ taskCount: 10_001 }, "template.taskCount: must be between 1 and 10000"],
    [{ parallelism: 10_001 }, "template.parallelism: must be between 0 (all at once) and 10000"],
    [{ maxRetries: -1 }, "template.maxRetries: must be between 0 and 10"],
    [{ timeout: 2.5 }, "template.timeout: must be a whole number of seconds"],
    [{ timeout: 168 * 3600 + 1 }, "template.timeout: must be between 1 and 604800 seconds"],
  ];
  for (const [field, expected] of cases) {
    const { failures } = checkJobInputs({ name: "m", project: "dev", template: { image: "i", ...field } });
    t.deepEqual(reasonsOf(failures), [expected], JSON.stringify(field));
  }
});

test("a bad wait value and a CLOUD_RUN_ variable in env are named, the variable as reserved", (t) => {
  const { failures } = checkJobInputs({
    name: "m",
    project: "dev",
    template: { image: "i", env: { CLOUD_RUN_TASK_INDEX: "3" } },
    wait: "yes",
  });
  t.deepEqual(reasonsOf(failures), [
    "template.env.CLOUD_RUN_TASK_INDEX: is reserved: the platform sets CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_INDEX, CLOUD_RUN_TASK_ATTEMPT and CLOUD_RUN_TASK_COUNT",
    "wait: must be true or false",
  ]);
});

test("values unknown at preview pass and stay unknown", (t) => {
  const { inputs, failures } = checkJobInputs({
    name: "m",
    project: UNKNOWN,
    template: { image: UNKNOWN, taskCount: UNKNOWN },
    execute: "onChange",
  });
  t.deepEqual(failures, []);
  t.is(inputs.project, UNKNOWN);
  t.is(inputs.template.image, UNKNOWN);
  t.is(inputs.template.taskCount as unknown, UNKNOWN);
  t.is(inputs.template.maxRetries, 3);
  t.is(inputs.wait, true);
});

const job = checkJobInputs({
  name: "migrate",
  project: "dev",
  template: { image: "img:1", env: { SCHEMA_VERSION: "v1" } },
  execute: "onChange",
}).inputs as unknown as Record<string, any>;

test("a template change (image, env, taskCount, parallelism, maxRetries, timeout) is an in-place update", (t) => {
  for (const change of [
    { image: "img:2" },
    { env: { SCHEMA_VERSION: "v2" } },
    { taskCount: 2 },
    { parallelism: 1 },
    { maxRetries: 0 },
    { timeout: 120 },
  ]) {
    const news = { ...job, template: { ...job.template, ...change } };
    t.deepEqual(
      diffJob(job, news),
      { changes: true, replaces: [], stables: ["name", "project"], deleteBeforeReplace: false },
      JSON.stringify(change),
    );
  }
});

test("labels, execute and wait changes are in-place updates", (t) => {
  for (const news of [
    { ...job, labels: { team: "db" } },
    { ...job, execute: "onCreate" },
    { ...job, wait: false },
  ]) {
    const d = diffJob(job, news);
    t.true(d.changes);
    t.deepEqual(d.replaces, []);
  }
});

test("a name or project change replaces the job", (t) => {
  t.deepEqual(diffJob(job, { ...job, name: "migrate2" }), {
    changes: true,
    replaces: ["name"],
    stables: ["project"],
    deleteBeforeReplace: false,
  });
  t.deepEqual(diffJob(job, { ...job, project: "prod" }).replaces, ["project"]);
});

test("key order inside the template is not a change; an unknown template is", (t) => {
  t.false(diffJob(job, { ...job, template: Object.fromEntries(Object.entries(job.template).reverse()) }).changes);
  t.true(diffJob(job, { ...job, template: UNKNOWN }).changes);
});
