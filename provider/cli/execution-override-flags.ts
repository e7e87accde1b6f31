import type { Command } from "commander";
import type { Job } from "../model/job";
import { intFlag, listFlag, secondsFlag } from "./flags";
import { envVarsFlag } from "./env-flags";
import { UsageError } from "./output";

/**
 * `jobs execute`'s overrides, as gcloud's (surface/run/jobs/execute.py): --tasks and --task-timeout
 * for the execution, --args and --update-env-vars for a container, in `--container NAME` groups
 * when the job has several. An execution here changes only the main container's arguments and
 * variables (the v2 API's RunJob says the same of a sidecar's override).
 */

/** One group of container flags: before any --container (no name), or after one. */
export interface OverrideGroup {
  name?: string;
  args?: string[];
  env?: Record<string, string>;
}

const recorded = new WeakMap<Command, OverrideGroup[]>();

export function withExecutionOverrideFlags(command: Command): Command {
  const groups: OverrideGroup[] = [{}];
  recorded.set(command, groups);
  const parseArgs = listFlag;
  const parseEnv = envVarsFlag("--update-env-vars");
  // Commander keeps one value per option over the whole line; the groups keep each container's own.
  command
    .option("--tasks <n>", "tasks for this execution", intFlag("--tasks"))
    .option("--task-timeout <duration>", "per attempt, for this execution", secondsFlag("--task-timeout"))
    .option("--args <a,b,...>", 'arguments for this execution ("" clears them)', (value: string) => {
      const group = groups.at(-1)!;
      group.args = parseArgs(value, group.args);
      return group.args;
    })
    .option("--update-env-vars <K=V,...>", "variables added for this execution", (value: string) => {
      const group = groups.at(-1)!;
      group.env = parseEnv(value, group.env);
      return group.env;
    })
    .option("--container <name>", "the --args and --update-env-vars after it (up to the next --container) are this container's");
  command.on("option:container", (name: string) => groups.push({ name }));
  return command;
}

export function overrideGroupsOf(command: Command): OverrideGroup[] {
  return recorded.get(command) ?? [{}];
}

/**
 * The main container's args and env for this execution, from the groups. gcloud refuses a
 * `--container` group with neither flag; a sidecar's or an unknown container's group is refused
 * here, naming the containers. In a job of one container every group is its own, named or not.
 */
export function mainContainerOverride(job: Pick<Job, "template">, groups: readonly OverrideGroup[]): Omit<OverrideGroup, "name"> {
  const main = job.template.containerName;
  const sidecars = (job.template.sidecars ?? []).map((c) => c.name);
  const out: Omit<OverrideGroup, "name"> = {};
  for (const g of groups) {
    const where = g.name === undefined ? "" : `--container ${g.name}: `;
    if (g.name !== undefined) {
      if (g.args === undefined && g.env === undefined)
        throw new UsageError(`${where}no container overrides requested; give --args or --update-env-vars after --container`);
      if (sidecars.includes(g.name))
        throw new UsageError(`${where}is a sidecar: an execution overrides only the main container's ("${main}") args and env`);
      if (sidecars.length > 0 && g.name !== main)
        throw new UsageError(`${where}names no container of the job (its containers: ${[main, ...sidecars].join(", ")})`);
    }
    if (g.args !== undefined) {
      if (out.args !== undefined) throw new UsageError(`${where}--args: the main container's arguments are given twice`);
      out.args = g.args;
    }
    if (g.env !== undefined) {
      if (out.env !== undefined) throw new UsageError(`${where}--update-env-vars: the main container's variables are given twice`);
      checkEnvOverrides(job, g.env);
      out.env = g.env;
    }
  }
  return out;
}

/**
 * gcloud checks `--update-env-vars` against the job before it runs it (ValidateConfigOverrides):
 * a name the job takes from a secret may not become a literal for one execution, and nothing runs.
 */
export function checkEnvOverrides(job: Pick<Job, "template">, env: Record<string, string>): void {
  const secret = Object.keys(env).filter((name) => job.template.secretEnv?.[name] !== undefined);
  if (secret.length > 0)
    throw new UsageError(
      `--update-env-vars: cannot update environment variable [${secret.join(", ")}] to string literal because it has already been set with a different type (a secret of the job)`,
    );
}
