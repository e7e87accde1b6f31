import type { EngineClient } from "../../provider/client/api-client";
import type { Execution, Job } from "../../provider/model/job";
import { checkJobInputs, type JobInputs } from "../check/job";
import { keptName } from "../check/kept-name";
import { diffJob } from "../diff/job";
import { sameValue } from "../diff/table";
import { refreshed } from "./refreshed";
import { configure, engine, explain, isNotFound, type ProviderConfig } from "./engine";
import { compact, initFailed } from "./errors";

/**
 * The Job resource's provider. With `execute: "onCreate"` it runs an execution when the job is
 * created; with "onChange" also whenever the template changes. With `wait` (the default when it
 * executes) the create or update lasts until the execution finishes and fails if it failed, naming
 * the failed tasks with their exit codes and last log lines: a migration job that gates a rollout.
 */
export interface JobOutputs extends JobInputs {
  latestExecution?: ExecutionSummary;
}

export interface ExecutionSummary {
  name: string;
  status: Execution["status"];
  succeededCount: number;
  failedCount: number;
  retriedCount: number;
  completionTime?: string;
}

function summary(
  e: Pick<Execution, "name" | "status" | "succeededCount" | "failedCount" | "retriedCount" | "completionTime">,
): ExecutionSummary {
  return compact({
    name: e.name,
    status: e.status,
    succeededCount: e.succeededCount,
    failedCount: e.failedCount,
    retriedCount: e.retriedCount,
    completionTime: e.completionTime,
  });
}

function outputsOf(inputs: JobInputs, job: Job, latest?: ExecutionSummary): JobOutputs {
  const fromJob = job.latestExecution ? summary(job.latestExecution) : undefined;
  return compact({ ...inputs, latestExecution: latest ?? fromJob });
}

/** Runs an execution and, when asked, waits for it; a failed one fails the resource with its tasks' exit codes and log tails. */
async function run(client: EngineClient, inputs: JobInputs, job: Job, action: string): Promise<JobOutputs> {
  let execution: Execution;
  try {
    execution = await client.executeJob(inputs.project, inputs.name);
    if (inputs.wait) while (execution.status === "RUNNING") execution = await client.getExecution(inputs.project, execution.name, 300);
  } catch (error) {
    throw explain(`${action} job "${inputs.name}": running its execution`, error);
  }
  const outs = outputsOf(inputs, job, summary(execution));
  if (inputs.wait && execution.status !== "SUCCEEDED") {
    throw initFailed(
      `job "${inputs.name}": execution ${execution.name} ${execution.status.toLowerCase()}: ${await failureReport(client, inputs, execution)}`,
      inputs.name,
      outs,
    );
  }
  return outs;
}

/** The failed tasks of an execution with their exit codes and last log lines. */
export async function failureReport(
  client: EngineClient,
  inputs: Pick<JobInputs, "project" | "name">,
  execution: Execution,
): Promise<string> {
  const failed = execution.tasks.filter((t) => t.state === "FAILED");
  if (failed.length === 0) return execution.error ?? "no task succeeded";
  const lines = (await client.jobLogs(inputs.project, inputs.name, { execution: execution.name, limit: 1000 }).catch(() => "")).split("\n");
  return failed
    .map((t) => {
      const tail = lines.filter((l) => l.includes(` task ${t.index} attempt ${t.attempt} `)).slice(-5);
      const code = t.exitCode !== undefined ? ` (exit code ${t.exitCode})` : "";
      return `task ${t.index} failed after ${t.attempt + 1} attempt(s): ${t.lastError ?? "unknown"}${code}${tail.length ? `; last lines:\n  ${tail.join("\n  ")}` : ""}`;
    })
    .join("\n");
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkJobInputs(keptName(olds, news));
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffJob(olds, news);
  },

  async create(inputs: JobInputs) {
    const client = await engine();
    let job: Job;
    try {
      job = await client.putJob(inputs.project, inputs.name, { template: inputs.template, labels: inputs.labels }, { mode: "create" });
    } catch (error) {
      throw explain(`creating job "${inputs.name}" in project "${inputs.project}"`, error);
    }
    if (inputs.execute === "never") return { id: inputs.name, outs: outputsOf(inputs, job) };
    return { id: inputs.name, outs: await run(client, inputs, job, "creating") };
  },

  async update(_id: string, olds: JobOutputs, news: JobInputs) {
    const client = await engine();
    let job: Job;
    try {
      job = await client.putJob(news.project, news.name, { template: news.template, labels: news.labels }, { mode: "update" });
    } catch (error) {
      throw explain(`updating job "${news.name}" in project "${news.project}"`, error);
    }
    const lastFailed = olds.latestExecution !== undefined && olds.latestExecution.status !== "SUCCEEDED";
    const templateChanged = !sameValue(olds.template, news.template);
    // A changed template runs again; so does an update after a failed run (the gate is still closed).
    if (news.execute === "onChange" && (templateChanged || lastFailed)) return { outs: await run(client, news, job, "updating") };
    if (news.execute === "onCreate" && lastFailed) return { outs: await run(client, news, job, "updating") };
    return { outs: outputsOf(news, job, olds.latestExecution) };
  },

  async read(id: string, props: JobOutputs) {
    const client = await engine();
    try {
      const j = await client.getJob(props.project, props.name ?? id);
      const inputs: JobInputs = {
        name: j.name,
        project: j.project,
        template: j.template,
        labels: j.labels,
        execute: props.execute ?? "never",
        wait: props.wait ?? false,
      };
      return refreshed(id, inputs, outputsOf(inputs, j));
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading job "${props.name ?? id}"`, error);
    }
  },

  async delete(id: string, props: JobOutputs) {
    const client = await engine();
    try {
      await client.deleteJob(props.project, props.name ?? id);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting job "${props.name ?? id}"`, error);
    }
  },
};
