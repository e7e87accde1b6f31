import { invalid } from "../model/errors";
import { deletePath, getPath, setPath } from "./field-paths";
import { hasFieldPath, maskPaths } from "./wire-codec";

/**
 * An update with an `updateMask`: the fields it names are taken from the request (a named field
 * the request leaves out is cleared), every other field stays as it is now. Without a mask, or
 * with "*", the request replaces the resource whole, as Cloud Run's updates do.
 */
export function applyUpdateMask(
  type: string,
  current: Record<string, unknown>,
  request: Record<string, unknown>,
  mask: string | null,
): Record<string, unknown> {
  if (mask === null || mask.trim() === "" || mask.trim() === "*") return request;
  const merged = structuredClone(current);
  for (const path of maskPaths(mask)) {
    if (!hasFieldPath(type, path)) throw invalid("updateMask", `"${path}" is not a field of ${type}`);
    const value = getPath(request, path);
    if (value === undefined) deletePath(merged, path);
    else setPath(merged, path, value);
  }
  return merged;
}
