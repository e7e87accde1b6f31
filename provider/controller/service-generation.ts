import { canonicalJson } from "../base/canonical-json";
import { SkiffError } from "../model/errors";
import type { ServiceSpec } from "../model/service";
import type { ServiceRow } from "../state/store";

// A service's generation: a deploy that changes its template, labels, ingress, custom audiences or description moves it on (its
// traffic and invokers do not), and a change based on another generation than the one stored is
// refused.

/** Template, labels, ingress, custom audiences, description, default URL switch or the service's own scaling differ: the spec's generation moves on. */
export function specChanged(row: ServiceRow, spec: ServiceSpec): boolean {
  return (
    canonicalJson(row.template) !== canonicalJson(spec.template) ||
    canonicalJson(row.labels) !== canonicalJson(spec.labels) ||
    row.ingress !== spec.ingress ||
    (spec.customAudiences !== undefined && canonicalJson(row.customAudiences) !== canonicalJson(spec.customAudiences)) ||
    (spec.description !== undefined && row.description !== spec.description) ||
    (spec.defaultUriDisabled !== undefined && row.defaultUriDisabled !== spec.defaultUriDisabled) ||
    (spec.serviceScaling !== undefined && canonicalJson(row.serviceScaling) !== canonicalJson(spec.serviceScaling)) ||
    (spec.annotations !== undefined && canonicalJson(row.annotations ?? {}) !== canonicalJson(spec.annotations))
  );
}

/** A change made from a stale read would silently undo someone else's: refuse it (409). 0 means "must not exist yet". */
export function checkGeneration(project: string, name: string, existing: ServiceRow | undefined, expected: number | undefined): void {
  if (expected === undefined) return;
  const actual = existing?.generation ?? 0;
  if (actual === expected) return;
  const what = existing ? `is at generation ${actual}` : "does not exist any more";
  throw new SkiffError(
    "CONFLICT",
    `service "${name}" in project "${project}" was changed by someone else (it ${what}; this change was based on generation ${expected}); read it again and retry`,
    [{ field: "expectedGeneration", reason: `service "${name}" was changed by someone else; retry` }],
  );
}
