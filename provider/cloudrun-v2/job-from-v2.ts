import { invalidFromViolations, type FieldViolation } from "../model/errors";
import { parseExecutionOverrides, parseJobSpec, type ExecutionOverrides, type JobSpec } from "../model/job";
import { JOB_REFUSED, OVERRIDES_REFUSED, refusedFields } from "./field-rules";
import { withWirePaths } from "./service-from-v2";
import { fromWire, JOB_TEMPLATE_FIELDS, OVERRIDE_FIELDS, wirePathOf } from "./template-fields";

/**
 * A Cloud Run v2 Job (decoded, enums as names) as the spec skiff's job controller applies, and a
 * RunJobRequest's overrides as an execution's; errors name the paths the client sent.
 */

type Wire = Record<string, unknown>;

export function jobSpecFromV2(wire: Wire, root: string): JobSpec {
  const violations: FieldViolation[] = refusedFields(wire, JOB_REFUSED, root);
  const template = (wire.template ?? {}) as Wire;
  const containers = ((template.template as Wire | undefined)?.containers ?? []) as unknown[];
  const at = `${root}.template.template.containers`;
  if (containers.length === 0) violations.push({ field: at, reason: "one container is required (its image)" });
  if (containers.length > 1)
    violations.push({
      field: at,
      reason: `skiff runs one container per task; this job has ${containers.length} (sidecars are not supported)`,
    });
  const engineTemplate = fromWire(JOB_TEMPLATE_FIELDS, template, `${root}.template`, violations);
  if (violations.length > 0) throw invalidFromViolations(violations);
  const body = { template: engineTemplate, labels: (wire.labels as Record<string, string> | undefined) ?? {} };
  return withWirePaths(() => parseJobSpec(body), root, jobWirePath);
}

export function jobWirePath(root: string, enginePath: string): string {
  const inTemplate = wirePathOf(JOB_TEMPLATE_FIELDS, "template", `${root}.template`, enginePath);
  if (inTemplate !== undefined) return inTemplate;
  if (enginePath === "expectedGeneration") return `${root}.etag`;
  return `${root}.${enginePath}`;
}

/** RunJobRequest.overrides: the first container override's args (or none, with clearArgs) and env. */
export function overridesFromV2(wire: Wire | undefined, root: string): ExecutionOverrides {
  if (!wire) return {};
  const violations: FieldViolation[] = refusedFields(wire, OVERRIDES_REFUSED, root);
  const containers = (wire.containerOverrides ?? []) as Wire[];
  if (containers.length > 1)
    violations.push({ field: `${root}.containerOverrides`, reason: "a job here has one container: give at most one container override" });
  const overrides = fromWire(OVERRIDE_FIELDS, wire, root, violations);
  if (containers[0]?.clearArgs === true) {
    if (overrides.args !== undefined && (overrides.args as unknown[]).length > 0)
      violations.push({
        field: `${root}.containerOverrides[0].clearArgs`,
        reason: "clears the arguments: give args or clearArgs, not both",
      });
    overrides.args = [];
  }
  if (violations.length > 0) throw invalidFromViolations(violations);
  return withWirePaths(
    () => parseExecutionOverrides(overrides),
    root,
    (r, path) => wirePathOf(OVERRIDE_FIELDS, "overrides", r, path) ?? path,
  );
}
