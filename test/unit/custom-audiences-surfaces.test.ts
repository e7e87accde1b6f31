import test from "ava";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage, encodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import { parseServiceTemplate } from "../../provider/model/template";
import { checkServiceInputs } from "../../sdk/check/service";
import { diffService } from "../../sdk/diff/service";
import { diffGcpService } from "../../sdk/diff/cloudrunv2-service";
import { reportFields, serviceRules } from "../../sdk/gcp/field-rules";
import { translateService } from "../../sdk/gcp/service-spec";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";
import { serviceObject } from "../helpers/service-object";

// Custom audiences through the v2 Admin API's Service.customAudiences: in, out, and under an update mask.

const SCOPE = { project: "default", location: "us-central1" };

const SERVICE = serviceObject(parseServiceTemplate({ image: "img:1" }), {
  name: "hello",
  customAudiences: ["https://api.example.com"],
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

test("v2: Service.customAudiences becomes the service's; left out of a whole-service update, none; the answer carries them and reads back", (t) => {
  const template = { containers: [{ image: "img:1" }] };
  t.deepEqual(specOf({ template, customAudiences: ["https://api.example.com", "myservice"] }).customAudiences, [
    "https://api.example.com",
    "myservice",
  ]);
  t.deepEqual(specOf({ template }).customAudiences, []);

  const wire = serviceToV2(SERVICE, SCOPE, { etag: serviceEtag(SERVICE) });
  t.deepEqual(wire.customAudiences, ["https://api.example.com"]);
  t.false(
    "customAudiences" in serviceToV2({ ...SERVICE, customAudiences: [] }, SCOPE, { etag: "e" }),
    "none: left out, as proto3 JSON does",
  );
  const sentBack = decoded(JSON.parse(JSON.stringify(encodeMessage("Service", wire, { intEnums: true }))));
  t.deepEqual(specOf(sentBack).customAudiences, ["https://api.example.com"], "a GET sent back as an update keeps them");

  // An update mask that names only labels keeps the audiences; one that names customAudiences and leaves it out clears them.
  t.deepEqual(specOf(applyUpdateMask("Service", wire, { labels: { a: "b" } }, "labels")).customAudiences, ["https://api.example.com"]);
  t.deepEqual(specOf(applyUpdateMask("Service", wire, {}, "customAudiences")).customAudiences, []);
});

test("v2: a bad custom audience is refused at the client's path", (t) => {
  const error = t.throws(() => specOf({ template: { containers: [{ image: "i" }] }, customAudiences: ["ok", ""] }), {
    instanceOf: SkiffError,
  });
  t.deepEqual(error?.violations, [{ field: "service.customAudiences[1]", reason: "must not be empty" }]);
  const long = t.throws(() => specOf({ template: { containers: [{ image: "i" }] }, customAudiences: ["x".repeat(40_000)] }), {
    instanceOf: SkiffError,
  });
  t.is(long?.violations[0]?.field, "service.customAudiences");
});

const gcpService = (extra: Record<string, unknown> = {}) => ({
  name: "hello",
  skiffProject: "dev",
  template: { containers: [{ image: "img:1" }] },
  ...extra,
});

test("pulumi-gcp: customAudiences is honoured, not ignored with a warning; none written is none; a bad one fails at its path; a change updates in place", (t) => {
  const given = translateService(gcpService({ customAudiences: ["https://api.example.com"] }));
  t.deepEqual(given.failures, []);
  t.deepEqual(given.spec.customAudiences, ["https://api.example.com"]);
  t.deepEqual(translateService(gcpService()).spec.customAudiences, []);
  t.is(translateService(gcpService({ customAudiences: UNKNOWN })).spec.customAudiences, UNKNOWN, "unknown at preview stays unknown");
  t.deepEqual(
    translateService(gcpService({ customAudiences: ["ok", ""] })).failures.map((f) => `${f.property}: ${f.reason}`),
    ["customAudiences[1]: must not be empty"],
  );
  t.deepEqual(reportFields(gcpService({ customAudiences: ["a"] }), serviceRules, () => false).ignored, []);
  const d = diffGcpService(gcpService({ customAudiences: ["a"] }), gcpService({ customAudiences: ["b"] }));
  t.true(d.changes);
  t.deepEqual(d.replaces, []);
});

test("skiff.Service: customAudiences checked by the engine's rule, sent when set, left alone when not; a change updates in place", (t) => {
  const base = { name: "web", project: "default", template: { image: "img:1" } };
  const checked = checkServiceInputs({ ...base, customAudiences: ["https://api.example.com", "https://api.example.com"] });
  t.deepEqual(checked.failures, []);
  t.deepEqual(checked.inputs.customAudiences, ["https://api.example.com"]);
  t.false("customAudiences" in checkServiceInputs(base).inputs, "left out: not managed");
  t.deepEqual(
    checkServiceInputs({ ...base, customAudiences: [""] }).failures.map((f) => `${f.property}: ${f.reason}`),
    ["customAudiences[0]: must not be empty"],
  );
  const d = diffService({ ...base, customAudiences: ["a"] }, { ...base, customAudiences: [] });
  t.true(d.changes);
  t.deepEqual(d.replaces, []);
});
