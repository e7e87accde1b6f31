import test from "ava";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import { templateFingerprint } from "../../provider/model/revision";
import type { Service } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";

// What a script written against Cloud Run's Admin API v2 relies on, rule by rule, where skiff
// once answered otherwise: each test names the rule Cloud Run states.

const SCOPE = { project: "default", location: "us-central1" };

function pinnedService(): Service {
  return {
    name: "hello",
    project: "default",
    template: parseServiceTemplate({ image: "img:1" }),
    labels: {},
    ingress: "all",
    invokers: [],
    traffic: [
      { type: "REVISION", revision: "hello-00001-abc", percent: 90 },
      { type: "REVISION", revision: "hello-00002-def", percent: 10, tag: "canary" },
    ],
    trafficStatuses: [],
    url: "http://hello.localhost:8080",
    latestCreatedRevision: "hello-00002-def",
    latestReadyRevision: "hello-00002-def",
    generation: 2,
    scaling: [],
    createTime: "2026-01-01T00:00:00.000Z",
    updateTime: "2026-01-02T00:00:00.000Z",
  };
}

function decoded(json: unknown): Record<string, unknown> {
  const violations: FieldViolation[] = [];
  const value = decodeMessage("Service", json, "service", violations);
  if (violations.length > 0) throw new Error(JSON.stringify(violations));
  return value;
}

export function violationsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof SkiffError) return error.violations.map((v) => `${v.field}: ${v.reason}`);
    throw error;
  }
  return [];
}

const specOf = (wire: Record<string, unknown>) => serviceSpecFromV2(wire, { name: "hello", root: "service", currentInvokers: [] }).spec;

test("Service.traffic empty or not provided is 100% to the latest ready revision: a whole-service update without it drops the pins and tags", (t) => {
  const fresh = decoded({ template: { containers: [{ image: "img:2" }] } });
  t.deepEqual(specOf(fresh).traffic, []);
  const emptied = decoded({ template: { containers: [{ image: "img:2" }] }, traffic: [] });
  t.deepEqual(specOf(emptied).traffic, []);
});

test("Service.traffic: an update mask that leaves traffic out keeps the split; one naming traffic with none given sends all to the latest", (t) => {
  const current = serviceToV2(pinnedService(), SCOPE, { etag: '"e"' });
  const request = decoded({ template: { containers: [{ image: "img:2" }] } });
  const kept = specOf(applyUpdateMask("Service", current, request, "template"));
  t.deepEqual(
    kept.traffic?.map((e) => [e.revision, e.percent, e.tag]),
    [
      ["hello-00001-abc", 90, undefined],
      ["hello-00002-def", 10, "canary"],
    ],
  );
  const cleared = specOf(applyUpdateMask("Service", current, request, "template,traffic"));
  t.deepEqual(cleared.traffic, []);
});

test("labels and annotations in Cloud Run's system namespaces are refused by the v2 API at their paths, naming the v2 field that replaces them", (t) => {
  const wire = decoded({
    labels: { "run.googleapis.com/x": "y", team: "web" },
    annotations: { "run.googleapis.com/ingress": "internal", "example.com/commit": "abc" },
    template: {
      labels: { "serving.knative.dev/route": "r" },
      annotations: { "autoscaling.knative.dev/maxScale": "3", "run.googleapis.com/unknown-thing": "1" },
      containers: [{ image: "img:1" }],
    },
  });
  t.deepEqual(
    violationsOf(() => specOf(wire)),
    [
      "service.labels.run.googleapis.com/x: labels in the run.googleapis.com namespace are not taken by the Admin API v2; the v2 API has a field for each system setting",
      "service.annotations.run.googleapis.com/ingress: annotations in the run.googleapis.com namespace are not taken by the Admin API v2; set the v2 field ingress instead",
      "service.template.labels.serving.knative.dev/route: labels in the serving.knative.dev namespace are not taken by the Admin API v2; the v2 API has a field for each system setting",
      "service.template.annotations.autoscaling.knative.dev/maxScale: annotations in the autoscaling.knative.dev namespace are not taken by the Admin API v2; set the v2 field template.scaling.maxInstanceCount instead",
      "service.template.annotations.run.googleapis.com/unknown-thing: annotations in the run.googleapis.com namespace are not taken by the Admin API v2; the v2 API has a field for each system setting",
    ],
  );
});

test("a v2 label key with a '/' is no Google Cloud label and is refused; an annotation with a prefix of its own is taken", (t) => {
  const labelled = decoded({ labels: { "example.com/team": "web" }, template: { containers: [{ image: "img:1" }] } });
  t.deepEqual(
    violationsOf(() => specOf(labelled)),
    ['service.labels.example.com/team: is not a Google Cloud label key: no "/" (lowercase letters, digits, "_" and "-")'],
  );
  const annotated = decoded({ annotations: { "example.com/commit": "abc" }, template: { containers: [{ image: "img:1" }] } });
  t.deepEqual(
    violationsOf(() => specOf(annotated)),
    [],
  );
});

test("labels only Knative YAML carries ('/' in the key, e.g. cloud.googleapis.com/location) are left out of v2 reads, so a v2 read sent back is taken", (t) => {
  const s = { ...pinnedService(), labels: { team: "web", "cloud.googleapis.com/location": "us-central1" } };
  const read = serviceToV2(s, SCOPE, { etag: '"e"' });
  t.deepEqual(read.labels, { team: "web" });
  t.deepEqual(specOf(decoded(JSON.parse(JSON.stringify(read)))).labels, { team: "web" });
});

test("template.revision is part of the spec a read answers with, and a read sent back asks for the same revision name", (t) => {
  const named = { ...pinnedService(), templateRevision: "hello-blue" };
  const read = serviceToV2(named, SCOPE, { etag: '"e"' });
  t.is((read.template as Record<string, unknown>).revision, "hello-blue");
  const again = serviceSpecFromV2(decoded(JSON.parse(JSON.stringify(read))), { name: "hello", root: "service", currentInvokers: [] });
  t.is(again.revisionSuffix, "blue");
  const unnamed = serviceToV2(pinnedService(), SCOPE, { etag: '"e"' });
  t.false("revision" in (unnamed.template as Record<string, unknown>));
});

test("Service.annotations a tool sets are taken into the spec and answered back; none given in a whole update is none", (t) => {
  const wire = decoded({ annotations: { "example.com/commit": "abc123", owner: "ci" }, template: { containers: [{ image: "img:1" }] } });
  t.deepEqual(specOf(wire).annotations, { "example.com/commit": "abc123", owner: "ci" });
  const read = serviceToV2({ ...pinnedService(), annotations: { "example.com/commit": "abc123" } }, SCOPE, { etag: '"e"' });
  t.deepEqual(read.annotations, { "example.com/commit": "abc123" });
  t.deepEqual(specOf(decoded({ template: { containers: [{ image: "img:1" }] } })).annotations, {});
});

test("template.labels are the revision's labels, as on Cloud Run: taken into the template, answered on the service's template and on its revisions", (t) => {
  const spec = specOf(decoded({ template: { labels: { release: "r42" }, containers: [{ image: "img:1" }] } }));
  t.deepEqual(spec.template.labels, { release: "r42" });
  const read = serviceToV2({ ...pinnedService(), template: spec.template }, SCOPE, { etag: '"e"' });
  t.deepEqual((read.template as Record<string, unknown>).labels, { release: "r42" });
  const unlabelled = specOf(decoded({ template: { containers: [{ image: "img:1" }] } })).template;
  t.is(
    templateFingerprint(unlabelled),
    templateFingerprint(parseServiceTemplate({ image: "img:1" })),
    "no labels: the same template as before",
  );
  t.false("labels" in unlabelled && unlabelled.labels !== undefined);
});
