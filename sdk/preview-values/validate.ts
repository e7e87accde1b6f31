import type { z } from "zod";
import { Path, fieldPath, setAt, touchesUnknown, unknownPaths } from "./unknowns";

/** A Pulumi check failure: `property P value V has a problem: R`. */
export interface CheckFailure {
  property: string;
  reason: string;
}

export interface Validated<T> {
  /** The parsed value with the schema's defaults applied and unknowns left in place; absent when invalid. */
  value?: T;
  failures: CheckFailure[];
}

/**
 * Stand-ins tried, in order, for a value not known at preview: `undefined` first (so a field with a
 * default validates as the default would), then one of each JSON type. The first one the schema
 * accepts lets the rest of the input be checked; the unknown marker is put back afterwards.
 */
const STAND_INS: unknown[] = [undefined, "a", 1, true, {}, []];

/**
 * Validates `input` with one of the engine's own zod schemas. Values unknown at preview are let
 * through: no failure is reported at or inside them, and the result keeps them unknown. Every
 * failure names the property path (`prefix` first) and the schema's reason.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, prefix: Path = []): Validated<z.output<S>> {
  const unknowns = unknownPaths(input);
  const choice = new Map<string, number>(unknowns.map((p) => [JSON.stringify(p), 0]));
  for (;;) {
    let trial = input;
    for (const p of unknowns) trial = setAt(trial, p, STAND_INS[choice.get(JSON.stringify(p)) ?? 0]);
    const result = schema.safeParse(trial);
    if (result.success) {
      let value: unknown = result.data;
      for (const p of unknowns) value = setAt(value, p, input === undefined ? undefined : valueAt(input, p));
      return { value: value as z.output<S>, failures: [] };
    }
    const issues = result.error.issues;
    const blamed = unknowns.filter((u) => issues.some((i) => touchesUnknown(i.path, [u])));
    const real = issues.filter((i) => !touchesUnknown(i.path, unknowns));
    const exhausted = blamed.some((u) => (choice.get(JSON.stringify(u)) ?? 0) + 1 >= STAND_INS.length);
    if (blamed.length === 0 || exhausted) {
      return {
        failures: real.map((i) => ({ property: fieldPath([...prefix, ...i.path]) || "(input)", reason: i.message })),
      };
    }
    for (const u of blamed) choice.set(JSON.stringify(u), (choice.get(JSON.stringify(u)) ?? 0) + 1);
  }
}

function valueAt(value: unknown, path: Path): unknown {
  let at: unknown = value;
  for (const p of path) at = (at as Record<string | number, unknown>)[p];
  return at;
}
