/**
 * A service's own scaling (model/service-scaling.ts) turned into each serving revision's bounds.
 * Pure: the route publisher hands it the service's setting and the revisions with their share of
 * the traffic; each revision's scaler then holds to what comes out.
 *
 * Cloud Run's rules, as its documentation states them:
 * - the service minimum "is divided among all revisions with specified traffic based on the
 *   percent of traffic they are receiving" (v2 API, ServiceScaling.min_instance_count); tagged
 *   revisions outside the split do not count toward it (Set minimum instances for services);
 * - the service maximum "will be divided among all Revisions receiving a percentage of traffic"
 *   (gcloud's --max help); tagged revisions "only count toward the service-level maximum
 *   instances if they are a part of a traffic split" (Set maximum instances for services);
 * - under manual scaling "each revision is allocated instances proportionally, based on traffic
 *   split"; when more revisions take traffic than there are instances, "some of the revisions will
 *   have no instances"; revision-level minimum and maximum of the revisions in the split are
 *   ignored; a revision reached only by a tag starts its revision-level minimum, outside the
 *   manual count, and does not autoscale (Manual scaling).
 *
 * Where the documentation is silent (chosen, and said in README.md): a whole count is divided by
 * largest remainder (Hamilton's method: each gets the floor of its exact share, the instances left
 * go to the largest fractions, ties to the larger percent, then to the earlier revision), so the
 * shares always add up to the total; a revision keeps the larger of its share of the minimum and
 * its own minimum; its maximum is the smaller of its share and its own; and a maximum's share is
 * at least one for every revision with traffic while the maximum allows (taken from the largest
 * shares), since a revision that takes traffic but may run no instance would fail all of it.
 */
import type { ServiceScaling } from "../model/service-scaling";

/** A revision that serves now: its share of the traffic (0 when only a tag reaches it) and its own bounds. */
export interface ServingRevision {
  revision: string;
  percent: number;
  minInstances: number;
  maxInstances: number;
}

/** What a revision's scaler holds to: autoscale within [min, max], or run exactly `fixed` instances. */
export interface RevisionBounds {
  min: number;
  max: number;
  /** Manual scaling: exactly this many, whatever the load (no autoscaling, no scale to zero). */
  fixed?: number;
}

/** `total` divided among the entries with a percentage, in proportion to it, by largest remainder. */
export function divideByTraffic(total: number, entries: readonly { revision: string; percent: number }[]): Map<string, number> {
  const shares = new Map<string, number>();
  const inSplit = entries.map((e, index) => ({ ...e, index })).filter((e) => e.percent > 0);
  const sum = inSplit.reduce((a, e) => a + e.percent, 0);
  if (sum === 0) return shares;
  const exact = inSplit.map((e) => ({ ...e, exact: (total * e.percent) / sum }));
  for (const e of exact) shares.set(e.revision, Math.floor(e.exact));
  let left = total - [...shares.values()].reduce((a, b) => a + b, 0);
  const byRemainder = [...exact].sort(
    (a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || b.percent - a.percent || a.index - b.index,
  );
  for (const e of byRemainder) {
    if (left <= 0) break;
    shares.set(e.revision, (shares.get(e.revision) ?? 0) + 1);
    left--;
  }
  return shares;
}

/** divideByTraffic, then at least one for each entry while the total allows, taken from the largest shares. */
export function divideLimitByTraffic(total: number, entries: readonly { revision: string; percent: number }[]): Map<string, number> {
  const shares = divideByTraffic(total, entries);
  for (const [revision, share] of shares) {
    if (share > 0) continue;
    const [richest, most] = [...shares].reduce((a, b) => (b[1] > a[1] ? b : a));
    if (most <= 1) break;
    shares.set(richest, most - 1);
    shares.set(revision, 1);
  }
  return shares;
}

/** Each serving revision's bounds under the service's scaling. */
export function revisionBounds(scaling: ServiceScaling, serving: readonly ServingRevision[]): Map<string, RevisionBounds> {
  const bounds = new Map<string, RevisionBounds>();
  const own = (r: ServingRevision): RevisionBounds => ({ min: r.minInstances, max: r.maxInstances });
  if (scaling.scalingMode === "MANUAL") {
    const shares = divideByTraffic(scaling.manualInstanceCount ?? 0, serving);
    for (const r of serving) {
      const share = shares.get(r.revision);
      if (share !== undefined) bounds.set(r.revision, { min: share, max: share, fixed: share });
      // Only a tag reaches it: its own minimum, fixed, outside the manual count; without one it scales as usual.
      else bounds.set(r.revision, r.minInstances > 0 ? { min: r.minInstances, max: r.minInstances, fixed: r.minInstances } : own(r));
    }
    return bounds;
  }
  const minShares = divideByTraffic(scaling.minInstanceCount ?? 0, serving);
  const maxShares = scaling.maxInstanceCount ? divideLimitByTraffic(scaling.maxInstanceCount, serving) : new Map<string, number>();
  for (const r of serving) {
    const max = Math.min(r.maxInstances, maxShares.get(r.revision) ?? r.maxInstances);
    const min = Math.min(max, Math.max(r.minInstances, minShares.get(r.revision) ?? 0));
    bounds.set(r.revision, { min, max });
  }
  return bounds;
}
