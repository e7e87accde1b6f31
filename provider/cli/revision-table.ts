import type { Revision } from "../model/revision";

/**
 * `revisions list` as gcloud prints it (surface/run/revisions/list.py's format): a ready symbol
 * column with no label (✔ ready, X failed, … otherwise: k8s_object.ReadySymbolAndColor), REVISION,
 * ACTIVE ("yes" for a revision serving traffic, else blank), SERVICE, DEPLOYED
 * (`%Y-%m-%d %H:%M:%S %Z`) and DEPLOYED BY; sorted by service, then newest first. Skiff records no
 * author, so DEPLOYED BY is blank.
 */
export const REVISION_COLUMNS = ["", "REVISION", "ACTIVE", "SERVICE", "DEPLOYED", "DEPLOYED BY"];

export function revisionRows(revisions: readonly Revision[]): string[][] {
  return [...revisions]
    .sort((a, b) => (a.service === b.service ? b.createTime.localeCompare(a.createTime) : a.service < b.service ? -1 : 1))
    .map((r) => [readySymbol(r.status), r.name, r.active ? "yes" : "", r.service, deployedAt(r.createTime), ""]);
}

function readySymbol(status: Revision["status"]): string {
  if (status === "READY") return "✔";
  if (status === "FAILED") return "X";
  return "…";
}

/** gcloud's `date("%Y-%m-%d %H:%M:%S %Z")` of an RFC 3339 time, in UTC as the API gives it. */
function deployedAt(time: string): string {
  const at = new Date(time);
  if (Number.isNaN(at.getTime())) return time;
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
