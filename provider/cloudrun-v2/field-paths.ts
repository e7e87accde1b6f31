/**
 * Dotted paths into plain JSON values (`template.containers[0].image`), read and written: the
 * field tables and update masks are paths, so the translation and the mask logic share these.
 */

type Json = Record<string, unknown>;

/** `a.b[0].c` → ["a", "b", 0, "c"]. */
export function pathParts(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const segment of path.split(".")) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(segment);
    if (!match) throw new Error(`BUG: "${path}" is not a field path`);
    parts.push(match[1]);
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]));
  }
  return parts;
}

export function getPath(value: unknown, path: string): unknown {
  return getParts(value, pathParts(path));
}

function getParts(value: unknown, parts: readonly (string | number)[]): unknown {
  let at: unknown = value;
  for (const part of parts) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string | number, unknown>)[part];
  }
  return at;
}

/** Sets the value at `path`, making the objects and list items on the way. */
export function setPath(target: Json, path: string, value: unknown): void {
  const parts = pathParts(path);
  let at: Record<string | number, unknown> = target;
  parts.forEach((part, i) => {
    if (i === parts.length - 1) {
      at[part] = value;
      return;
    }
    const next = at[part];
    if (next === null || typeof next !== "object") at[part] = typeof parts[i + 1] === "number" ? [] : {};
    at = at[part] as Record<string | number, unknown>;
  });
}

/** Removes the value at `path`, if there is one. */
export function deletePath(target: Json, path: string): void {
  const parts = pathParts(path);
  const parent = getParts(target, parts.slice(0, -1));
  if (parent && typeof parent === "object") delete (parent as Record<string | number, unknown>)[parts[parts.length - 1]];
}
