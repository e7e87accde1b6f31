import { jobRules } from "../gcp/field-rules";
import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * cloudrunv2.Job: its name and skiff project are its identity; the rest updates in place (each
 * execution snapshots the template). A new or changed runExecutionToken or startExecutionToken
 * runs an execution during the update.
 */
export const gcpJobDiffTable: DiffTable = {
  ...Object.fromEntries(Object.keys(jobRules.fields).map((key) => [key, "update" as const])),
  name: "replace",
  skiffProject: "replace",
};

export function diffGcpJob(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(gcpJobDiffTable, olds, news);
}
