import { z } from "zod";
import { SkiffError } from "../../provider/model/errors";
import { projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import {
  normalizeTraffic,
  validateTraffic,
  type NormalizedTrafficTarget,
  trafficTargetSchema,
  type TrafficTarget,
} from "../../provider/model/traffic";
import { CheckOutcome, InputsBuilder } from "./result";
import { isPlaceholder } from "../preview-values/placeholders";
import { UNKNOWN, isUnknown, touchesUnknown, unknownPaths } from "../preview-values/unknowns";
import { validate } from "../preview-values/validate";

export interface TrafficTargetInputs {
  service: string;
  project: string;
  /** The engine's stored form: every entry with an explicit type. */
  traffic: NormalizedTrafficTarget[];
}

const trafficListSchema = z.array(trafficTargetSchema, { error: "must be a list of traffic entries" });

/**
 * The SDK spells "follow the latest ready revision" as `{ latestRevision: true, percent }`, as the
 * Cloud Run Terraform and Pulumi providers do; the engine's schema spells it `type: "LATEST"`.
 */
function toEngineEntry(entry: unknown): unknown {
  if (!entry || typeof entry !== "object" || Array.isArray(entry)) return entry;
  const { latestRevision, ...rest } = entry as Record<string, unknown>;
  if (latestRevision === true && rest.type === undefined) return { type: "LATEST", ...rest };
  if (latestRevision === false && rest.type === undefined && rest.revision !== undefined) return { type: "REVISION", ...rest };
  return latestRevision === undefined ? rest : entry; // any other latestRevision: let the strict schema name it
}

export function checkTrafficTargetInputs(news: Record<string, unknown>): CheckOutcome<TrafficTargetInputs> {
  const b = new InputsBuilder();
  b.field("service", news.service, validate(serviceNameSchema, news.service, ["service"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));

  const raw = Array.isArray(news.traffic) ? news.traffic.map(toEngineEntry) : news.traffic;
  (Array.isArray(raw) ? raw : []).forEach((entry, i) => {
    const original = (news.traffic as Record<string, unknown>[])[i];
    if (original && typeof original === "object" && original.latestRevision === true && original.revision !== undefined) {
      b.fail(`traffic[${i}].revision`, "must not be set together with latestRevision: true (that entry follows the latest ready revision)");
    }
  });
  const entries = validate(trafficListSchema, raw, ["traffic"]);
  if (entries.value === undefined) {
    b.field("traffic", raw, entries);
    return b.done();
  }
  const list = entries.value;
  const service = typeof news.service === "string" && !isUnknown(news.service) ? news.service : undefined;
  for (const failure of crossEntryFailures(list, service)) b.fail(failure.property, failure.reason);
  b.field("traffic", raw, { value: normalizeTraffic(list), failures: [] });
  return b.done();
}

/**
 * The engine's rules across entries (sum to 100, unique tags, one entry per target, each tag beside
 * the service's name when that is known), minus what only the engine can know (whether a named
 * revision exists) and minus what is unknown at preview.
 */
function crossEntryFailures(known: TrafficTarget[], service: string | undefined) {
  if (isUnknown(known)) return [];
  // "new revision of web" is a name not made yet: as unknown as the marker (two may look the same).
  const list = known.map((entry) => (isPlaceholder(entry.revision) ? { ...entry, revision: UNKNOWN } : entry));
  const unknowns = unknownPaths(list).map((p) => ["traffic", ...p]);
  const anyPercentUnknown = list.some((t) => isUnknown(t.percent));
  try {
    validateTraffic(list, [], service);
    return [];
  } catch (error) {
    if (!(error instanceof SkiffError)) throw error;
    return error.violations
      .filter((v) => !v.reason.startsWith("unknown revision"))
      .filter((v) => !(v.field === "traffic" && anyPercentUnknown))
      .filter((v) => !touchesUnknown(parseField(v.field), unknowns))
      .map((v) => ({ property: v.field, reason: v.reason }));
  }
}

/** `traffic[1].percent` → ["traffic", 1, "percent"]. */
function parseField(field: string): (string | number)[] {
  return field.split(/\.|(?=\[)/).map((part) => (part.startsWith("[") ? Number(part.slice(1, -1)) : part));
}
