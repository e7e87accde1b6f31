import { z } from "zod";
import { jobTemplateSchema, type JobTemplate } from "../../provider/model/job";
import { jobNameSchema, projectNameSchema } from "../../provider/model/names";
import { CheckOutcome, InputsBuilder } from "./result";
import { validate } from "../preview-values/validate";

/** When the Job resource runs an execution: never, when the job is created, or whenever its template changes (and on create). */
export const executeSchema = z.enum(["never", "onCreate", "onChange"], { error: 'must be "never", "onCreate" or "onChange"' });

/** A Job's inputs after `check`: every default applied, so a default never shows up as a diff. */
export interface JobInputs {
  name: string;
  project: string;
  template: JobTemplate;
  labels: Record<string, string>;
  execute: z.output<typeof executeSchema>;
  /** Wait for the execution `execute` runs, and fail if it fails; default: whenever execute runs one. */
  wait: boolean;
}

const labelsSchema = z.record(z.string(), z.string({ error: "must be a string" })).default({});

export function checkJobInputs(news: Record<string, unknown>): CheckOutcome<JobInputs> {
  const b = new InputsBuilder();
  b.field("name", news.name, validate(jobNameSchema, news.name, ["name"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("template", news.template, validate(jobTemplateSchema, news.template, ["template"]));
  b.field("labels", news.labels, validate(labelsSchema, news.labels, ["labels"]));
  const execute = validate(executeSchema.default("never"), news.execute, ["execute"]);
  b.field("execute", news.execute, execute);
  const waitDefault = execute.value !== undefined && execute.value !== "never";
  b.field("wait", news.wait, validate(z.boolean({ error: "must be true or false" }).default(waitDefault), news.wait, ["wait"]));
  return b.done();
}
