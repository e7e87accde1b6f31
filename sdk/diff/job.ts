import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * Job: the name and project are its identity, so changing either replaces it. The template is
 * mutable (each execution snapshots it), so it and the rest update in place; with
 * `execute: "onChange"` a template change runs an execution during the update.
 */
export const jobDiffTable: DiffTable = {
  name: "replace",
  project: "replace",
  template: "update",
  labels: "update",
  execute: "update",
  wait: "update",
};

export function diffJob(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(jobDiffTable, olds, news);
}
