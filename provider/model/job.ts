import { z } from "zod";
import { labelsSchema } from "./labels";
import { invalidFromViolations, violationsOf } from "./errors";
import { serviceAccountSchema } from "./iam";
import { checkMounts } from "./volume";
import { checkContainers } from "./containers";
import { checkResources } from "./cpu-memory";
import { containerFields, envSchema, imageSchema, int, mountFields, resourcesSchema } from "./template";

/**
 * A Job: a template for containers that run to completion. Executing it makes an Execution
 * (`<job>-<abcde>`) that snapshots the template (with any overrides) and runs taskCount tasks, at
 * most `parallelism` at once, each retried up to maxRetries times; a task past its timeout is
 * stopped (SIGTERM, 10 s, SIGKILL) and counts as a failed attempt.
 */

/** What the platform tells every task about itself; a template may not set these names. */
export function taskEnv(job: string, execution: string, index: number, attempt: number, taskCount: number): Record<string, string> {
  return {
    CLOUD_RUN_JOB: job,
    CLOUD_RUN_EXECUTION: execution,
    CLOUD_RUN_TASK_INDEX: String(index),
    CLOUD_RUN_TASK_ATTEMPT: String(attempt),
    CLOUD_RUN_TASK_COUNT: String(taskCount),
  };
}

export const RESERVED_TASK_ENV: readonly string[] = Object.keys(taskEnv("", "", 0, 0, 0));

export const MAX_TASK_COUNT = 10_000;

/** Why a job's container may not have a liveness probe, in every surface's words (Cloud Run's API refuses it). */
export const JOB_LIVENESS_PROBE_REFUSED = "Cloud Run jobs run no liveness probes (a task runs until its main container exits); remove it";
/** Per attempt; Cloud Run allows up to 168 hours. */
export const MAX_TASK_TIMEOUT_SECONDS = 168 * 3600;

const taskCountSchema = int("must be a whole number")
  .min(1, `must be between 1 and ${MAX_TASK_COUNT}`)
  .max(MAX_TASK_COUNT, `must be between 1 and ${MAX_TASK_COUNT}`);
const timeoutSchema = int("must be a whole number of seconds")
  .min(1, `must be between 1 and ${MAX_TASK_TIMEOUT_SECONDS} seconds`)
  .max(MAX_TASK_TIMEOUT_SECONDS, `must be between 1 and ${MAX_TASK_TIMEOUT_SECONDS} seconds`);

export const jobTemplateSchema = z
  .object({
    image: imageSchema,
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    env: envSchema(RESERVED_TASK_ENV).default({}),
    taskCount: taskCountSchema.default(1),
    /** How many tasks run at once; 0 means all of them. */
    parallelism: int("must be a whole number")
      .min(0, `must be between 0 (all at once) and ${MAX_TASK_COUNT}`)
      .max(MAX_TASK_COUNT, `must be between 0 (all at once) and ${MAX_TASK_COUNT}`)
      .default(0),
    maxRetries: int("must be a whole number").min(0, "must be between 0 and 10").max(10, "must be between 0 and 10").default(3),
    /** Seconds per attempt. */
    timeout: timeoutSchema.default(600),
    resources: resourcesSchema.prefault({}),
    /** Who the tasks run as; unset: the project's default compute account. */
    serviceAccount: serviceAccountSchema.optional(),
    ...mountFields(RESERVED_TASK_ENV),
    /** Sidecars beside the task's main container (the template's own fields): it ends when the main container exits, and they are stopped then. */
    ...containerFields,
  })
  .strict()
  .superRefine(checkMounts)
  .superRefine(checkContainers)
  .superRefine(checkResources)
  .superRefine(noLivenessProbes);

/** Cloud Run runs no liveness probe in a job: a task runs until its main container exits. */
function noLivenessProbes(t: { sidecars?: { livenessProbe?: unknown }[] }, ctx: z.RefinementCtx): void {
  t.sidecars?.forEach((s, i) => {
    if (s.livenessProbe !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["sidecars", i, "livenessProbe"],
        message: "is not run in a job (Cloud Run jobs have no liveness probes: a task runs until its main container exits); remove it",
      });
  });
}

export type JobTemplateInput = z.input<typeof jobTemplateSchema>;
export type JobTemplate = z.output<typeof jobTemplateSchema>;

/** What a client sends to create or update a job (the name and project come from the URL). */
export const jobSpecSchema = z
  .object({
    template: jobTemplateSchema,
    labels: labelsSchema,
  })
  .strict();

export type JobSpecInput = z.input<typeof jobSpecSchema>;
export type JobSpec = z.output<typeof jobSpecSchema>;

export function parseJobSpec(input: unknown): JobSpec {
  const result = jobSpecSchema.safeParse(input);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error));
  return result.data;
}

/** What may change for one execution: `jobs execute --args --update-env-vars --tasks --task-timeout`. */
export const executionOverridesSchema = z
  .object({
    args: z.array(z.string()).optional(),
    /** Added to (and replacing same-named) variables of the template. */
    env: envSchema(RESERVED_TASK_ENV).optional(),
    taskCount: taskCountSchema.optional(),
    timeout: timeoutSchema.optional(),
  })
  .strict();

export type ExecutionOverrides = z.output<typeof executionOverridesSchema>;

export function parseExecutionOverrides(input: unknown): ExecutionOverrides {
  const result = executionOverridesSchema.safeParse(input ?? {});
  if (!result.success) throw invalidFromViolations(violationsOf(result.error, "overrides"));
  return result.data;
}

/** The template an execution runs: the job's, with the overrides applied. */
export function applyOverrides(template: JobTemplate, overrides: ExecutionOverrides): JobTemplate {
  const out: JobTemplate = {
    ...template,
    args: overrides.args ?? template.args,
    env: { ...template.env, ...overrides.env },
    taskCount: overrides.taskCount ?? template.taskCount,
    timeout: overrides.timeout ?? template.timeout,
  };
  // A variable given for this execution replaces a secret one of the same name.
  if (template.secretEnv && overrides.env) {
    const secretEnv = Object.fromEntries(Object.entries(template.secretEnv).filter(([name]) => !(name in overrides.env!)));
    if (Object.keys(secretEnv).length > 0) out.secretEnv = secretEnv;
    else delete out.secretEnv;
  }
  return out;
}

export const taskStateSchema = z.enum(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]);
export type TaskState = z.output<typeof taskStateSchema>;

export const executionStatusSchema = z.enum(["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]);
export type ExecutionStatus = z.output<typeof executionStatusSchema>;

/** Cloud Run's ExecutionReference.completionStatus (v1 and v2) for each status: a job's latest execution says how it went. */
export const EXECUTION_COMPLETION_STATUS = {
  RUNNING: "EXECUTION_RUNNING",
  SUCCEEDED: "EXECUTION_SUCCEEDED",
  FAILED: "EXECUTION_FAILED",
  CANCELLED: "EXECUTION_CANCELLED",
} as const satisfies Record<ExecutionStatus, string>;

export const taskStatusSchema = z.object({
  index: z.number().int(),
  state: taskStateSchema,
  /** The attempt running now, or the last one (0 for the first). */
  attempt: z.number().int(),
  exitCode: z.number().int().optional(),
  /** Why the last attempt failed: an exit code, a timeout, a vanished container. */
  lastError: z.string().optional(),
  startTime: z.string().optional(),
  completionTime: z.string().optional(),
});

export type TaskStatus = z.output<typeof taskStatusSchema>;

/** An execution as the engine answers with it. */
export const executionSchema = z.object({
  name: z.string(),
  project: z.string(),
  job: z.string(),
  template: jobTemplateSchema,
  status: executionStatusSchema,
  runningCount: z.number().int(),
  succeededCount: z.number().int(),
  failedCount: z.number().int(),
  cancelledCount: z.number().int(),
  /** Tasks retried at least once (Cloud Run's retriedCount; execution-plan.ts counts it). */
  retriedCount: z.number().int(),
  /** Why it failed: each failed task with its exit code. */
  error: z.string().optional(),
  createTime: z.string(),
  startTime: z.string(),
  completionTime: z.string().optional(),
  tasks: z.array(taskStatusSchema),
});

export type Execution = z.output<typeof executionSchema>;

/** A job as the engine answers with it. */
export const jobSchema = z.object({
  name: z.string(),
  project: z.string(),
  template: jobTemplateSchema,
  labels: z.record(z.string(), z.string()),
  generation: z.number().int(),
  executionCount: z.number().int(),
  latestExecution: executionSchema.omit({ tasks: true, template: true }).optional(),
  createTime: z.string(),
  updateTime: z.string(),
});

export type Job = z.output<typeof jobSchema>;
