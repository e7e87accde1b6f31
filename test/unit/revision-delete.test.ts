import test from "ava";
import { resolveService, revisionDeleteBlocker } from "../../provider/controller/views";
import type { NormalizedTrafficTarget } from "../../provider/model/traffic";
import type { RevisionRow, ServiceRow } from "../../provider/state/store";

// Which revisions Cloud Run refuses to delete: the service's latest revision, and any that can
// receive traffic (a percent or a tag URL). Candidates (Revision resources) are never "latest".

function revision(name: string, origin: RevisionRow["origin"], status: RevisionRow["status"] = "READY"): RevisionRow {
  return { name, origin, status, project: "p", service: "web" } as RevisionRow;
}

function service(traffic: NormalizedTrafficTarget[], revisions: RevisionRow[]) {
  const row = { project: "p", name: "web", traffic } as ServiceRow;
  return resolveService(row, revisions, 8080);
}

// newest first, as the store lists them
const revisions = [
  revision("web-00004-can", "candidate"),
  revision("web-00003-ccc", "service", "FAILED"),
  revision("web-00002-bbb", "service"),
  revision("web-00001-aaa", "service"),
];

test("the latest revision cannot be deleted, even with no traffic and even when it failed", (t) => {
  const s = service([{ type: "REVISION", revision: "web-00001-aaa", percent: 100 }], revisions);
  t.is(
    revisionDeleteBlocker(s, "web-00003-ccc"),
    'revision "web-00003-ccc" is the latest revision of service "web" and cannot be deleted; deploy a newer revision first, or delete the service',
  );
});

test("a revision with traffic or a tag cannot be deleted; one with neither, and an unrouted candidate, can", (t) => {
  const s = service(
    [
      { type: "REVISION", revision: "web-00001-aaa", percent: 100 },
      { type: "REVISION", revision: "web-00002-bbb", percent: 0, tag: "old" },
    ],
    revisions,
  );
  t.is(
    revisionDeleteBlocker(s, "web-00001-aaa"),
    'revision "web-00001-aaa" still serves traffic[0] (100%) of service "web"; move its traffic and tags first',
  );
  t.regex(revisionDeleteBlocker(s, "web-00002-bbb") ?? "", /traffic\[1\] \(0%, tag "old"\)/);
  t.is(revisionDeleteBlocker(s, "web-00004-can"), undefined, "a candidate is never the latest revision");
  const untagged = service([{ type: "REVISION", revision: "web-00001-aaa", percent: 100 }], revisions);
  t.is(revisionDeleteBlocker(untagged, "web-00002-bbb"), undefined);
});
