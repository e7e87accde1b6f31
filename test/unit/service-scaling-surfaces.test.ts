import test from "ava";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage, encodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { renameViolations, SkiffError, type FieldViolation } from "../../provider/model/errors";
import { parseServiceSpec } from "../../provider/model/service";
import type { ServiceScaling } from "../../provider/model/service-scaling";
import { parseServiceTemplate } from "../../provider/model/template";
import { serviceObject } from "../helpers/service-object";

// The service's own scaling through the v2 Admin API's Service.scaling and Knative YAML's
// service annotations: in, out, back in, and under an update mask.

const SCOPE = { project: "default", location: "us-central1" };
const service = (serviceScaling: ServiceScaling) =>
  serviceObject(parseServiceTemplate({ image: "img:1" }), {
    name: "hello",
    serviceScaling,
    url: "http://hello.localhost:8080",
    generation: 2,
    createTime: "2026-01-01T00:00:00.000Z",
    updateTime: "2026-01-02T00:00:00.000Z",
  });

function decoded(json: unknown): Record<string, unknown> {
  const violations: FieldViolation[] = [];
  const value = decodeMessage("Service", json, "service", violations);
  if (violations.length > 0) throw new Error(JSON.stringify(violations));
  return value;
}
const specOf = (json: unknown) => serviceSpecFromV2(decoded(json), { name: "hello", root: "service", currentInvokers: [] }).spec;
const template = { containers: [{ image: "img:1" }] };

test("v2: Service.scaling becomes the service's scaling, and the answer carries it back", (t) => {
  t.deepEqual(specOf({ template, scaling: { minInstanceCount: 2, maxInstanceCount: 5 } }).serviceScaling, {
    scalingMode: "AUTOMATIC",
    minInstanceCount: 2,
    maxInstanceCount: 5,
  });
  t.deepEqual(specOf({ template, scaling: { scalingMode: "MANUAL", manualInstanceCount: 3 } }).serviceScaling, {
    scalingMode: "MANUAL",
    manualInstanceCount: 3,
  });
  t.deepEqual(
    specOf({ template, scaling: { scalingMode: 2, manualInstanceCount: 1 } }).serviceScaling,
    {
      scalingMode: "MANUAL",
      manualInstanceCount: 1,
    },
    "the enum as its number",
  );
  t.deepEqual(specOf({ template }).serviceScaling, { scalingMode: "AUTOMATIC" }, "a whole-service update without it: none");

  for (const s of [
    { scalingMode: "AUTOMATIC", minInstanceCount: 2, maxInstanceCount: 5 },
    { scalingMode: "MANUAL", manualInstanceCount: 3 },
  ] as ServiceScaling[]) {
    const wire = serviceToV2(service(s), SCOPE, { etag: serviceEtag(service(s)) });
    const sentBack = decoded(JSON.parse(JSON.stringify(encodeMessage("Service", wire, { intEnums: true }))));
    t.deepEqual(specOf(sentBack).serviceScaling, s, "a GET sent back as an update keeps it");
  }
  t.false("scaling" in serviceToV2(service({ scalingMode: "AUTOMATIC" }), SCOPE, { etag: "e" }), "none: left out");
});

test("v2: an update mask naming scaling changes it; one naming only labels keeps it", (t) => {
  const current = serviceToV2(service({ scalingMode: "AUTOMATIC", minInstanceCount: 2 }), SCOPE, { etag: "e" });
  t.deepEqual(specOf(applyUpdateMask("Service", current, { labels: { a: "b" } }, "labels")).serviceScaling, {
    scalingMode: "AUTOMATIC",
    minInstanceCount: 2,
  });
  t.deepEqual(
    specOf(applyUpdateMask("Service", current, { scaling: { maxInstanceCount: 4 } }, "scaling.maxInstanceCount")).serviceScaling,
    { scalingMode: "AUTOMATIC", minInstanceCount: 2, maxInstanceCount: 4 },
  );
  t.deepEqual(specOf(applyUpdateMask("Service", current, {}, "scaling")).serviceScaling, { scalingMode: "AUTOMATIC" });
});

test("v2: bad scaling is refused at the client's path", (t) => {
  const error = t.throws(() => specOf({ template, scaling: { minInstanceCount: 5, maxInstanceCount: 2 } }), { instanceOf: SkiffError });
  t.deepEqual(error?.violations, [{ field: "service.scaling.minInstanceCount", reason: "must not exceed maxInstanceCount (5 > 2)" }]);
  const manual = t.throws(() => specOf({ template, scaling: { manualInstanceCount: 2 } }), { instanceOf: SkiffError });
  t.deepEqual(manual?.violations, [{ field: "service.scaling.manualInstanceCount", reason: "needs scalingMode MANUAL" }]);
  const negative = t.throws(() => specOf({ template, scaling: { minInstanceCount: -1 } }), { instanceOf: SkiffError });
  t.is(negative?.violations[0]?.field, "service.scaling.minInstanceCount");
});

const knativeOf = (s: ServiceScaling) => JSON.parse(JSON.stringify(serviceToKnative(service(s))));

test("Knative: the service's annotations carry it out, and services replace reads them back", (t) => {
  const auto = knativeOf({ scalingMode: "AUTOMATIC", minInstanceCount: 2, maxInstanceCount: 5 });
  t.like(auto.metadata.annotations, { "run.googleapis.com/minScale": "2", "run.googleapis.com/maxScale": "5" });
  t.false("run.googleapis.com/scalingMode" in auto.metadata.annotations);
  t.deepEqual(parseServiceSpec(planReplace(auto, "default").spec).serviceScaling, {
    scalingMode: "AUTOMATIC",
    minInstanceCount: 2,
    maxInstanceCount: 5,
  });
  const manual = knativeOf({ scalingMode: "MANUAL", manualInstanceCount: 3 });
  t.like(manual.metadata.annotations, { "run.googleapis.com/scalingMode": "manual", "run.googleapis.com/manualInstanceCount": "3" });
  t.deepEqual(parseServiceSpec(planReplace(manual, "default").spec).serviceScaling, { scalingMode: "MANUAL", manualInstanceCount: 3 });
  const none = knativeOf({ scalingMode: "AUTOMATIC" });
  t.false(Object.keys(none.metadata.annotations).some((k) => /minScale|maxScale|scalingMode|manualInstanceCount/.test(k)));
  t.deepEqual(parseServiceSpec(planReplace(none, "default").spec).serviceScaling, { scalingMode: "AUTOMATIC" });
  t.false(
    planReplace(auto, "default").ignored.some((p) => p.includes("Scale")),
    "none of them listed as ignored",
  );
});

test("Knative: a bad service scaling annotation is refused naming it", (t) => {
  const doc = knativeOf({ scalingMode: "AUTOMATIC" });
  doc.metadata.annotations["run.googleapis.com/minScale"] = "two";
  const error = t.throws(() => planReplace(doc, "default"), { instanceOf: SkiffError });
  t.deepEqual(error?.violations, [
    { field: "metadata.annotations.run.googleapis.com/minScale", reason: 'must be a whole number, got "two"' },
  ]);
  doc.metadata.annotations["run.googleapis.com/minScale"] = "5";
  doc.metadata.annotations["run.googleapis.com/maxScale"] = "2";
  const plan = planReplace(doc, "default");
  const combined = t.throws(
    () => {
      try {
        parseServiceSpec(plan.spec);
      } catch (e) {
        throw renameViolations(e, plan.pathOf);
      }
    },
    { instanceOf: SkiffError },
  );
  t.is(combined?.violations[0]?.field, "metadata.annotations.run.googleapis.com/minScale");
  doc.metadata.annotations["run.googleapis.com/scalingMode"] = "sometimes";
  t.throws(() => planReplace(doc, "default"), { message: /scalingMode: must be automatic or manual, got "sometimes"/ });
});
