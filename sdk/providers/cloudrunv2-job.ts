import { canonicalJson } from "../../provider/base/canonical-json";
import type { EngineClient } from "../../provider/client/api-client";
import { jobTemplateSchema, type Job, type JobSpecInput } from "../../provider/model/job";
import { checkGcpJobInputs, type GcpJobInputs } from "../check/cloudrunv2-job";
import { keptName } from "../check/kept-name";
import { diffGcpJob, gcpJobDiffTable } from "../diff/cloudrunv2-job";
import { jobConditions, type GcpCondition } from "../gcp/conditions";
import { translateJob } from "../gcp/job-spec";
import { gcpJobTemplate } from "../gcp/render";
import { withoutUnwrittenDefaults } from "../gcp/unwritten-defaults";
import { configure, engine, explain, isNotFound, type ProviderConfig } from "./engine";
import { compact, initFailed } from "./errors";
import { failureReport } from "./job";

/**
 * skiff.cloudrunv2.Job's provider. As on Cloud Run, creating the job with a runExecutionToken,
 * or changing the token, runs an execution and the job is ready only once it succeeded: a failed
 * one fails `pulumi up`, naming the failed tasks with their exit codes and last log lines (and the
 * next `up` runs it again). A startExecutionToken starts one without waiting for it.
 */
export type GcpJobOutputs = GcpJobInputs & Record<string, unknown>;

function engineSpec(inputs: GcpJobInputs): JobSpecInput {
  const t = translateJob(inputs);
  if (t.failures.length > 0) throw new Error(t.failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
  return t.spec as JobSpecInput;
}

function outputsOf(inputs: GcpJobInputs, job: Job, failure?: string): GcpJobOutputs {
  const latest = job.latestExecution;
  return compact({
    ...inputs,
    latestCreatedExecutions: latest
      ? [compact({ name: latest.name, createTime: latest.createTime, completionTime: latest.completionTime })]
      : [],
    executionCount: job.executionCount,
    ...jobConditions(job.updateTime, failure === undefined ? undefined : { message: failure }),
    createTime: job.createTime,
    updateTime: job.updateTime,
    generation: String(job.generation),
    observedGeneration: String(job.generation),
    reconciling: false,
  });
}

/** Runs an execution; with `wait` until it finished, and fails the resource if it did not succeed. */
async function execute(client: EngineClient, inputs: GcpJobInputs, wait: boolean, action: string): Promise<GcpJobOutputs> {
  const where = `job "${inputs.name}" in project "${inputs.skiffProject}"`;
  let execution;
  try {
    execution = await client.executeJob(inputs.skiffProject, inputs.name);
    if (wait) while (execution.status === "RUNNING") execution = await client.getExecution(inputs.skiffProject, execution.name, 300);
  } catch (error) {
    throw explain(`${action} ${where}: running its execution`, error);
  }
  const job = await client.getJob(inputs.skiffProject, inputs.name);
  if (!wait || execution.status === "SUCCEEDED") return outputsOf(inputs, job);
  const report = await failureReport(client, { project: inputs.skiffProject, name: inputs.name }, execution);
  const message = `job "${inputs.name}": execution ${execution.name} ${execution.status.toLowerCase()}: ${report}`;
  throw initFailed(message, inputs.name, outputsOf(inputs, job, message));
}

async function put(client: EngineClient, inputs: GcpJobInputs, mode: "create" | "update"): Promise<Job> {
  try {
    return await client.putJob(inputs.skiffProject, inputs.name, engineSpec(inputs), { mode });
  } catch (error) {
    throw explain(`${mode === "create" ? "creating" : "updating"} job "${inputs.name}" in project "${inputs.skiffProject}"`, error);
  }
}

function lastRunFailed(outputs: Record<string, unknown>): string | undefined {
  const ready = (outputs.terminalConditions as GcpCondition[] | undefined)?.[0];
  return ready?.state === "CONDITION_FAILED" ? (ready.message ?? "the last execution failed") : undefined;
}

/**
 * The inputs as the engine now has them: the template and the labels each kept as written while
 * the engine still runs what they say, else read back in pulumi-gcp's shape without the defaults
 * the program left out, so a refresh records only what was changed outside the stack.
 */
function readBack(inputs: GcpJobInputs, j: Job): GcpJobInputs {
  const t = translateJob(inputs);
  const runsTemplate = (template: unknown) => {
    const candidate = translateJob({ ...inputs, template } as GcpJobInputs);
    if (candidate.failures.length > 0) return false;
    const parsed = jobTemplateSchema.safeParse(candidate.spec.template);
    return parsed.success && canonicalJson(parsed.data) === canonicalJson(j.template);
  };
  const sameLabels = t.failures.length === 0 && canonicalJson(t.spec.labels) === canonicalJson(j.labels);
  return {
    ...inputs,
    template: runsTemplate(inputs.template)
      ? inputs.template
      : (withoutUnwrittenDefaults(gcpJobTemplate(j.template, inputs.template), inputs.template, runsTemplate) as GcpJobInputs["template"]),
    labels: sameLabels ? inputs.labels : j.labels,
  };
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkGcpJobInputs(keptName(olds, news));
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffGcpJob(olds, news);
  },

  async create(inputs: GcpJobInputs) {
    const client = await engine();
    const job = await put(client, inputs, "create");
    if (inputs.runExecutionToken !== undefined) return { id: inputs.name, outs: await execute(client, inputs, true, "creating") };
    if (inputs.startExecutionToken !== undefined) return { id: inputs.name, outs: await execute(client, inputs, false, "creating") };
    return { id: inputs.name, outs: outputsOf(inputs, job) };
  },

  async update(_id: string, olds: GcpJobOutputs, news: GcpJobInputs) {
    const client = await engine();
    const job = await put(client, news, "update");
    // A new token runs an execution; so does an update after a failed run (the job is not ready yet).
    if (news.runExecutionToken !== undefined && (news.runExecutionToken !== olds.runExecutionToken || lastRunFailed(olds) !== undefined)) {
      return { outs: await execute(client, news, true, "updating") };
    }
    if (news.startExecutionToken !== undefined && news.startExecutionToken !== olds.startExecutionToken) {
      return { outs: await execute(client, news, false, "updating") };
    }
    return { outs: outputsOf(news, job) };
  },

  async read(id: string, props: GcpJobOutputs) {
    const client = await engine();
    try {
      const j = await client.getJob(props.skiffProject, props.name ?? id);
      const outs = outputsOf(readBack(props, j), j, lastRunFailed(props));
      const inputs = Object.fromEntries(
        Object.keys(gcpJobDiffTable)
          .filter((key) => key in outs)
          .map((key) => [key, outs[key]]),
      );
      return { id, props: outs, inputs };
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading job "${props.name ?? id}"`, error);
    }
  },

  async delete(id: string, props: GcpJobOutputs) {
    const client = await engine();
    try {
      await client.deleteJob(props.skiffProject, props.name ?? id);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting job "${props.name ?? id}"`, error);
    }
  },
};
