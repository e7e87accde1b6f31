import test from "ava";
import { resourceProblems } from "../../provider/model/cpu-memory";
import { parseServiceTemplate } from "../../provider/model/template";
import { SkiffError } from "../../provider/model/errors";

// Cloud Run's CPU and memory pairs: what a deploy to Cloud Run refuses is refused here too, at
// `pulumi preview` and at deploy, naming the field.

const messages = (cpu: string, memory: string, concurrency?: number) =>
  resourceProblems(cpu, memory, concurrency).map((p) => `${p.path.join(".")}: ${p.message}`);

test("the pairs Cloud Run takes pass: 1 CPU up to 4Gi, 2 up to 8Gi, 4 from 2Gi to 16Gi, 8 from 4Gi to 32Gi; below 1 CPU with concurrency 1", (t) => {
  for (const [cpu, memory] of [
    ["1", "128Mi"],
    ["1", "4Gi"],
    ["1000m", "512Mi"],
    ["2", "8Gi"],
    ["4", "2Gi"],
    ["4", "16Gi"],
    ["6", "4Gi"],
    ["8", "32Gi"],
  ])
    t.deepEqual(messages(cpu, memory, 80), [], `${cpu} / ${memory}`);
  t.deepEqual(messages("0.25", "512Mi", 1), []);
  t.deepEqual(messages("500m", "1Gi", 1), []);
  t.deepEqual(messages("0.08", "128Mi", undefined), [], "a job has no concurrency");
});

test("above 1 CPU only 2, 4, 6 or 8 (Cloud Run's table has no 3, 5 or 7); memory per CPU bounded both ways", (t) => {
  t.deepEqual(messages("1.5", "1Gi", 80), ['resources.cpu: above 1 must be 2, 4, 6 or 8 CPUs, got "1.5"']);
  for (const cpu of ["3", "5", "7", "3000m"])
    t.deepEqual(messages(cpu, "4Gi", 80), [`resources.cpu: above 1 must be 2, 4, 6 or 8 CPUs, got "${cpu}"`], cpu);
  t.deepEqual(messages("1", "8Gi", 80), ['resources.memory: must be at most 4Gi with cpu 1 (4Gi per CPU), got "8Gi"']);
  t.deepEqual(messages("2", "9Gi", 80), ['resources.memory: must be at most 8Gi with cpu 2 (4Gi per CPU), got "9Gi"']);
  t.deepEqual(messages("4", "1Gi", 80), ['resources.memory: must be at least 2Gi with cpu 4, got "1Gi"']);
  t.deepEqual(messages("8", "2Gi", 80), ['resources.memory: must be at least 4Gi with cpu 8, got "2Gi"']);
});

test("below 1 CPU: at most 512Mi (1Gi from 0.5 CPU), and a service serves one request at a time", (t) => {
  t.deepEqual(messages("0.25", "1Gi", 1), [
    'resources.memory: must be at most 512Mi with cpu 0.25 (more than 512Mi needs 0.5 CPU, more than 1Gi needs 1 CPU), got "1Gi"',
  ]);
  t.deepEqual(messages("0.5", "2Gi", undefined), [
    'resources.memory: must be at most 1Gi with cpu 0.5 (more than 512Mi needs 0.5 CPU, more than 1Gi needs 1 CPU), got "2Gi"',
  ]);
  t.deepEqual(messages("0.5", "512Mi", 80), [
    "maxInstanceRequestConcurrency: must be 1 with cpu 0.5: an instance with less than 1 CPU serves one request at a time, got 80",
  ]);
});

test("a service template is refused naming template.resources.*; with sidecars the pair rules are left to the sum", (t) => {
  const error = t.throws(() => parseServiceTemplate({ image: "app:1", resources: { cpu: "0.5" } }), { instanceOf: SkiffError });
  t.deepEqual(error?.violations, [
    {
      field: "template.maxInstanceRequestConcurrency",
      reason: "must be 1 with cpu 0.5: an instance with less than 1 CPU serves one request at a time, got 80",
    },
  ]);
  t.notThrows(() =>
    parseServiceTemplate({
      image: "app:1",
      containerName: "app",
      resources: { cpu: "0.5" },
      sidecars: [{ name: "proxy", image: "proxy:1", resources: { cpu: "0.5", memory: "256Mi" } }],
    }),
  );
});
