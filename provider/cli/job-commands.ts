import { Command } from "commander";
import { EngineError, type EngineClient } from "../client/api-client";
import type { Execution, Job, JobTemplateInput } from "../model/job";
import {
  commonOptions,
  connect,
  JOB_CLOUD_ONLY_FLAGS,
  noteIgnoredFlags,
  withAsyncAccepted,
  withCloudOnlyFlags,
  withCommon,
} from "./common";
import { confirmOrAbort } from "./confirm";
import { applyLabelFlags, checkLabelFlags, withLabelFlags, type LabelFlags } from "./env-flags";
import { intFlag, nameArg, secondsFlag } from "./flags";
import { applyMountFlags, describeMounts, MOUNT_FLAG_OF_FIELD, withMountFlags, type MountFlags } from "./mount-flags";
import {
  applyContainerGroups,
  containerGroupsOf,
  givenFlagsByContainer,
  GROUPED_MOUNT_FLAGS,
  parseContainerGroup,
  recordContainerGroups,
  withContainerFlags,
  type ContainerGroup,
} from "./container-flags";
import { describeSidecars } from "./describe-containers";
import { render } from "./formats";
import { executionToCloudRun, jobToCloudRun } from "../knative/objects";
import { cloudSqlFlagGiven } from "./cloudsql-flags";
import { printTable, UsageError, useFlagNames, useGivenFlags, useSidecarNames } from "./output";
import { serviceAccountFlag } from "./access-flags";
import { addIamPolicyCommands } from "./iam-commands";
import { defaultServiceAccount } from "../model/derived-names";
import { Progress } from "./progress";
import { imageFromSource, withSourceFlags, type SourceFlags } from "./source-flags";
import { listed, withListFlags } from "./list-flags";
import { mainContainerOverride, overrideGroupsOf, withExecutionOverrideFlags } from "./execution-override-flags";

export interface JobFlags extends MountFlags, SourceFlags, LabelFlags {
  image?: string;
  tasks?: number;
  parallelism?: number;
  maxRetries?: number;
  taskTimeout?: number;
  serviceAccount?: string;
  removeContainers?: string[];
  executeNow?: boolean;
  wait?: boolean;
}

/**
 * The flags `jobs create`, `update` and `deploy` share; a flag left out keeps the job's current
 * value. The container flags come in gcloud's `--container NAME` groups as deploy's do
 * (container-flags.ts): the first container is the task's main one, the others sidecars.
 */
function withTemplateFlags(command: Command): Command {
  const withFlags = withLabelFlags(
    withAsyncAccepted(
      withSourceFlags(withContainerFlags(withMountFlags(withCloudOnlyFlags(command, JOB_CLOUD_ONLY_FLAGS)), ["--liveness-probe"])),
    ),
    "job",
  );
  recordContainerGroups(withFlags);
  return withFlags
    .option("--tasks <n>", "tasks per execution (default 1)", intFlag("--tasks"))
    .option("--parallelism <n>", "tasks running at once; 0 = all (default)", intFlag("--parallelism"))
    .option("--max-retries <n>", "retries per failed task, 0..10 (default 3)", intFlag("--max-retries"))
    .option("--task-timeout <duration>", "per attempt, e.g. 600, 10m, 1h, 2d (default 10m, at most 7d)", secondsFlag("--task-timeout"))
    .option("--service-account <email>", "who the tasks run as (their metadata server's tokens are its)", serviceAccountFlag())
    .option("--execute-now", "run an execution once the job is created or changed")
    .option("--wait", "run an execution (implies --execute-now) and wait until it has finished; exit 1 if it failed");
}

/** API field paths as these flags name them. */
export const JOB_FLAG_OF_FIELD: Record<string, string> = {
  "template.image": "--image",
  "template.taskCount": "--tasks",
  "template.parallelism": "--parallelism",
  "template.maxRetries": "--max-retries",
  "template.timeout": "--task-timeout",
  "template.env": "--set-env-vars",
  "template.command": "--command",
  "template.args": "--args",
  "template.resources.memory": "--memory",
  "template.resources.cpu": "--cpu",
  "template.serviceAccount": "--service-account",
  "overrides.taskCount": "--tasks",
  "overrides.timeout": "--task-timeout",
  "overrides.env": "--update-env-vars",
  "overrides.args": "--args",
  ...MOUNT_FLAG_OF_FIELD,
};

export function jobTemplateFromFlags(existing: Job | undefined, flags: JobFlags, groups: readonly ContainerGroup[]): JobTemplateInput {
  let t: JobTemplateInput = existing ? structuredClone(existing.template) : { image: "" };
  if (flags.tasks !== undefined) t.taskCount = flags.tasks;
  if (flags.parallelism !== undefined) t.parallelism = flags.parallelism;
  if (flags.maxRetries !== undefined) t.maxRetries = flags.maxRetries;
  if (flags.taskTimeout !== undefined) t.timeout = flags.taskTimeout;
  if (flags.serviceAccount !== undefined) t.serviceAccount = flags.serviceAccount;
  const jobLevel: MountFlags = { ...flags };
  for (const key of GROUPED_MOUNT_FLAGS) delete jobLevel[key];
  const main = (t.containerName ?? groups.find((g) => g.name !== undefined)?.name) || undefined;
  for (const g of groups) {
    const f = parseContainerGroup(g);
    const where = g.name === undefined ? "" : `--container ${g.name}: `;
    // A task serves nothing: its main container has no port and no startup probe (a sidecar's probe orders the start).
    if (f.port !== undefined) throw new UsageError(`${where}--port: a job's containers serve no requests`);
    if (f.startupProbe !== undefined && (g.name === undefined || g.name === main))
      throw new UsageError(`${where}--startup-probe: a job's main container is not probed; give it to a sidecar it depends on`);
  }
  // The engine's template shape is shared: a job's is a service's without port, probe or scaling.
  t = applyContainerGroups(applyMountFlags(t, jobLevel) as never, groups, flags.removeContainers, !existing) as JobTemplateInput;
  if (!t.image) throw new UsageError("--image: is required to create a job (or --source DIR to build one)");
  return t;
}

/** The template a command sends; an engine error about one of its sidecars then names the container. */
function templateToSend(existing: Job | undefined, flags: JobFlags, command: Command): JobTemplateInput {
  const groups = containerGroupsOf(command);
  const template = jobTemplateFromFlags(existing, flags, groups);
  useSidecarNames(template.sidecars?.map((c) => c.name) ?? []);
  useGivenFlags(givenFlagsByContainer(groups, template.containerName, flags.addVolume ? undefined : cloudSqlFlagGiven(flags)));
  return template;
}

export function jobCommands(): Command {
  const jobs = new Command("jobs").description("create, run and inspect jobs: containers that run to completion");
  // Errors name these commands' flags (--tasks, --task-timeout), not deploy's.
  jobs.hook("preAction", () => useFlagNames(JOB_FLAG_OF_FIELD));

  withTemplateFlags(withCommon(jobs.command("create")))
    .argument("<job>", "job name", nameArg("job"))
    .description("create a job")
    .action(async (name: string, flags: JobFlags & Record<string, unknown>, command: Command) => {
      const { project, format } = commonOptions(flags);
      noteIgnoredFlags(flags);
      checkFlagCombinations(flags);
      const client = await connect();
      await imageFromSource(client, project, name, "job", flags, new Progress(format.kind !== "table"), containerGroupsOf(command));
      const job = await client.putJob(
        project,
        name,
        { template: templateToSend(undefined, flags, command), labels: applyLabelFlags({}, flags) },
        { mode: "create" },
      );
      render(format, jobToCloudRun(job), () =>
        process.stdout.write(`Job ${job.name} created: ${job.template.taskCount} task(s), image ${job.template.image}.\n`),
      );
      const after = executeAfterChange(flags);
      if (after.execute) await runExecution(client, project, name, {}, after.wait, format.kind === "table");
    });

  withTemplateFlags(withCommon(jobs.command("update")))
    .argument("<job>", "job name", nameArg("job"))
    .description("change a job's template; flags left out keep their values")
    .action(async (name: string, flags: JobFlags & Record<string, unknown>, command: Command) => {
      const { project, format } = commonOptions(flags);
      noteIgnoredFlags(flags);
      checkFlagCombinations(flags);
      const client = await connect();
      await imageFromSource(client, project, name, "job", flags, new Progress(format.kind !== "table"), containerGroupsOf(command));
      const existing = await client.getJob(project, name);
      const job = await client.putJob(
        project,
        name,
        { template: templateToSend(existing, flags, command), labels: applyLabelFlags(existing.labels, flags) },
        { mode: "update", expectedGeneration: existing.generation },
      );
      render(format, jobToCloudRun(job), () => process.stdout.write(`Job ${job.name} updated.\n`));
      const after = executeAfterChange(flags);
      if (after.execute) await runExecution(client, project, name, {}, after.wait, format.kind === "table");
    });

  withTemplateFlags(withCommon(jobs.command("deploy")))
    .argument("<job>", "job name", nameArg("job"))
    .description("create the job, or change its template if it exists (gcloud run jobs deploy)")
    .action(async (name: string, flags: JobFlags & Record<string, unknown>, command: Command) => {
      const { project, format } = commonOptions(flags);
      noteIgnoredFlags(flags);
      checkFlagCombinations(flags);
      const client = await connect();
      await imageFromSource(client, project, name, "job", flags, new Progress(format.kind !== "table"), containerGroupsOf(command));
      const existing = await client.getJob(project, name).catch((error: unknown) => {
        if (error instanceof EngineError && error.status === 404) return undefined;
        throw error;
      });
      const job = existing
        ? await client.putJob(
            project,
            name,
            { template: templateToSend(existing, flags, command), labels: applyLabelFlags(existing.labels, flags) },
            { mode: "update", expectedGeneration: existing.generation },
          )
        : await client.putJob(
            project,
            name,
            { template: templateToSend(undefined, flags, command), labels: applyLabelFlags({}, flags) },
            { mode: "create" },
          );
      render(format, jobToCloudRun(job), () => process.stdout.write(`Job ${job.name} ${existing ? "updated" : "created"}.\n`));
      const after = executeAfterChange(flags);
      if (after.execute) await runExecution(client, project, name, {}, after.wait, format.kind === "table");
    });

  withAsyncAccepted(withCommon(jobs.command("delete")))
    .argument("<job>", "job name", nameArg("job"))
    .description("delete a job with its executions; running tasks are stopped")
    .option("-q, --quiet", "do not ask to confirm")
    .action(async (name: string, options) => {
      const { project } = commonOptions(options);
      await confirmOrAbort(`Job [${name}] in project [${project}]`, options.quiet);
      await (await connect()).deleteJob(project, name);
      process.stdout.write(`deleted job ${name}\n`);
    });

  withListFlags(withCommon(jobs.command("list")))
    .description("list jobs")
    .action(async (options) => {
      const { project, format } = commonOptions(options);
      const { items: list, objects } = listed(await (await connect()).listJobs(project), jobToCloudRun, options);
      render(format, objects, () =>
        printTable([
          ["JOB", "TASKS", "LAST EXECUTION", "STATUS"],
          ...list.map((j) => [j.name, String(j.template.taskCount), j.latestExecution?.name ?? "-", j.latestExecution?.status ?? "-"]),
        ]),
      );
    });

  withCommon(jobs.command("describe"))
    .argument("<job>", "job name", nameArg("job"))
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const j = await (await connect()).getJob(project, name);
      render(format, jobToCloudRun(j), () => {
        const t = j.template;
        process.stdout.write(
          [
            `Job ${j.name} in project ${j.project}`,
            `  Image:           ${t.image}`,
            `  Tasks:           ${t.taskCount} (parallelism ${t.parallelism === 0 ? "all" : t.parallelism})`,
            `  Max retries:     ${t.maxRetries}`,
            `  Task timeout:    ${t.timeout}s`,
            `  Resources:       cpu ${t.resources.cpu}, memory ${t.resources.memory}`,
            `  Service account: ${t.serviceAccount ?? `${defaultServiceAccount(j.project)} (default)`}`,
            `  Env:             ${
              Object.entries(t.env)
                .map(([k, v]) => `${k}=${v}`)
                .join(" ") || "-"
            }`,
            ...describeMounts(t, 17),
            ...describeSidecars(t, 17, "main"),
            `  Executions:      ${j.executionCount}${j.latestExecution ? `, latest ${j.latestExecution.name} (${j.latestExecution.status})` : ""}`,
            "",
          ].join("\n"),
        );
      });
    });

  withExecutionOverrideFlags(withCommon(jobs.command("execute")))
    .argument("<job>", "job name", nameArg("job"))
    .description("run an execution of the job")
    .option("--wait", "wait until the execution has finished; exit 1 if it failed")
    .option("--async", "return as soon as the execution is created (the default)")
    .action(async (name: string, options, command: Command) => {
      const { project, format } = commonOptions(options);
      if (options.wait && options.async) throw new UsageError("--wait: cannot be combined with --async");
      const client = await connect();
      const overrides: Record<string, unknown> = {};
      if (options.tasks !== undefined) overrides.taskCount = options.tasks;
      if (options.taskTimeout !== undefined) overrides.timeout = options.taskTimeout;
      const groups = overrideGroupsOf(command);
      if (groups.some((g) => g.name !== undefined || g.args !== undefined || g.env !== undefined)) {
        const main = mainContainerOverride(await client.getJob(project, name), groups);
        if (main.args !== undefined) overrides.args = main.args;
        if (main.env !== undefined) overrides.env = main.env;
      }
      if (!options.wait) {
        const execution = await client.executeJob(project, name, overrides);
        render(format, executionToCloudRun(execution), () =>
          process.stdout.write(`Execution ${execution.name} started: ${execution.template.taskCount} task(s).\n`),
        );
        return;
      }
      const finished = await runExecution(client, project, name, overrides, true, format.kind === "table");
      if (format.kind !== "table") render(format, executionToCloudRun(finished), () => undefined);
    });

  addIamPolicyCommands(jobs, "job");
  return jobs;
}

/**
 * Whether `jobs create|update|deploy` runs an execution after the change, and waits for it. gcloud's
 * rules: `--wait` implies `--execute-now`, and `--async` is in a mutually exclusive group with the
 * two of them (an execution gcloud starts is always followed until it has at least started).
 */
export function executeAfterChange(flags: { executeNow?: boolean; wait?: boolean; async?: boolean }): { execute: boolean; wait: boolean } {
  const execute = flags.executeNow === true || flags.wait === true;
  if (flags.async && execute)
    throw new UsageError(
      `--async: cannot be combined with ${flags.wait ? "--wait" : "--execute-now"} (at most one of --async | --execute-now --wait)`,
    );
  return { execute, wait: flags.wait === true };
}

/** gcloud's rules: one kind of label flag per command, and --async apart from --execute-now/--wait. */
function checkFlagCombinations(flags: JobFlags & { async?: boolean }): void {
  checkLabelFlags(flags);
  executeAfterChange(flags);
}

/**
 * Starts an execution of the job; with `wait`, follows it to its end and sets exit code 1 with the
 * failed tasks on stderr if it did not succeed. `say`: the lines a person reads (table format);
 * other formats print only the object the command is about.
 */
async function runExecution(
  client: EngineClient,
  project: string,
  job: string,
  overrides: Record<string, unknown>,
  wait: boolean,
  say: boolean,
): Promise<Execution> {
  let execution = await client.executeJob(project, job, overrides);
  if (!wait) {
    if (say) process.stdout.write(`Execution ${execution.name} started: ${execution.template.taskCount} task(s).\n`);
    return execution;
  }
  if (say) process.stdout.write(`Execution ${execution.name} started; waiting for it to finish...\n`);
  while (execution.status === "RUNNING") execution = await client.getExecution(project, execution.name, 300);
  if (say) process.stdout.write(`Execution ${execution.name} ${execution.status.toLowerCase()}: ${counts(execution)}.\n`);
  if (execution.status !== "SUCCEEDED") {
    process.exitCode = 1;
    await reportFailedTasks(client, project, execution);
  }
  return execution;
}

export function counts(e: Execution): string {
  return `${e.succeededCount} succeeded, ${e.failedCount} failed, ${e.cancelledCount} cancelled, ${e.runningCount} running, ${e.retriedCount} retried`;
}

/** Each failed task with its exit code and the last lines it wrote. */
async function reportFailedTasks(client: EngineClient, project: string, execution: Execution): Promise<void> {
  const failed = execution.tasks.filter((t) => t.state === "FAILED");
  if (failed.length === 0) {
    process.stderr.write(`skiff: error: execution ${execution.name} ${execution.status.toLowerCase()}\n`);
    return;
  }
  const lines = (await client.jobLogs(project, execution.job, { execution: execution.name, limit: 1000 }).catch(() => "")).split("\n");
  for (const task of failed) {
    process.stderr.write(
      `skiff: error: task ${task.index} failed after ${task.attempt + 1} attempt(s): ${task.lastError ?? "unknown"}${task.exitCode !== undefined ? ` (exit code ${task.exitCode})` : ""}\n`,
    );
    const own = lines.filter((l) => l.includes(` task ${task.index} attempt ${task.attempt} `)).slice(-10);
    for (const line of own) process.stderr.write(`  ${line}\n`);
  }
}
