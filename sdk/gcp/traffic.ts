import { z } from "zod";
import { SkiffError } from "../../provider/model/errors";
import { trafficTargetSchema, validateTraffic, type TrafficStatus, type TrafficType } from "../../provider/model/traffic";
import type { CheckFailure } from "../preview-values/validate";
import { UNKNOWN, isUnknown, touchesUnknown, unknownPaths } from "../preview-values/unknowns";
import { validate } from "../preview-values/validate";
import { Problems, at } from "./paths";

/**
 * `traffics[{type, revision, percent, tag}]` with Cloud Run v2's enum spellings, translated to the
 * engine's entries (same field names, LATEST | REVISION) and checked with the engine's rules.
 */
const TYPE_PREFIX = "TRAFFIC_TARGET_ALLOCATION_TYPE_";
const ENGINE_TYPE: Record<string, TrafficType> = { [`${TYPE_PREFIX}LATEST`]: "LATEST", [`${TYPE_PREFIX}REVISION`]: "REVISION" };

export function gcpTrafficType(type: TrafficType): string {
  return `${TYPE_PREFIX}${type}`;
}

/**
 * The engine's traffic list for `traffics`; absent means [], which the engine reads as 100 % to
 * the latest ready revision (Cloud Run's default too). The unknown marker passes through.
 */
export function translateTraffics(traffics: unknown, problems: Problems): unknown {
  if (isUnknown(traffics)) return UNKNOWN;
  const list = problems.list(traffics, "traffics", "a list of traffic entries");
  if (!list) return [];
  return list.map((item, j) => {
    if (isUnknown(item)) return UNKNOWN;
    const t = problems.object(item, at("traffics", j), "a traffic entry {type, revision, percent, tag}");
    if (!t) return {};
    const entry: Record<string, unknown> = {};
    for (const key of ["revision", "percent", "tag"]) if (t[key] !== undefined && t[key] !== null) entry[key] = t[key];
    if (t.type !== undefined && t.type !== null) {
      if (isUnknown(t.type)) entry.type = UNKNOWN;
      else if (typeof t.type === "string" && ENGINE_TYPE[t.type]) entry.type = ENGINE_TYPE[t.type];
      else
        problems.add(
          at(at("traffics", j), "type"),
          `must be ${TYPE_PREFIX}LATEST or ${TYPE_PREFIX}REVISION, got ${JSON.stringify(t.type)}`,
        );
    }
    return entry;
  });
}

/**
 * The engine's rules for the list: each entry's schema, then the rules across entries (sum to 100,
 * unique tags, one entry per target, each tag beside the service's name when known), minus what
 * only the engine knows (whether a named revision exists) and minus what is unknown at preview.
 */
export function trafficFailures(list: unknown, service?: string): CheckFailure[] {
  const entries = validate(z.array(trafficTargetSchema), list, ["traffics"]);
  if (entries.value === undefined || isUnknown(entries.value)) return entries.failures;
  const targets = entries.value;
  if (targets.some(isUnknown)) return [];
  const unknowns = unknownPaths(targets).map((p) => ["traffics", ...p]);
  const anyPercentUnknown = targets.some((t) => isUnknown(t.percent));
  try {
    validateTraffic(targets, [], service);
    return [];
  } catch (error) {
    if (!(error instanceof SkiffError)) throw error;
    return error.violations
      .filter((v) => !v.reason.startsWith("unknown revision"))
      .map((v) => ({ property: v.field.replace(/^traffic\b/, "traffics"), reason: v.reason }))
      .filter((v) => !(v.property === "traffics" && anyPercentUnknown))
      .filter((v) => !touchesUnknown(parsePath(v.property), unknowns));
  }
}

/** `traffics[1].percent` → ["traffics", 1, "percent"]. */
function parsePath(field: string): (string | number)[] {
  return field.split(/\.|(?=\[)/).map((part) => (part.startsWith("[") ? Number(part.slice(1, -1)) : part));
}

/** pulumi-gcp's trafficStatuses[] entry. */
export interface GcpTrafficStatus {
  type: string;
  revision: string;
  percent: number;
  tag?: string;
  uri?: string;
}

export function gcpTrafficStatuses(statuses: readonly TrafficStatus[]): GcpTrafficStatus[] {
  return statuses.map((s) => {
    const status: GcpTrafficStatus = { type: gcpTrafficType(s.type), revision: s.revision, percent: s.percent };
    if (s.tag !== undefined) status.tag = s.tag;
    if (s.url !== undefined) status.uri = s.url;
    return status;
  });
}
