import test from "ava";
import { checkGeneration, specChanged } from "../../provider/controller/service-generation";
import { SkiffError } from "../../provider/model/errors";
import { parseServiceSpec } from "../../provider/model/service";
import type { ServiceRow } from "../../provider/state/store";

const spec = parseServiceSpec({ template: { image: "example/app:1" }, labels: { team: "a" } });
const row: ServiceRow = {
  project: "p",
  name: "web",
  template: spec.template,
  labels: spec.labels,
  ingress: spec.ingress,
  customAudiences: ["https://api.example.com"],
  description: "",
  defaultUriDisabled: false,
  serviceScaling: { scalingMode: "AUTOMATIC" },
  traffic: [],
  generation: 3,
  nextGeneration: 4,
  createTime: "2026-01-01T00:00:00Z",
  updateTime: "2026-01-01T00:00:00Z",
};

test("the generation moves on with the template, labels or ingress, not with traffic", (t) => {
  t.false(specChanged(row, spec));
  t.false(specChanged(row, { ...spec, traffic: [{ type: "LATEST", percent: 100 }] }));
  t.true(specChanged(row, parseServiceSpec({ template: { image: "example/app:2" }, labels: { team: "a" } })));
  t.true(specChanged(row, { ...spec, labels: { team: "b" } }));
  // Custom audiences: left out, they stay (no change); given, compared.
  t.false(specChanged(row, { ...spec, customAudiences: ["https://api.example.com"] }));
  t.true(specChanged(row, { ...spec, customAudiences: [] }));
  // The description likewise: metadata, but a change of the service all the same (Cloud Run's generation counts it).
  t.false(specChanged(row, { ...spec, description: "" }));
  t.true(specChanged(row, { ...spec, description: "the storefront" }));
  t.true(specChanged(row, { ...spec, ingress: "internal" }));
});

test("a change based on another generation than the stored one is a 409 saying which; none named is no check", (t) => {
  t.notThrows(() => checkGeneration("p", "web", row, undefined));
  t.notThrows(() => checkGeneration("p", "web", row, 3));
  t.notThrows(() => checkGeneration("p", "web", undefined, 0), "0: must not exist yet");
  const stale = t.throws(() => checkGeneration("p", "web", row, 2), { instanceOf: SkiffError });
  t.is(stale?.code, "CONFLICT");
  t.regex(stale?.message ?? "", /it is at generation 3; this change was based on generation 2/);
  const gone = t.throws(() => checkGeneration("p", "web", undefined, 3), { instanceOf: SkiffError });
  t.regex(gone?.message ?? "", /does not exist any more/);
  t.deepEqual(
    gone?.violations.map((v) => v.field),
    ["expectedGeneration"],
  );
});
