import { z } from "zod";
import { checkField, invalid, invalidFromViolations, violationsOf, type FieldViolation } from "./errors";
import { tagNameSchema } from "./names";

/**
 * A service's traffic: the entry schema (Cloud Run v2's spelling), the answer shape of resolved
 * traffic, and the rules across entries as pure functions: validation, the canonical stored form,
 * resolution to concrete revisions, and what a new revision does to the list. The engine stores
 * `normalizeTraffic(list)` after `validateTraffic`, and routes with `routingTable(resolveTraffic(...))`.
 */

export const trafficTypeSchema = z.enum(["LATEST", "REVISION"]);
export type TrafficType = z.output<typeof trafficTypeSchema>;

/** One traffic entry as a client sends it. */
export const trafficTargetSchema = z
  .object({
    type: trafficTypeSchema.optional(),
    revision: z.string().min(1, "must not be empty").optional(),
    percent: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(0, "must be between 0 and 100")
      .max(100, "must be between 0 and 100")
      .default(0),
    tag: tagNameSchema.optional(),
  })
  .strict();

export type TrafficTargetInput = z.input<typeof trafficTargetSchema>;
export type TrafficTarget = z.output<typeof trafficTargetSchema>;

/** What a client sends to replace a service's whole traffic list. */
export const setTrafficBodySchema = z.object({ traffic: z.array(trafficTargetSchema) }).strict();

export function parseSetTrafficBody(body: unknown): TrafficTarget[] {
  const parsed = setTrafficBodySchema.safeParse(body);
  if (!parsed.success) throw invalidFromViolations(violationsOf(parsed.error));
  return parsed.data.traffic;
}

/** One entry of traffic as routed: the revision it reaches now, and its tag URL. */
export const trafficStatusSchema = z.object({
  type: trafficTypeSchema,
  revision: z.string(),
  percent: z.number().int(),
  tag: z.string().optional(),
  url: z.string().optional(),
});

export type TrafficStatus = z.output<typeof trafficStatusSchema>;
export type NormalizedTrafficTarget = TrafficTarget & { type: TrafficType };

/** What traffic validation needs to know about each revision of the service. */
export interface RevisionView {
  name: string;
  status: "PENDING" | "READY" | "FAILED";
}

/**
 * A tag URL's first DNS label is `tag---service` in Cloud Run too, and Cloud Run refuses a tag whose
 * length with the service name's passes 46: "traffic tag 'T' and service name 'S' together are too
 * long. Combined traffic tag and service name cannot exceed 46 characters." (its error on deploy
 * --tag and update-traffic). A tag alone is a DNS label of at most 46 (names.ts).
 */
export const TAG_WITH_SERVICE_MAX = 46;

export function tagTooLongForService(tag: string, service: string): string | undefined {
  if (tag.length + service.length <= TAG_WITH_SERVICE_MAX) return undefined;
  return `tag "${tag}" and service name "${service}" together are ${tag.length + service.length} characters; Cloud Run allows at most ${TAG_WITH_SERVICE_MAX} for both (the tag URL is ${tag}---${service})`;
}

/** `deploy --tag T`: a tag that is a valid label and fits beside the service's name. */
export function checkNewRevisionTag(tag: string, service: string): void {
  checkField("tag", tagNameSchema, tag);
  const tooLong = tagTooLongForService(tag, service);
  if (tooLong !== undefined) throw invalid("tag", tooLong);
}

/** Cloud Run infers the type: an entry naming a revision pins it, one without follows the latest. */
export function trafficTypeOf(target: TrafficTarget): TrafficType {
  return target.type ?? (target.revision !== undefined ? "REVISION" : "LATEST");
}

/** Builds an entry without undefined keys, so stored JSON and Pulumi outputs have no phantom fields. */
export function trafficEntry(type: TrafficType, revision: string | undefined, percent: number, tag?: string): NormalizedTrafficTarget {
  const entry: NormalizedTrafficTarget = { type, percent };
  if (revision !== undefined) entry.revision = revision;
  if (tag !== undefined) entry.tag = tag;
  return entry;
}

/** The routing target of an entry: "LATEST" or the revision name (revision names never are "LATEST"). */
export function targetKeyOf(target: TrafficTarget): string {
  return trafficTypeOf(target) === "LATEST" ? "LATEST" : (target.revision ?? "");
}

/** An entry that only gives a revision a tag URL: Cloud Run's way to reach a candidate. */
function isTagOnly(target: TrafficTarget): boolean {
  return target.percent === 0 && target.tag !== undefined;
}

/**
 * Throws one INVALID_ARGUMENT naming every problem (field paths like `traffic[1].percent`).
 * Choices where Cloud Run leaves room:
 * - Empty traffic is valid: it means 100 % to the latest ready revision.
 * - A PENDING revision is accepted: it may still become ready (and after an engine restart every
 *   revision is briefly pending while it is re-adopted); requests to it wait like a cold start.
 *   A FAILED one is refused even at 0 %: a tag URL to it could never answer.
 * - A LATEST entry is fine when nothing is ready yet (the first deploy is still starting).
 * - Each target (a revision, or LATEST) may carry percent in one entry only; further entries for
 *   the same target must be tag-only (0 % with a tag), which is how a revision gets several tags.
 * - With `service` given, each tag and the service name together fit TAG_WITH_SERVICE_MAX.
 */
export function validateTraffic(traffic: readonly TrafficTarget[], revisions: readonly RevisionView[], service?: string): void {
  const violations: FieldViolation[] = [];
  const revisionByName = new Map(revisions.map((r) => [r.name, r]));
  const tagIndex = new Map<string, number>();
  const targetIndex = new Map<string, number>();
  let sum = 0;
  let sumIsKnown = true;

  traffic.forEach((target, i) => {
    const at = `traffic[${i}]`;
    const percent: unknown = target.percent;
    if (typeof percent !== "number" || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      violations.push({ field: `${at}.percent`, reason: `must be a whole number between 0 and 100, got ${String(percent)}` });
      sumIsKnown = false;
    } else {
      sum += percent;
    }

    const type = trafficTypeOf(target);
    let targetIsValid = true;
    if (type === "LATEST" && target.revision !== undefined) {
      violations.push({
        field: `${at}.revision`,
        reason: `must not be set when type is LATEST (LATEST follows the latest ready revision); use type REVISION to pin "${target.revision}"`,
      });
      targetIsValid = false;
    } else if (type === "REVISION") {
      const revision = target.revision === undefined ? undefined : revisionByName.get(target.revision);
      if (target.revision === undefined) {
        violations.push({ field: `${at}.revision`, reason: "is required when type is REVISION" });
      } else if (revision === undefined) {
        violations.push({ field: `${at}.revision`, reason: `unknown revision "${target.revision}": it is not a revision of this service` });
      } else if (revision.status === "FAILED") {
        violations.push({ field: `${at}.revision`, reason: `revision "${target.revision}" failed and cannot receive traffic or a tag` });
      }
      targetIsValid = target.revision !== undefined;
    }

    if (target.tag !== undefined) {
      const parsed = tagNameSchema.safeParse(target.tag);
      const first = tagIndex.get(target.tag);
      if (!parsed.success) {
        violations.push({ field: `${at}.tag`, reason: parsed.error.issues[0]?.message ?? "is not a valid tag" });
      } else if (first !== undefined) {
        violations.push({ field: `${at}.tag`, reason: `duplicate tag "${target.tag}": traffic[${first}] has it too; tags must be unique` });
      } else if (service !== undefined && tagTooLongForService(target.tag, service) !== undefined) {
        violations.push({ field: `${at}.tag`, reason: tagTooLongForService(target.tag, service)! });
      } else {
        tagIndex.set(target.tag, i);
      }
    }

    if (targetIsValid && !isTagOnly(target)) {
      const key = targetKeyOf(target);
      const first = targetIndex.get(key);
      if (first === undefined) {
        targetIndex.set(key, i);
      } else if (type === "LATEST") {
        violations.push({
          field: `${at}.type`,
          reason: `LATEST is already the target of traffic[${first}]; give it one entry (extra entries may only add a tag at 0%)`,
        });
      } else {
        violations.push({
          field: `${at}.revision`,
          reason: `revision "${key}" is already the target of traffic[${first}]; give it one entry (extra entries may only add a tag at 0%)`,
        });
      }
    }
  });

  if (traffic.length > 0 && sumIsKnown && sum !== 100) {
    violations.push({ field: "traffic", reason: `percents must sum to 100, got ${sum}` });
  }
  if (violations.length > 0) throw invalidFromViolations(violations);
}

/** The stored form: every entry with an explicit type, keys in a fixed order, no undefined keys. */
export function normalizeTraffic(traffic: readonly TrafficTarget[]): NormalizedTrafficTarget[] {
  return traffic.map((t) => trafficEntry(trafficTypeOf(t), t.revision, t.percent, t.tag));
}

/**
 * Traffic as routed: LATEST entries point at `latestReadyRevision`. With nothing ready, LATEST
 * entries have no revision to show and are left out (so an index in the result may differ from the
 * one in the list). `urlFor` is called with each entry's tag (undefined for untagged entries) and
 * its answer, when defined, becomes the entry's url.
 */
export function resolveTraffic(
  traffic: readonly TrafficTarget[],
  latestReadyRevision: string | undefined,
  urlFor: (tag?: string) => string | undefined,
): TrafficStatus[] {
  const effective: readonly TrafficTarget[] = traffic.length > 0 ? traffic : [{ type: "LATEST", percent: 100 }];
  const statuses: TrafficStatus[] = [];
  for (const target of effective) {
    const type = trafficTypeOf(target);
    const revision = type === "LATEST" ? latestReadyRevision : target.revision;
    if (revision === undefined) continue;
    const status: TrafficStatus = { type, revision, percent: target.percent };
    if (target.tag !== undefined) status.tag = target.tag;
    const url = urlFor(target.tag);
    if (url !== undefined) status.url = url;
    statuses.push(status);
  }
  return statuses;
}

export interface RouteWeight {
  revision: string;
  percent: number;
}

/** Weights for the per-request pick: one entry per revision (LATEST and a pin of the same revision add up), no 0 % entries. */
export function routingTable(statuses: readonly TrafficStatus[]): RouteWeight[] {
  const weights = new Map<string, number>();
  for (const s of statuses) {
    if (s.percent > 0) weights.set(s.revision, (weights.get(s.revision) ?? 0) + s.percent);
  }
  return [...weights].map(([revision, percent]) => ({ revision, percent }));
}

/** Tag → revision, for `tag---service` hosts. */
export function tagTable(statuses: readonly TrafficStatus[]): Map<string, string> {
  const tags = new Map<string, string>();
  for (const s of statuses) if (s.tag !== undefined) tags.set(s.tag, s.revision);
  return tags;
}

/** Revisions that serve traffic or a tag URL; none of them may be deleted. */
export function revisionsInUse(statuses: readonly TrafficStatus[]): Set<string> {
  const inUse = new Set<string>();
  for (const s of statuses) if (s.percent > 0 || s.tag !== undefined) inUse.add(s.revision);
  return inUse;
}

/** The first entry that keeps `revision` alive, for the 409: `traffic[1] (10%, tag "canary")`. */
export function trafficEntryBlockingDelete(statuses: readonly TrafficStatus[], revision: string): string | undefined {
  const index = statuses.findIndex((s) => s.revision === revision && (s.percent > 0 || s.tag !== undefined));
  if (index < 0) return undefined;
  const s = statuses[index];
  const parts = [...(s.type === "LATEST" ? ["LATEST"] : []), `${s.percent}%`, ...(s.tag !== undefined ? [`tag "${s.tag}"`] : [])];
  return `traffic[${index}] (${parts.join(", ")})`;
}

/**
 * Makes each target (LATEST or a revision) carry percent in one entry only: the first entry with
 * percent absorbs the percent of later ones, which keep their tag at 0 % or disappear when
 * untagged. Used on lists the engine computes (pinning, update-traffic), never on a user's list.
 */
export function consolidateTraffic(traffic: readonly NormalizedTrafficTarget[]): NormalizedTrafficTarget[] {
  const list = traffic.map((t) => ({ ...t }));
  const carrier = new Map<string, NormalizedTrafficTarget>();
  for (const entry of list) {
    if (entry.percent <= 0) continue;
    const key = targetKeyOf(entry);
    const first = carrier.get(key);
    if (first === undefined) {
      carrier.set(key, entry);
    } else {
      first.percent += entry.percent;
      entry.percent = 0;
    }
  }
  return list.filter((t) => t.percent > 0 || t.tag !== undefined);
}

export interface NewRevisionOptions {
  /** `--no-traffic`: the new revision must get no traffic until traffic is moved to it. */
  noTraffic: boolean;
  /** `--tag T`: the new revision gets the tag URL `T---service` (the tag moves from wherever it was). */
  tag?: string;
  /** The latest ready revision before the new one, which `noTraffic` pins LATEST entries to. */
  latestReadyRevision?: string;
}

/**
 * The traffic list after a deploy created `newRevision` from the service's template.
 * - Traffic that pins revisions only (no LATEST entry) already gives the new revision 0 %: unchanged.
 * - Empty traffic or a LATEST entry with percent sends the new revision its share once it is ready,
 *   unless `noTraffic`: then, as gcloud does, the percent of those LATEST entries is pinned to the
 *   current latest ready revision (empty traffic becomes that revision at 100 %). Tags on LATEST
 *   entries keep following the latest, as in gcloud. With nothing ready there is nothing to pin to: an error, as gcloud refuses
 *   --no-traffic on a first deploy.
 * - Candidates (Revision resources) never become the service's latest ready revision, so LATEST
 *   never reaches them: call this with `noTraffic: false` for them, only to add a tag.
 * - A tag adds the entry {REVISION, newRevision, 0 %, tag}, replacing any entry with that tag
 *   (an entry that carried percent keeps it, without the tag).
 */
export function appendNewRevision(
  traffic: readonly NormalizedTrafficTarget[],
  newRevision: string,
  opts: NewRevisionOptions,
): NormalizedTrafficTarget[] {
  let list: NormalizedTrafficTarget[] = traffic.map((t) => ({ ...t }));
  const followsLatest = list.length === 0 || list.some((t) => t.type === "LATEST" && t.percent > 0);
  if (opts.noTraffic && followsLatest) {
    const pinTo = opts.latestReadyRevision;
    if (pinTo === undefined) {
      throw invalid(
        "noTraffic",
        "the service has no ready revision to keep serving, so a new revision cannot be deployed without traffic; deploy it with traffic first",
      );
    }
    if (list.length === 0) list = [trafficEntry("LATEST", undefined, 100)];
    // A tag on a LATEST entry stays on LATEST (gcloud's ZeroLatestTraffic moves tags to 0 % entries
    // first): its URL goes on reaching the newest revision; only the percent is pinned.
    list = consolidateTraffic(
      list.flatMap((t) =>
        t.type === "LATEST" && t.percent > 0
          ? [trafficEntry("REVISION", pinTo, t.percent), ...(t.tag !== undefined ? [trafficEntry("LATEST", undefined, 0, t.tag)] : [])]
          : [t],
      ),
    );
  }
  if (opts.tag !== undefined) {
    const tag = opts.tag;
    if (list.length === 0) list = [trafficEntry("LATEST", undefined, 100)]; // keep "100 % latest" explicit beside the tag
    list = list
      .map((t) => (t.tag === tag ? trafficEntry(t.type, t.revision, t.percent) : t))
      .filter((t) => t.percent > 0 || t.tag !== undefined);
    list.push(trafficEntry("REVISION", newRevision, 0, tag));
  }
  return list;
}
