import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * Service: the name and project are its identity (and its URL), so changing either replaces it.
 * Everything else updates in place; a template change makes the engine cut a new revision.
 */
export const serviceDiffTable: DiffTable = {
  name: "replace",
  project: "replace",
  template: "update",
  labels: "update",
  ingress: "update",
};

export function diffService(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(serviceDiffTable, olds, news);
}
