import { DiffDecision, DiffTable, diffByTable } from "./table";

/** Secret: its name and project are its identity; labels update in place. */
export const secretDiffTable: DiffTable = { name: "replace", project: "replace", labels: "update" };

/**
 * SecretVersion: a version's value never changes, so a new value is a new version (the old one is
 * destroyed once the new one exists, Pulumi's default order); `enabled` changes in place.
 */
export const secretVersionDiffTable: DiffTable = { secret: "replace", project: "replace", secretData: "replace", enabled: "update" };

export function diffSecret(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(secretDiffTable, olds, news);
}

export function diffSecretVersion(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(secretVersionDiffTable, olds, news);
}
