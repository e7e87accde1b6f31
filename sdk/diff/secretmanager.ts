import { secretRules, secretVersionRules } from "../gcp/field-rules";
import { DiffDecision, DiffTable, diffByTable } from "./table";

/** secretmanager.Secret: its id and skiff project are its identity; the rest updates in place (labels act, the others have no local effect). */
export const gcpSecretDiffTable: DiffTable = {
  ...Object.fromEntries(Object.keys(secretRules.fields).map((key) => [key, "update" as const])),
  secretId: "replace",
  skiffProject: "replace",
};

/** secretmanager.SecretVersion: a new value (or secret) is a new version, as in pulumi-gcp; `enabled` and the deletion policy change in place. */
export const gcpSecretVersionDiffTable: DiffTable = {
  ...Object.fromEntries(Object.keys(secretVersionRules.fields).map((key) => [key, "replace" as const])),
  skiffProject: "replace",
  enabled: "update",
  deletionPolicy: "update",
};

export function diffGcpSecret(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(gcpSecretDiffTable, olds, news);
}

export function diffGcpSecretVersion(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(gcpSecretVersionDiffTable, olds, news);
}
