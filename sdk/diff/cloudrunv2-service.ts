import { serviceRules } from "../gcp/field-rules";
import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * cloudrunv2.Service: its name and skiff project are its identity (and its URL), so changing
 * either replaces it. Everything else updates in place: a template change makes a new revision,
 * traffics, labels, ingress and scaling change the service, and fields with no local meaning
 * (location, the GCP project, ...) update the state and change nothing that runs.
 */
export const gcpServiceDiffTable: DiffTable = {
  ...Object.fromEntries(Object.keys(serviceRules.fields).map((key) => [key, "update" as const])),
  name: "replace",
  skiffProject: "replace",
};

export function diffGcpService(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(gcpServiceDiffTable, olds, news);
}
