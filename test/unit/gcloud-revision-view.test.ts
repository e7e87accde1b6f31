import test from "ava";
import { revisionToKnative } from "../../provider/knative/objects";
import type { Revision } from "../../provider/model/revision";
import { serviceTemplateSchema } from "../../provider/model/template";

// What gcloud reads from a revision the engine answers with (the Knative v1 API and `--format`).

function revision(extra: Partial<Revision>): Revision {
  return {
    name: "web-00001-abc",
    project: "default",
    service: "web",
    generation: 1,
    template: serviceTemplateSchema.parse({ image: "img:1" }),
    image: "img:1",
    imageDigest: "sha256:" + "0".repeat(64),
    status: "READY",
    origin: "service",
    createTime: "2026-12-07T08:00:00.000Z",
    urls: [],
    ...extra,
  };
}

test("a revision has Knative's Active condition (severity Info): True while it serves traffic, False otherwise, as gcloud's ACTIVE column reads it", (t) => {
  const conditions = (r: Revision) =>
    ((revisionToKnative(r).status as { conditions: { type: string; status: string; severity?: string }[] }).conditions ?? []).map((c) => [
      c.type,
      c.status,
      c.severity,
    ]);
  t.deepEqual(conditions(revision({ active: true })).slice(0, 2), [
    ["Ready", "True", undefined],
    ["Active", "True", "Info"],
  ]);
  t.deepEqual(conditions(revision({ active: false }))[1], ["Active", "False", "Info"]);
  t.false(
    conditions(revision({})).some(([type]) => type === "Active"),
    "no condition when the engine did not say",
  );
});
