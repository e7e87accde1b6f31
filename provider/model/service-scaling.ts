import { z } from "zod";
import { int } from "./template";

/**
 * A service's own scaling (Cloud Run v2's `Service.scaling`, gcloud's `--min`, `--max` and
 * `--scaling`), apart from each revision's `template.scaling`: it applies to every revision that
 * takes a share of the traffic, and a change makes no new revision (it takes effect at once).
 *
 * - minInstanceCount: instances kept for the whole service, divided among the revisions with a
 *   percentage of the traffic in proportion to it; a revision keeps the larger of its share and
 *   its own minimum.
 * - maxInstanceCount: a limit on the instances of those revisions together, divided the same way
 *   (each revision with traffic gets at least one while there are enough); a revision's own
 *   maximum still bounds it. 0 or absent: no service-level limit (proto3's unset).
 * - scalingMode MANUAL with manualInstanceCount: exactly that many instances, divided by traffic
 *   the same way, whatever the load and never scaled to zero; revision-level minimum and maximum
 *   of the revisions in the split are ignored.
 *
 * How they are divided is pure logic in scaling/service-allocation.ts.
 */
export const SERVICE_SCALING_MODES = ["AUTOMATIC", "MANUAL"] as const;
export type ServiceScalingMode = (typeof SERVICE_SCALING_MODES)[number];

const count = () => int("must be an integer").min(0, "must be 0 or more").max(1000, "must be at most 1000");

export const serviceScalingSchema = z
  .object({
    minInstanceCount: count().optional(),
    maxInstanceCount: count().optional(),
    scalingMode: z.enum(SERVICE_SCALING_MODES, { error: "must be AUTOMATIC or MANUAL" }).default("AUTOMATIC"),
    manualInstanceCount: count().optional(),
  })
  .strict()
  .check((ctx) => {
    const s = ctx.value;
    const issue = (path: string, message: string) => ctx.issues.push({ code: "custom", input: s, path: [path], message });
    if (s.scalingMode === "MANUAL") {
      // Cloud Run unsets both when a service switches to manual; gcloud refuses --max with --scaling N.
      if (s.maxInstanceCount) issue("maxInstanceCount", "cannot be set when scalingMode is MANUAL (manualInstanceCount fixes the count)");
      if (s.minInstanceCount) issue("minInstanceCount", "cannot be set when scalingMode is MANUAL (manualInstanceCount fixes the count)");
    } else if (s.manualInstanceCount !== undefined) {
      issue("manualInstanceCount", "needs scalingMode MANUAL");
    }
    if (s.minInstanceCount && s.maxInstanceCount && s.minInstanceCount > s.maxInstanceCount)
      issue("minInstanceCount", `must not exceed maxInstanceCount (${s.minInstanceCount} > ${s.maxInstanceCount})`);
  });

export type ServiceScaling = z.output<typeof serviceScalingSchema>;

/** What a service without any service-level scaling has. */
export const NO_SERVICE_SCALING: ServiceScaling = Object.freeze({ scalingMode: "AUTOMATIC" });

/** Unset counts left out, so a stored or exported setting carries only what was set (0 is unset, as in proto3). */
export function normalizeServiceScaling(s: ServiceScaling): ServiceScaling {
  const out: ServiceScaling = { scalingMode: s.scalingMode };
  if (s.minInstanceCount) out.minInstanceCount = s.minInstanceCount;
  if (s.maxInstanceCount) out.maxInstanceCount = s.maxInstanceCount;
  if (s.scalingMode === "MANUAL") out.manualInstanceCount = s.manualInstanceCount ?? 0;
  return out;
}

/** gcloud's `--min`, `--max` (a count, or `default` to unset) and `--scaling` (`auto` or a count) as given. */
export interface ServiceScalingFlags {
  min?: number | "default";
  max?: number | "default";
  scaling?: number | "auto";
}

/**
 * The service's scaling after gcloud's flags, as gcloud's config changes make it: `--min 0` or
 * `default` unsets the minimum, `--scaling N` switches to manual (dropping min and max; `--max`
 * with it is refused), `--scaling auto` back to automatic (the manual count dropped; with neither
 * `--min` nor `--max`, both take the manual count, as Cloud Run's switch does).
 */
export function applyServiceScalingFlags(current: ServiceScaling, flags: ServiceScalingFlags): ServiceScaling {
  const next: ServiceScaling = { ...current };
  const set = (key: "minInstanceCount" | "maxInstanceCount", value: number | "default") => {
    if (value === "default" || value === 0) delete next[key];
    else next[key] = value;
  };
  if (flags.scaling !== undefined && flags.scaling !== "auto") {
    if (flags.max !== undefined) throw new RangeError("--max: cannot be set when --scaling is a fixed instance count (manual scaling)");
    return normalizeServiceScaling({ scalingMode: "MANUAL", manualInstanceCount: flags.scaling });
  }
  if (flags.scaling === "auto") {
    if (current.scalingMode === "MANUAL" && (flags.min === undefined) !== (flags.max === undefined))
      throw new RangeError("--scaling auto: give both --min and --max, or neither (then both take the manual instance count)");
    const manual = current.scalingMode === "MANUAL" ? current.manualInstanceCount : undefined;
    next.scalingMode = "AUTOMATIC";
    delete next.manualInstanceCount;
    if (flags.min === undefined && flags.max === undefined && manual) {
      next.minInstanceCount = manual;
      next.maxInstanceCount = manual;
    }
  }
  if (flags.min !== undefined) set("minInstanceCount", flags.min);
  if (flags.max !== undefined) set("maxInstanceCount", flags.max);
  return normalizeServiceScaling(next);
}
