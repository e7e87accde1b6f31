import test from "ava";
import { deployCommand, serviceUpdateCommand } from "../../provider/cli/deploy";
import { ignoredFlagsNote } from "../../provider/cli/common";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import { parseServiceSpec } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";
import { holdsSpec } from "../../sdk/providers/put-service";
import { diffGcpService } from "../../sdk/diff/cloudrunv2-service";
import { reportFields, serviceRules } from "../../sdk/gcp/field-rules";
import { translateService } from "../../sdk/gcp/service-spec";
import { serviceObject } from "../helpers/service-object";

// A service's description (Cloud Run's `description`, gcloud's --description, the Knative
// annotation run.googleapis.com/description): metadata kept on every surface, at most 512 characters.

const SERVICE = serviceObject(parseServiceTemplate({ image: "img:1" }), {
  name: "hello",
  description: "the storefront",
  createTime: "2026-01-01T00:00:00.000Z",
  updateTime: "2026-01-02T00:00:00.000Z",
});

test("the spec takes a description of up to 512 characters and refuses a longer one, naming the field", (t) => {
  t.is(parseServiceSpec({ template: { image: "i" }, description: "x".repeat(512) }).description?.length, 512);
  t.is(parseServiceSpec({ template: { image: "i" } }).description, undefined, "left out: kept as it is");
  const error = t.throws(() => parseServiceSpec({ template: { image: "i" }, description: "x".repeat(513) }), { instanceOf: SkiffError });
  t.deepEqual(error?.violations, [{ field: "description", reason: "a service's description is at most 512 characters" }]);
});

test("deploy and services update take --description as a setting (no 'no local effect' note) and send it", (t) => {
  for (const command of [deployCommand(), serviceUpdateCommand()]) {
    command.parseOptions(["--description", "the storefront"]);
    t.is(command.opts().description, "the storefront");
    t.is(ignoredFlagsNote(command.opts()), undefined);
  }
});

test("Knative: the annotation is exported, read back by replace, and a file without it clears the description", (t) => {
  const k = serviceToKnative(SERVICE) as { metadata: { annotations: Record<string, string> } };
  t.is(k.metadata.annotations["run.googleapis.com/description"], "the storefront");
  const plan = planReplace(k, "default");
  t.is(plan.spec.description, "the storefront");
  t.false(
    plan.ignored.some((p) => p.includes("description")),
    "read, not listed as ignored",
  );
  const none = serviceToKnative({ ...SERVICE, description: undefined }) as { metadata: { annotations: Record<string, string> } };
  t.false("run.googleapis.com/description" in none.metadata.annotations);
  t.is(planReplace(none, "default").spec.description, "", "a replace is the whole service: no annotation, no description");
  const long = { ...k, metadata: { ...k.metadata, annotations: { "run.googleapis.com/description": "x".repeat(513) } } };
  const error = t.throws(() => planReplace(long, "default"), { instanceOf: SkiffError });
  t.deepEqual(error?.violations, [
    { field: "metadata.annotations.run.googleapis.com/description", reason: "a service's description is at most 512 characters" },
  ]);
});

function decoded(json: unknown): Record<string, unknown> {
  const violations: FieldViolation[] = [];
  const value = decodeMessage("Service", json, "service", violations);
  if (violations.length > 0) throw new Error(JSON.stringify(violations));
  return value;
}
const specOf = (json: unknown) => serviceSpecFromV2(decoded(json), { name: "hello", root: "service", currentInvokers: [] }).spec;

test("v2: Service.description in and out; an update mask naming only labels keeps it, one naming it clears it; too long is refused at service.description", (t) => {
  const template = { containers: [{ image: "img:1" }] };
  t.is(specOf({ template, description: "the storefront" }).description, "the storefront");
  t.is(specOf({ template }).description, "");
  const wire = serviceToV2(SERVICE, { project: "default", location: "us-central1" }, { etag: serviceEtag(SERVICE) });
  t.is(wire.description, "the storefront");
  t.is(specOf(applyUpdateMask("Service", wire, { labels: { a: "b" } }, "labels")).description, "the storefront");
  t.is(specOf(applyUpdateMask("Service", wire, {}, "description")).description, "");
  const error = t.throws(() => specOf({ template, description: "x".repeat(513) }), { instanceOf: SkiffError });
  t.is(error?.violations[0]?.field, "service.description");
});

const gcpService = (extra: Record<string, unknown> = {}) => ({
  name: "hello",
  skiffProject: "dev",
  template: { containers: [{ image: "img:1" }] },
  ...extra,
});

test("pulumi-gcp: description is honoured (no warning), none written is none, too long fails at its path, a change updates in place", (t) => {
  const given = translateService(gcpService({ description: "the storefront" }));
  t.deepEqual(given.failures, []);
  t.is(given.spec.description, "the storefront");
  t.is(translateService(gcpService()).spec.description, "");
  t.deepEqual(reportFields(gcpService({ description: "d" }), serviceRules, () => false).ignored, []);
  t.deepEqual(
    translateService(gcpService({ description: "x".repeat(513) })).failures.map((f) => f.property),
    ["description"],
  );
  const d = diffGcpService(gcpService({ description: "a" }), gcpService({ description: "b" }));
  t.true(d.changes);
  t.deepEqual(d.replaces, []);
  // A stale-generation retry compares what the generation counts: the description too.
  const spec = { template: { image: "img:1" }, labels: {}, description: "other" };
  t.false(holdsSpec(SERVICE, spec));
  t.true(holdsSpec(SERVICE, { ...spec, description: "the storefront" }));
});
