import { isUnknown } from "../preview-values/unknowns";

/**
 * A resource named by default takes its logical name, as skiff's URLs want (no random suffix). The
 * program then also sends this hidden input (Pulumi shows no `__` key), so `check` knows the name
 * was not written and may keep the one the resource already has: a logical rename with `aliases`
 * is the same resource, and its service (URL, revisions, traffic) must not be replaced. Pulumi's
 * own auto-names work the same way: kept from the old inputs, made anew only for a new resource
 * (a replace checks with no old inputs).
 */
export const NAME_DEFAULTED = "__nameDefaulted";

/** The props naming a resource: its `name` argument, else its logical name, marked as defaulted. */
export function nameProps<N>(given: N | undefined, logical: string): { name: N | string; [NAME_DEFAULTED]?: true } {
  return given !== undefined ? { name: given } : { name: logical, [NAME_DEFAULTED]: true };
}

/** The new inputs with the marker taken out and, when the name was defaulted, the name the old inputs had. */
export function keptName(olds: Record<string, unknown>, news: Record<string, unknown>): Record<string, unknown> {
  const { [NAME_DEFAULTED]: defaulted, ...rest } = news;
  const old = olds.name;
  if (defaulted === true && typeof old === "string" && !isUnknown(old)) return { ...rest, name: old };
  return rest;
}
