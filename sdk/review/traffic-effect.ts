import { isPlaceholder, serviceOfPlaceholder } from "../preview-values/placeholders";
import { isUnknown } from "../preview-values/unknowns";
import type { ServiceState } from "./current-state";
import type { TrafficEntry } from "./resource-views";
import type { NewRevision, ServiceChanges } from "./service-changes";

/**
 * Who gets what traffic before and after the update, per revision: before is what the engine
 * routes now; after is the program's intent (the TrafficTarget's entries, a cloudrunv2.Service's
 * traffics, or the traffic as set now, which a skiff.Service never rewrites), with each entry
 * resolved to a revision. Pulumi shows an entry naming a revision not made yet as unknown; here it
 * is matched to the revision this update makes: the replacement of the revision the entry named
 * before, the one a "new revision of S" placeholder stands for, or the only one left.
 */
export interface TrafficRow {
  /** The revision's name, or the new revision's id when it has no name yet. */
  key: string;
  revision?: string;
  newRevision?: NewRevision;
  /** Undefined when what the revision serves now is not known (no engine, and not in the preview). */
  before?: number;
  /** Undefined when an entry's percent is not known at preview. */
  after?: number;
  tagsBefore: string[];
  tagsAfter: string[];
  deleted: boolean;
}

export interface TrafficEffect {
  rows: TrafficRow[];
  /** Where "after" comes from, in words. */
  source: string;
  /** What could not be resolved, in words. */
  unresolved: string[];
}

/** The traffic list as it will be set after the update. */
function intendedTraffic(g: ServiceChanges, current: ServiceState): { entries: TrafficEntry[]; source: string } {
  const set = (entries: TrafficEntry[], source: string) => ({ entries: entries.length > 0 ? entries : LATEST, source });
  if (g.traffic?.after) return set(g.traffic.after.traffic, `TrafficTarget ${g.traffic.change.name}`);
  if (g.traffic?.change.op === "delete")
    return set([], `TrafficTarget ${g.traffic.change.name} deleted: 100 % to the latest ready revision`);
  if (g.service?.after?.traffic)
    return set(g.service.after.traffic, `${g.service.change.kind.replace(":", ".")} ${g.service.change.name}'s traffics`);
  if (!current.exists || current.traffic === undefined) return set([], "100 % to the latest ready revision");
  return set(current.traffic, "the traffic as set now (a skiff.Service does not change it)");
}

/** An empty list: 100 % to the latest ready revision. */
const LATEST: TrafficEntry[] = [{ type: "LATEST", percent: 100 }];

export function trafficEffect(g: ServiceChanges, current: ServiceState, made: NewRevision[], deleted: string[]): TrafficEffect {
  const { entries, source } = intendedTraffic(g, current);
  const unresolved: string[] = [];
  const fromService = made.find((r) => r.madeBy.urn === g.service?.change.urn);
  const matched = new Set<NewRevision>();
  const oldEntries = g.traffic?.before?.traffic ?? g.service?.before?.traffic ?? [];
  const dependsOn = new Set(g.traffic?.change.propertyDependencies.traffic ?? made.map((r) => r.madeBy.urn));

  /** A known name, or the new revision an entry that named `old` before now names. */
  const byName = (name: string) => made.find((r) => r.name === name);
  const successorOf = (old: string | undefined): NewRevision | string | undefined => {
    if (old === undefined || isUnknown(old) || isPlaceholder(old)) return undefined;
    const replacement = made.find((r) => r.replaces === old);
    if (replacement) return replacement;
    if (old === current.latestCreatedRevision) return fromService ?? old;
    return undefined;
  };

  const targets: (NewRevision | string | undefined)[] = entries.map((entry, i) => {
    if (entry.type === "LATEST") return fromService ?? current.latestReadyRevision;
    const name = entry.revision;
    if (name !== undefined && !isUnknown(name) && !isPlaceholder(name)) {
      const named = byName(name);
      if (named) matched.add(named);
      return named ?? name;
    }
    const successor = successorOf(oldEntries[i]?.revision);
    if (typeof successor === "object") matched.add(successor);
    // A placeholder stands for a revision not made yet: never for one that exists.
    return isPlaceholder(name) && typeof successor === "string" ? undefined : successor;
  });
  // What is left: each placeholder or unknown entry gets the one new revision that can be its.
  entries.forEach((entry, i) => {
    if (targets[i] !== undefined || entry.type === "LATEST") return;
    const service = serviceOfPlaceholder(entry.revision);
    const candidates = made.filter(
      (r) => !matched.has(r) && r.name === undefined && dependsOn.has(r.madeBy.urn) && (service === undefined || service === g.name),
    );
    if (candidates.length === 1) {
      targets[i] = candidates[0];
      matched.add(candidates[0]);
    } else {
      const which = candidates.length > 1 ? `: one of ${candidates.map((c) => `${c.madeBy.kind} ${c.madeBy.name}`).join(", ")}` : "";
      unresolved.push(
        `traffic entry ${i + 1} (${entry.percent ?? "?"} %${entry.tag ? `, tag ${entry.tag}` : ""}) names a revision not known at preview${which}`,
      );
    }
  });
  const rows = new Map<string, TrafficRow>();
  const row = (target: NewRevision | string): TrafficRow => {
    const key = typeof target === "string" ? target : (target.name ?? target.id);
    let r = rows.get(key);
    if (!r) {
      r = {
        key,
        before: current.routed === undefined && typeof target === "string" ? undefined : 0,
        after: 0,
        tagsBefore: [],
        tagsAfter: [],
        deleted: false,
      };
      if (typeof target === "string") r.revision = target;
      else {
        r.newRevision = target;
        if (target.name !== undefined) r.revision = target.name;
      }
      rows.set(key, r);
    }
    return r;
  };
  for (const entry of current.routed ?? []) {
    const r = row(entry.revision);
    r.before = (r.before ?? 0) + entry.percent;
    if (entry.tag !== undefined) r.tagsBefore.push(entry.tag);
  }
  if (current.routed === undefined)
    unresolved.push("what it serves now is not in the preview (its traffic does not change there) and no engine was read");
  const serviceGone = g.service?.change.op === "delete";
  entries.forEach((entry, i) => {
    const target = targets[i];
    if (target === undefined || serviceGone) return;
    const r = row(target);
    if (entry.percent === undefined || r.after === undefined) r.after = undefined;
    else r.after += entry.percent;
    if (entry.tag !== undefined) r.tagsAfter.push(entry.tag);
  });
  // Every revision this update makes is listed, at 0 % when nothing routes to it: a candidate, or
  // the Service's new one while the traffic pins others (it joins at 0 %, like --no-traffic).
  if (!serviceGone) for (const r of made) row(r);
  for (const name of deleted) if (rows.has(name)) rows.get(name)!.deleted = true;
  if (serviceGone) for (const r of rows.values()) Object.assign(r, { after: 0, tagsAfter: [], deleted: true });
  const ordered = [...rows.values()].filter(
    (r) => r.before !== 0 || r.after !== 0 || r.tagsBefore.length > 0 || r.tagsAfter.length > 0 || r.newRevision,
  );
  return { rows: ordered, source: serviceGone ? "the service is deleted" : source, unresolved };
}
