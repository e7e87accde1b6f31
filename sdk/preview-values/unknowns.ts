/**
 * Pulumi's marker for a value not known yet (during `pulumi preview`, e.g. the name of a revision
 * that will be created). It arrives as this exact string wherever the value would be, even where a
 * number or an object is expected, so validation has to step around it.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Path = (string | number)[];

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/** Every path in `value` that holds the unknown marker. */
export function unknownPaths(value: unknown, at: Path = []): Path[] {
  if (isUnknown(value)) return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, [...at, i]));
  if (value && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => unknownPaths(v, [...at, k]));
  }
  return [];
}

export function containsUnknown(value: unknown): boolean {
  return unknownPaths(value).length > 0;
}

/** A copy of `value` with `replacement` at `path` (`undefined` deletes an object key). */
export function setAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(copy[head as number], rest, replacement);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const next = setAt(copy[head as string], rest, replacement);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}

/** True when `path` is `prefix` or lies inside it. */
export function isUnder(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

export function touchesUnknown(path: readonly PropertyKey[], unknowns: readonly Path[]): boolean {
  return unknowns.some((u) => isUnder(path, u));
}

/** Formats a field path like the engine's error formatter, so `check` failures read the same as its 400s. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
