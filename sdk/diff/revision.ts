import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * Revision: immutable, so any change replaces it (its name too, `revisionSuffix`). The replacement is created before the old one is
 * deleted (Pulumi's default), so a TrafficTarget can move traffic to the new revision first.
 */
export const revisionDiffTable: DiffTable = {
  service: "replace",
  project: "replace",
  template: "replace",
  revisionSuffix: "replace",
};

export function diffRevision(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(revisionDiffTable, olds, news);
}
