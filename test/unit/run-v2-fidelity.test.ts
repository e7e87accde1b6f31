import test from "ava";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
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
