import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * Service: the name and project are its identity (and its URL), so changing either replaces it.
 * Everything else updates in place; a template change (its serviceAccount too) makes the engine
 * cut a new revision, while ingress, invokers and custom audiences change who may call the service at once,
 * and its description, default URL switch and service-level scaling apply at once with no new revision.
 */
export const serviceDiffTable: DiffTable = {
  name: "replace",
  project: "replace",
  template: "update",
  labels: "update",
  ingress: "update",
  invokers: "update",
  customAudiences: "update",
  description: "update",
  defaultUriDisabled: "update",
  scaling: "update",
};

export function diffService(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(serviceDiffTable, olds, news);
}
