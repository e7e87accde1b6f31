import { z } from "zod";
import { invalidFromViolations, violationsOf, type FieldViolation } from "./errors";
import {
  consolidateTraffic,
  normalizeTraffic,
  tagTooLongForService,
  targetKeyOf,
  trafficEntry,
  validateTraffic,
  type NormalizedTrafficTarget,
  type RevisionView,
  type TrafficTarget,
} from "./traffic";

/**
 * `skiff services update-traffic` as a pure function, with gcloud's semantics:
 * - `--to-latest`: 100 % to LATEST; every other entry drops to 0 % and keeps its tag.
 * - `--to-revisions R=P,...` (R may be LATEST) and `--to-tags T=P,...` (a tag stands for its entry's
 *   target): the named targets get exactly those percents. If they sum to 100 the others drop to
 *   0 %. If less, the remainder goes to the targets that serve traffic now and were not named, in
 *   proportion to their current percents (integers rounded as gcloud rounds: largestRemainder);
 *   gcloud: "40/60, then rev-1=45 gives 45/55". With no such target, or more than 100, it is an error.
 * - `--update-tags T=R,...` (the API's setTags) puts tag T on target R (moving it if it was
 *   elsewhere); `--remove-tags` takes tags away (one that is not there is no error, as in gcloud).
 *   `--clear-tags` (clearTags) takes every tag away first, and `--set-tags` is both: the tags become
 *   exactly those given. Entries left with 0 % and no tag disappear.
 * - Tags change before percents (gcloud's help: "the tags change occurs first then the traffic
 *   percentage change occurs"), so `--to-tags` may name a tag given in the same command.
 * The result is validated against the service's revisions, so it can be stored as is; with `service`
 * given, each tag it sets must fit beside the service's name (TAG_WITH_SERVICE_MAX). Errors name
 * the flag, e.g. `--to-revisions: unknown revision "x"`.
 */
export const trafficUpdateSchema = z
  .object({
    toLatest: z.boolean().optional(),
    toRevisions: z.record(z.string(), z.number()).optional(),
    toTags: z.record(z.string(), z.number()).optional(),
    setTags: z.record(z.string(), z.string()).optional(),
    removeTags: z.array(z.string()).optional(),
    /** Every tag is removed before setTags are put on: gcloud's --clear-tags, and --set-tags (which replaces the tags). */
    clearTags: z.boolean().optional(),
  })
  .strict();

export type TrafficUpdate = z.infer<typeof trafficUpdateSchema>;

export function parseTrafficUpdate(body: unknown): TrafficUpdate {
  const parsed = trafficUpdateSchema.safeParse(body);
  if (!parsed.success) throw invalidFromViolations(violationsOf(parsed.error));
  return parsed.data;
}

const LATEST = "LATEST";

export function applyTrafficUpdate(
  current: readonly TrafficTarget[],
  revisions: readonly RevisionView[],
  update: TrafficUpdate,
  service?: string,
): NormalizedTrafficTarget[] {
  const violations: FieldViolation[] = [];
  const toRevisions = update.toRevisions ?? {};
  const toTags = update.toTags ?? {};
  const setTags = update.setTags ?? {};
  const removeTags = update.removeTags ?? [];
  const clearTags = update.clearTags === true;
  // The flag setTags came from: gcloud's --set-tags replaces the tags, its --update-tags adds to them.
  const tagsFlag = clearTags ? "--set-tags" : "--update-tags";
  const changesPercents = update.toLatest === true || Object.keys(toRevisions).length > 0 || Object.keys(toTags).length > 0;
  if (!changesPercents && !clearTags && Object.keys(setTags).length === 0 && removeTags.length === 0) {
    throw invalidFromViolations([
      {
        field: "update-traffic",
        reason: "nothing to change: give --to-latest, --to-revisions, --to-tags, --set-tags, --update-tags, --remove-tags or --clear-tags",
      },
    ]);
  }
  if (clearTags && removeTags.length > 0) {
    throw invalidFromViolations([
      { field: "--remove-tags", reason: "cannot be combined with --set-tags or --clear-tags, which remove every tag" },
    ]);
  }
  if (update.toLatest === true && (Object.keys(toRevisions).length > 0 || Object.keys(toTags).length > 0)) {
    throw invalidFromViolations([{ field: "--to-latest", reason: "cannot be combined with --to-revisions or --to-tags" }]);
  }

  // Empty traffic means 100 % to the latest ready revision; make that explicit before changing it.
  let list = current.length === 0 ? [trafficEntry("LATEST", undefined, 100)] : normalizeTraffic(current);
  const checkTarget = targetChecker(revisions, violations);

  // Tags change first, then percents, as gcloud does: so --to-tags can name a tag this same command
  // puts on (`--update-tags next=R --to-tags next=10`). A removed tag that is not there is no error
  // (gcloud's UpdateTags clears what matches), and one also given to set is removed, then set.
  const removed = new Set(removeTags);
  list = list.map((t) => (t.tag !== undefined && (clearTags || removed.has(t.tag)) ? trafficEntry(t.type, t.revision, t.percent) : t));
  for (const [tag, key] of Object.entries(setTags)) {
    checkTarget(tagsFlag, key);
    const tooLong = service === undefined ? undefined : tagTooLongForService(tag, service);
    if (tooLong !== undefined) violations.push({ field: tagsFlag, reason: tooLong });
    list = setTag(list, tag, key);
  }

  if (changesPercents) {
    const assigned = new Map<string, number>();
    if (update.toLatest === true) assigned.set(LATEST, 100);
    for (const [revision, percent] of Object.entries(toRevisions)) {
      if (checkPercent("--to-revisions", revision, percent, violations)) assigned.set(revision, percent);
      checkTarget("--to-revisions", revision);
    }
    for (const [tag, percent] of Object.entries(toTags)) {
      const entry = list.find((t) => t.tag === tag);
      if (entry === undefined) {
        violations.push({ field: "--to-tags", reason: `unknown tag "${tag}"; ${describeTags(list)}` });
        continue;
      }
      if (!checkPercent("--to-tags", tag, percent, violations)) continue;
      const key = targetKeyOf(entry);
      const already = assigned.get(key);
      if (already !== undefined && already !== percent) {
        violations.push({ field: "--to-tags", reason: `tag "${tag}" is on ${describeKey(key)}, which is already given ${already}%` });
      }
      assigned.set(key, percent);
    }
    if (violations.length === 0) {
      const flag = Object.keys(toRevisions).length > 0 ? "--to-revisions" : update.toLatest === true ? "--to-latest" : "--to-tags";
      const percents = fillRemainder(list, assigned, flag, violations);
      if (percents !== undefined) list = applyPercents(list, percents);
    }
  }

  if (violations.length > 0) throw invalidFromViolations(violations);
  const result = consolidateTraffic(list);
  // Only the tags this update sets are held to the length with the service's name: a tag stored
  // before skiff checked it must not block every later change of traffic (removing it is one).
  validateTraffic(result, revisions);
  return result;
}

/** Names the target in messages: `revision "x"` or `LATEST`. */
function describeKey(key: string): string {
  return key === LATEST ? "LATEST" : `revision "${key}"`;
}

function describeTags(list: readonly TrafficTarget[]): string {
  const tags = list.flatMap((t) => (t.tag !== undefined ? [t.tag] : []));
  return tags.length > 0 ? `the service's tags are: ${tags.join(", ")}` : "the service has no tags";
}

function checkPercent(flag: string, name: string, percent: number, violations: FieldViolation[]): boolean {
  if (Number.isInteger(percent) && percent >= 0 && percent <= 100) return true;
  violations.push({ field: flag, reason: `percent for "${name}" must be a whole number between 0 and 100, got ${percent}` });
  return false;
}

/** Reports unknown and failed revisions by the flag that named them; LATEST is always a target. */
function targetChecker(revisions: readonly RevisionView[], violations: FieldViolation[]) {
  return (flag: string, key: string): void => {
    if (key === LATEST) return;
    const revision = revisions.find((r) => r.name === key);
    if (revision === undefined) {
      violations.push({ field: flag, reason: `unknown revision "${key}": it is not a revision of this service` });
    } else if (revision.status === "FAILED") {
      violations.push({ field: flag, reason: `revision "${key}" failed and cannot receive traffic or a tag` });
    }
  };
}

/** The new percent of every target: the assigned ones, plus the remainder spread as gcloud does. */
function fillRemainder(
  list: readonly NormalizedTrafficTarget[],
  assigned: ReadonlyMap<string, number>,
  flag: string,
  violations: FieldViolation[],
): Map<string, number> | undefined {
  const sum = [...assigned.values()].reduce((a, b) => a + b, 0);
  if (sum > 100) {
    violations.push({ field: flag, reason: `percents must sum to at most 100, got ${sum}` });
    return undefined;
  }
  const others = new Map<string, number>();
  for (const t of list) {
    const key = targetKeyOf(t);
    if (t.percent > 0 && !assigned.has(key)) others.set(key, (others.get(key) ?? 0) + t.percent);
  }
  const remainder = 100 - sum;
  if (remainder > 0 && others.size === 0) {
    violations.push({
      field: flag,
      reason: `percents sum to ${sum} and no other revision serves traffic to take the remaining ${remainder}; assign 100 in total`,
    });
    return undefined;
  }
  const percents = new Map(assigned);
  for (const [key, share] of largestRemainder(others, remainder)) percents.set(key, share);
  return percents;
}

/**
 * Splits `total` over the weights in proportion, in integers that add up to `total` exactly, as
 * gcloud rounds (_IntPercentages in googlecloudsdk/api_lib/run/traffic.py): each share is cut to
 * an integer, and the percents left go one each to the shares that lost most, then on a tie to the
 * smaller share, then to the revision whose name sorts first (LATEST last). The shares are doubles
 * computed as gcloud computes them, so a tie that is not exact in floating point breaks as it does
 * there too (91 × 28 / 63 loses a hair more than 91 × 1 / 63).
 */
export function largestRemainder(weights: ReadonlyMap<string, number>, total: number): Map<string, number> {
  const sum = [...weights.values()].reduce((a, b) => a + b, 0);
  const shares = [...weights].map(([key, w]) => {
    const exact = sum === 0 ? 0 : (w * total) / sum;
    return { key, exact, share: Math.trunc(exact), loss: 1 - (exact - Math.trunc(exact)) };
  });
  let left = total - shares.reduce((a, s) => a + s.share, 0);
  const order = (key: string): [number, string] => (key === LATEST ? [2, key] : [1, key]);
  const byPrecedence = (a: (typeof shares)[number], b: (typeof shares)[number]): number => {
    if (a.loss !== b.loss) return a.loss - b.loss;
    if (a.exact !== b.exact) return a.exact - b.exact;
    const [ka, kb] = [order(a.key), order(b.key)];
    return ka[0] - kb[0] || (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0);
  };
  for (const s of [...shares].sort(byPrecedence)) {
    if (left <= 0) break;
    s.share += 1;
    left -= 1;
  }
  return new Map(shares.map((s) => [s.key, s.share]));
}

/**
 * Puts each target's new percent on one of its entries (the one that carries percent now, else its
 * first entry, e.g. a candidate's tag-only entry) and 0 % on the rest; unlisted targets get 0 %,
 * new ones are appended.
 */
function applyPercents(list: readonly NormalizedTrafficTarget[], percents: ReadonlyMap<string, number>): NormalizedTrafficTarget[] {
  const next = list.map((t) => ({ ...t, percent: 0 }));
  for (const [key, percent] of percents) {
    if (percent === 0) continue;
    const index = list.findIndex((t) => targetKeyOf(t) === key && t.percent > 0);
    const carrier = index >= 0 ? index : list.findIndex((t) => targetKeyOf(t) === key);
    if (carrier >= 0) next[carrier].percent = percent;
    else next.push(key === LATEST ? trafficEntry("LATEST", undefined, percent) : trafficEntry("REVISION", key, percent));
  }
  return next;
}

/** Moves `tag` onto target `key`: onto its untagged entry (preferring one with percent), else a new 0 % entry. */
function setTag(list: readonly NormalizedTrafficTarget[], tag: string, key: string): NormalizedTrafficTarget[] {
  const next = list.map((t) => (t.tag === tag ? trafficEntry(t.type, t.revision, t.percent) : t));
  const untagged = next.filter((t) => targetKeyOf(t) === key && t.tag === undefined);
  const host = untagged.find((t) => t.percent > 0) ?? untagged[0];
  if (host !== undefined) host.tag = tag;
  else next.push(key === LATEST ? trafficEntry("LATEST", undefined, 0, tag) : trafficEntry("REVISION", key, 0, tag));
  return next;
}
