import { canonicalJson } from "../../provider/base/canonical-json";

/**
 * What a change to one input does to the resource: `update` in place, or `replace` it. Every input
 * a resource has is in its table; a key outside the table is ignored (the serialized provider,
 * outputs that the state carries beside the inputs, and the outputs `check` fills in because they
 * are known at preview: check/known-at-preview.ts).
 */
export type FieldRule = "update" | "replace";
export type DiffTable<K extends string = string> = Readonly<Record<K, FieldRule>>;

/** The answer Pulumi's dynamic provider `diff` expects, always with an explicit `changes`. */
export interface DiffDecision {
  changes: boolean;
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
}

/** The inputs whose values differ (deep, key order ignored; an unknown value differs from any known one). */
export function changedFields(table: DiffTable, olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return Object.keys(table).filter((key) => !sameValue(olds[key], news[key]));
}

export function diffByTable(table: DiffTable, olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  const changed = changedFields(table, olds, news);
  const replaces = changed.filter((key) => table[key] === "replace");
  const stables = Object.keys(table).filter((key) => table[key] === "replace" && !changed.includes(key));
  return { changes: changed.length > 0, replaces, stables, deleteBeforeReplace: false };
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}
