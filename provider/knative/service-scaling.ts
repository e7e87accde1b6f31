import { invalid } from "../model/errors";
import type { ServiceScaling } from "../model/service-scaling";

/**
 * A service's own scaling in Knative YAML: annotations on the Service's metadata (not its
 * template's, where `autoscaling.knative.dev/minScale` is the revision's), as gcloud's config
 * changes write them (api_lib/run/service.py): minScale and maxScale counts, scalingMode
 * `automatic`|`manual`, manualInstanceCount.
 */
export const SERVICE_SCALING_ANNOTATIONS = {
  minInstanceCount: "run.googleapis.com/minScale",
  maxInstanceCount: "run.googleapis.com/maxScale",
  scalingMode: "run.googleapis.com/scalingMode",
  manualInstanceCount: "run.googleapis.com/manualInstanceCount",
} as const;

type Field = keyof typeof SERVICE_SCALING_ANNOTATIONS;

/** The annotations for the service's scaling; none when it has none (automatic, no bounds). */
export function serviceScalingAnnotations(s: ServiceScaling | undefined): Record<string, string> {
  if (!s) return {};
  const out: Record<string, string> = {};
  if (s.minInstanceCount) out[SERVICE_SCALING_ANNOTATIONS.minInstanceCount] = String(s.minInstanceCount);
  if (s.maxInstanceCount) out[SERVICE_SCALING_ANNOTATIONS.maxInstanceCount] = String(s.maxInstanceCount);
  if (s.scalingMode === "MANUAL") {
    out[SERVICE_SCALING_ANNOTATIONS.scalingMode] = "manual";
    out[SERVICE_SCALING_ANNOTATIONS.manualInstanceCount] = String(s.manualInstanceCount ?? 0);
  }
  return out;
}

/**
 * The service's scaling from its metadata's annotations (each read through `take`, which marks it
 * used); the model's schema checks the combination. A count that is not a whole number, or a mode
 * other than automatic|manual, is refused naming its annotation.
 */
export function serviceScalingFromAnnotations(
  annotations: Record<string, unknown>,
  take: (path: string, value: unknown) => unknown,
): Record<string, unknown> {
  const read = (field: Field) => {
    const name = SERVICE_SCALING_ANNOTATIONS[field];
    return take(`metadata.annotations.${name}`, annotations[name]);
  };
  const out: Record<string, unknown> = {};
  for (const field of ["minInstanceCount", "maxInstanceCount", "manualInstanceCount"] as const) {
    const value = read(field);
    if (value === undefined) continue;
    const n = Number(value);
    if (typeof value !== "string" || value.trim() === "" || !Number.isInteger(n))
      throw invalid(`metadata.annotations.${SERVICE_SCALING_ANNOTATIONS[field]}`, `must be a whole number, got ${JSON.stringify(value)}`);
    out[field] = n;
  }
  const mode = read("scalingMode");
  if (mode !== undefined) {
    if (mode !== "automatic" && mode !== "manual")
      throw invalid(
        `metadata.annotations.${SERVICE_SCALING_ANNOTATIONS.scalingMode}`,
        `must be automatic or manual, got ${JSON.stringify(mode)}`,
      );
    out.scalingMode = mode === "manual" ? "MANUAL" : "AUTOMATIC";
  }
  return out;
}

/** Engine field paths of the service's scaling as the Knative object names them. */
export const SERVICE_SCALING_KNATIVE_PATHS: Record<string, string> = Object.fromEntries(
  Object.entries(SERVICE_SCALING_ANNOTATIONS).map(([field, name]) => [`serviceScaling.${field}`, `metadata.annotations.${name}`]),
);
