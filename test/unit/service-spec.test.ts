import test from "ava";
import { SkiffError } from "../../provider/model/errors";
import { parseServiceSpec } from "../../provider/model/service";
import { startupDeadlineMs } from "../../provider/model/template";
import { templateFingerprint } from "../../provider/model/revision";
import { parseDurationMs } from "../../provider/model/duration";
import { parseCpuNanos, parseMemoryBytes } from "../../provider/model/quantity";

function violations(input: unknown) {
  try {
    parseServiceSpec(input);
  } catch (error) {
    if (error instanceof SkiffError) return error.violations;
    throw error;
  }
  return [];
}

test("defaults are Cloud Run's", (t) => {
  const spec = parseServiceSpec({ template: { image: "img" } });
  t.like(spec.template, {
    port: 8080,
    maxInstanceRequestConcurrency: 80,
    timeout: 300,
    scaling: { minInstanceCount: 0, maxInstanceCount: 100 },
    resources: { cpu: "1", memory: "512Mi" },
    startupProbe: { periodSeconds: 240, failureThreshold: 1, initialDelaySeconds: 0 },
  });
  t.is(startupDeadlineMs(spec.template), 240_000);
  t.deepEqual(spec.template.env, {});
});

test("bad values name the field and the reason, once each", (t) => {
  t.deepEqual(violations({ template: { image: "img", maxInstanceRequestConcurrency: 0 } }), [
    { field: "template.maxInstanceRequestConcurrency", reason: "must be between 1 and 1000" },
  ]);
  t.deepEqual(violations({ template: { image: "img", resources: { memory: "lots" } } }), [
    { field: "template.resources.memory", reason: 'must be a quantity such as 512Mi or 1Gi, got "lots"' },
  ]);
  t.deepEqual(
    violations({ template: { image: "img", env: { PORT: "1" } } }).map((v) => v.field),
    ["template.env.PORT"],
  );
  t.deepEqual(
    violations({ template: { image: "img", scaling: { minInstanceCount: 5, maxInstanceCount: 2 } } }).map((v) => v.field),
    ["template.scaling.minInstanceCount"],
  );
  t.deepEqual(
    violations({ template: { image: "img", timeout: 3601 } }).map((v) => v.field),
    ["template.timeout"],
  );
  t.deepEqual(
    violations({ template: {} }).map((v) => v.field),
    ["template.image"],
  );
  t.deepEqual(
    violations({ template: { image: "img", colour: "red" } }).map((v) => v.field),
    ["template"],
  );
});

test("the fingerprint ignores key order and defaults, and sees every real change", (t) => {
  const a = parseServiceSpec({ template: { image: "img", env: { A: "1", B: "2" } } }).template;
  const b = parseServiceSpec({ template: { env: { B: "2", A: "1" }, port: 8080, image: "img" } }).template;
  const c = parseServiceSpec({ template: { image: "img", env: { A: "1", B: "3" } } }).template;
  t.is(templateFingerprint(a), templateFingerprint(b));
  t.not(templateFingerprint(a), templateFingerprint(c));
});

test("quantities and durations", (t) => {
  t.is(parseMemoryBytes("512Mi"), 512 * 1024 * 1024);
  t.is(parseMemoryBytes("1G"), 1e9);
  t.is(parseMemoryBytes("lots"), undefined);
  t.is(parseCpuNanos("500m"), 0.5e9);
  t.is(parseCpuNanos("2"), 2e9);
  t.is(parseDurationMs("500ms"), 500);
  t.is(parseDurationMs("15m"), 900_000);
  t.is(parseDurationMs("30"), 30_000);
  t.is(parseDurationMs("soon"), undefined);
});

test("durations take several units from largest to smallest, as gcloud does", (t) => {
  t.is(parseDurationMs("1m30s"), 90_000);
  t.is(parseDurationMs("1h5m"), 3_900_000);
  t.is(parseDurationMs("2s500ms"), 2_500);
  t.is(parseDurationMs("1.5s"), 1_500);
  t.is(parseDurationMs(" 5s "), 5_000);
  t.is(parseDurationMs("5s1m"), undefined, "units out of order");
  t.is(parseDurationMs("1m1m"), undefined, "a unit twice");
  t.is(parseDurationMs("1m 30s"), undefined);
  t.is(parseDurationMs(""), undefined);
  t.is(parseDurationMs("ms"), undefined);
  t.is(parseDurationMs("-5s"), undefined);
});

test("durations take gcloud's days and weeks, either case, and ISO 8601 (--task-timeout 2d works as in gcloud)", (t) => {
  t.is(parseDurationMs("1d"), 86_400_000);
  t.is(parseDurationMs("2d12h"), 216_000_000);
  t.is(parseDurationMs("1w"), 604_800_000);
  t.is(parseDurationMs("10M"), 600_000);
  t.is(parseDurationMs("1H30M"), 5_400_000);
  t.is(parseDurationMs("PT10M"), 600_000);
  t.is(parseDurationMs("pt1h"), 3_600_000);
  t.is(parseDurationMs("P1D"), 86_400_000);
  t.is(parseDurationMs("P1DT12H"), 129_600_000);
  t.is(parseDurationMs("P1M"), undefined, "an ISO month has no fixed length");
  t.is(parseDurationMs("PT1D"), undefined, "days belong before the T");
  t.is(parseDurationMs("1dT1h"), undefined, "T only after a P");
  t.is(parseDurationMs("P"), undefined);
  t.is(parseDurationMs("1h2d"), undefined, "units out of order");
});
