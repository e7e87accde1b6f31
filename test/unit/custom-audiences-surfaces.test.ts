import test from "ava";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage, encodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import type { Service } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";

// Custom audiences through the v2 Admin API's Service.customAudiences: in, out, and under an update mask.

const SCOPE = { project: "default", location: "us-central1" };

const SERVICE: Service = {
  name: "hello",
  project: "default",
  template: parseServiceTemplate({ image: "img:1" }),
  labels: {},
  ingress: "all",
  invokers: [],
  customAudiences: ["https://api.example.com"],
  traffic: [],
  trafficStatuses: [],
  url: "http://hello.localhost:8080",
  generation: 2,
  scaling: [],
  createTime: "2026-01-01T00:00:00.000Z",
  updateTime: "2026-01-02T00:00:00.000Z",
};

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
