import { Command } from "commander";
import { EngineError, type EngineClient, type LogOptions } from "../client/api-client";
import { commonOptions, connect, withCommon } from "./common";
import { intFlag, nameArg } from "./flags";
import { UsageError } from "./output";

interface LogFlags {
  revision?: string;
  execution?: string;
}

/**
 * A service's or a job's log, as gcloud reads either by name: the service of that name if there
 * is one, else the job. --revision only applies to services, --execution only to jobs.
 */
async function readEither(client: EngineClient, project: string, name: string, flags: LogFlags, options: LogOptions): Promise<string> {
  if (flags.execution === undefined) {
    try {
      return await client.logs(project, name, { ...options, revision: flags.revision });
    } catch (error) {
      if (!(error instanceof EngineError && error.status === 404) || flags.revision !== undefined) throw error;
    }
  }
  if (flags.revision !== undefined) throw new UsageError("--revision: only applies to a service; use --execution for a job");
  return client.jobLogs(project, name, { ...options, execution: flags.execution });
}

export function logsCommands(): Command {
  const logs = new Command("logs").description("read or follow the logs of a service's containers or a job's tasks");

  withCommon(logs.command("read"))
    .argument("<name>", "service or job name", nameArg("service", "name"))
    .option("--revision <revision>", "only this revision's lines (services)", nameArg("revision", "--revision"))
    .option("--execution <execution>", "only this execution's lines (jobs)", nameArg("execution", "--execution"))
    .option("--container <name>", "only this container's lines (instances or tasks of several containers)")
    .option("--limit <n>", "the last N lines (default 1000)", intFlag("--limit"))
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const text = await readEither(await connect(), project, name, options, { limit: options.limit, container: options.container });
      if (format.kind === "json") process.stdout.write(JSON.stringify(text ? text.split("\n") : []) + "\n");
      else if (text) process.stdout.write(text + "\n");
    });

  withCommon(logs.command("tail"))
    .argument("<name>", "service or job name", nameArg("service", "name"))
    .option("--revision <revision>", "only this revision's lines (services)", nameArg("revision", "--revision"))
    .option("--execution <execution>", "only this execution's lines (jobs)", nameArg("execution", "--execution"))
    .option("--container <name>", "only this container's lines (instances or tasks of several containers)")
    .action(async (name: string, options) => {
      const { project } = commonOptions(options);
      await readEither(await connect(), project, name, options, {
        follow: true,
        container: options.container,
        onChunk: (t) => process.stdout.write(t),
      });
    });
  return logs;
}
