import test from "ava";
import { revisionView } from "../../provider/controller/views";
import { REVISION_COLUMNS, revisionRows } from "../../provider/cli/revision-table";
import type { Revision } from "../../provider/model/revision";
import { parseServiceTemplate } from "../../provider/model/template";
import type { RevisionRow } from "../../provider/state/store";

// `revisions list` in gcloud's columns (surface/run/revisions/list.py): ready symbol, REVISION,
// ACTIVE, SERVICE, DEPLOYED, DEPLOYED BY; by service, then newest first.

const revision = (name: string, service: string, createTime: string, status: Revision["status"], active: boolean) =>
  ({ name, service, createTime, status, active }) as Revision;

test("the columns and order are gcloud's; ACTIVE says yes for a revision with traffic; the ready symbol follows the status", (t) => {
  t.deepEqual(REVISION_COLUMNS, ["", "REVISION", "ACTIVE", "SERVICE", "DEPLOYED", "DEPLOYED BY"]);
  const rows = revisionRows([
    revision("web-00001-aaa", "web", "2026-12-07T05:00:00.000Z", "READY", false),
    revision("api-00001-bbb", "api", "2026-12-07T04:00:00.000Z", "FAILED", false),
    revision("web-00002-ccc", "web", "2026-12-07T05:30:00.000Z", "READY", true),
    revision("api-00002-ddd", "api", "2026-12-07T04:30:00.000Z", "PENDING", false),
  ]);
  t.deepEqual(rows, [
    ["…", "api-00002-ddd", "", "api", "2026-12-07 04:30:00 UTC", ""],
    ["X", "api-00001-bbb", "", "api", "2026-12-07 04:00:00 UTC", ""],
    ["✔", "web-00002-ccc", "yes", "web", "2026-12-07 05:30:00 UTC", ""],
    ["✔", "web-00001-aaa", "", "web", "2026-12-07 05:00:00 UTC", ""],
  ]);
});

test("a revision is active when it has a share of the traffic; a tag alone or 0 % does not make it active", (t) => {
  const row = { name: "web-00001-aaa", project: "p", service: "web", template: parseServiceTemplate({ image: "i" }) } as RevisionRow;
  const view = (percent: number, tag?: string) =>
    revisionView(row, [{ type: "REVISION", revision: "web-00001-aaa", percent, ...(tag ? { tag } : {}) }]).active;
  t.true(view(100));
  t.false(view(0, "canary"));
  t.false(revisionView(row, [{ type: "REVISION", revision: "other", percent: 100 }]).active);
});
