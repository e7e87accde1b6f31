import { MAX_CONTAINERS } from "../model/containers";
import { invalidFromViolations, type FieldViolation } from "../model/errors";
import { parseExecutionOverrides, parseJobSpec, type ExecutionOverrides, type JobSpec } from "../model/job";
import { JOB_REFUSED, OVERRIDES_REFUSED, refusedFields } from "./field-rules";
import { withWirePaths } from "./service-from-v2";
import { fromWire, JOB_TEMPLATE_FIELDS, overrideFields, wirePathOf } from "./template-fields";

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
  if (containers.length > MAX_CONTAINERS)
    violations.push({
      field: at,
      reason: `a task has at most ${MAX_CONTAINERS} containers (its main one first), got ${containers.length}`,
    });
  const engineTemplate = fromWire(JOB_TEMPLATE_FIELDS, template, `${root}.template`, violations);
  if (violations.length > 0) throw invalidFromViolations(violations);
  const body = { template: engineTemplate, labels: (wire.labels as Record<string, string> | undefined) ?? {} };
  return withWirePaths(() => parseJobSpec(body), root, jobWirePath);
}

export function jobWirePath(root: string, enginePath: string): string {
  const inTemplate = wirePathOf(JOB_TEMPLATE_FIELDS, "template", `${root}.template`, enginePath);
  if (inTemplate !== undefined) return inTemplate;
  if (enginePath === "template.sidecars") return `${root}.template.template.containers`;
  if (enginePath === "expectedGeneration") return `${root}.etag`;
  return `${root}.${enginePath}`;
}

/** The names of a job's containers, which an execution's container overrides go by. */
export interface JobContainerNames {
  main?: string;
  sidecars: readonly string[];
}

/**
 * RunJobRequest.overrides: the main container's override gives args (or none, with clearArgs) and
 * env. In a job of one container every override is its own, named or not (as before sidecars).
 * With sidecars an override names its container (`name`; none: the main one); a sidecar's is
 * refused, since an execution here changes only the main container's arguments and variables.
 */
export function overridesFromV2(wire: Wire | undefined, root: string, names: JobContainerNames = { sidecars: [] }): ExecutionOverrides {
  if (!wire) return {};
  const violations: FieldViolation[] = refusedFields(wire, OVERRIDES_REFUSED, root);
  const containers = (wire.containerOverrides ?? []) as Wire[];
  const mainAt: number[] = [];
  containers.forEach((c, i) => {
    const name = (c.name as string | undefined) ?? "";
    if (names.sidecars.length === 0 || name === "" || name === names.main) mainAt.push(i);
    else
      violations.push({
        field: `${root}.containerOverrides[${i}].name`,
        reason: names.sidecars.includes(name)
          ? `"${name}" is a sidecar: only the main container's ("${names.main}") args and env are overridden here`
          : `names no container of the job: "${name}" (its containers: ${[names.main, ...names.sidecars].join(", ")})`,
      });
  });
  if (mainAt.length > 1)
    violations.push({
      field: `${root}.containerOverrides`,
      reason: "the main container has one override here: give at most one for it",
    });
  const at = mainAt[0] ?? 0;
  const fields = overrideFields(at);
  const overrides = fromWire(fields, wire, root, violations);
  if (containers[at]?.clearArgs === true) {
    if (overrides.args !== undefined && (overrides.args as unknown[]).length > 0)
      violations.push({
        field: `${root}.containerOverrides[${at}].clearArgs`,
        reason: "clears the arguments: give args or clearArgs, not both",
      });
    overrides.args = [];
  }
  if (violations.length > 0) throw invalidFromViolations(violations);
  return withWirePaths(
    () => parseExecutionOverrides(overrides),
    root,
    (r, path) => wirePathOf(fields, "overrides", r, path) ?? path,
  );
}
