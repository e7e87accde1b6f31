import { RESERVED_TASK_ENV, jobTemplateSchema } from "../../provider/model/job";
import { jobNameSchema, projectNameSchema } from "../../provider/model/names";
import { UNKNOWN, isUnknown } from "../preview-values/unknowns";
import { validate, type CheckFailure } from "../preview-values/validate";
import { translateContainers } from "./container";
import { durationSeconds } from "./duration";
import { jobRules, reportFields } from "./field-rules";
import { PathMap, Problems } from "./paths";
import { labelsSchema } from "./service-spec";
import { translateVolumes } from "./volumes";

/**
 * A cloudrunv2.Job's arguments (pulumi-gcp's shape: `template.taskCount`, `template.parallelism`,
 * `template.template.{containers, maxRetries, timeout, serviceAccount}`) as the engine's job
 * spec, with every failure at the path the user wrote.
 */
export interface JobTranslation {
  spec: { template: unknown; labels: unknown };
  failures: CheckFailure[];
}

export function translateJob(inputs: Record<string, unknown>): JobTranslation {
  const problems = new Problems();
  const paths = new PathMap();
  const failures: CheckFailure[] = [...reportFields(inputs, jobRules, isUnknown).refused];
  failures.push(...validate(jobNameSchema, inputs.name, ["name"]).failures);
  failures.push(...validate(projectNameSchema, inputs.skiffProject, ["skiffProject"]).failures);

  let template: unknown = UNKNOWN;
  const outer = isUnknown(inputs.template) ? undefined : problems.object(inputs.template, "template");
  if (inputs.template === undefined) problems.add("template", "is required: the template executions are made from");
  if (outer && !isUnknown(outer.template)) {
    if (outer.template === undefined || outer.template === null)
      problems.add("template.template", "is required: the task template with its container");
    const inner = problems.object(outer.template, "template.template") ?? {};
    const engine: Record<string, unknown> = translateContainers(inner.containers, "template.template.containers", {
      problems,
      paths,
      reservedEnv: RESERVED_TASK_ENV,
      kind: "job",
    });
    for (const [key, value, path] of [
      ["taskCount", outer.taskCount, "template.taskCount"],
      ["parallelism", outer.parallelism, "template.parallelism"],
      ["maxRetries", inner.maxRetries, "template.template.maxRetries"],
      ["timeout", durationSeconds(inner.timeout, "template.template.timeout", problems), "template.template.timeout"],
      ["serviceAccount", inner.serviceAccount, "template.template.serviceAccount"],
    ] as const) {
      if (value !== undefined && value !== null) engine[key] = value;
      paths.set(key, path);
    }
    const volumes = translateVolumes(inner.volumes, "template.template.volumes", problems, paths);
    if (volumes !== undefined) engine.volumes = volumes;
    template = engine;
    failures.push(...paths.mapFailures(validate(jobTemplateSchema, engine).failures, "template.template"));
  }

  const labels = validate(labelsSchema, inputs.labels, ["labels"]);
  failures.push(...labels.failures);
  for (const key of ["runExecutionToken", "startExecutionToken"]) {
    const token = inputs[key];
    if (token !== undefined && !isUnknown(token) && (typeof token !== "string" || token === ""))
      problems.add(key, "must be a non-empty string");
  }
  if (inputs.runExecutionToken !== undefined && inputs.startExecutionToken !== undefined) {
    problems.add(
      "startExecutionToken",
      "must not be set together with runExecutionToken: set one (run waits for the execution, start does not)",
    );
  }
  return { spec: { template, labels: labels.value ?? {} }, failures: [...problems.failures, ...failures] };
}
