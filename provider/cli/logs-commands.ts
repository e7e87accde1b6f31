import { Command, Option } from "commander";
import { EngineError, jobLogPath, serviceLogPath, type EngineClient, type LogOptions } from "../client/api-client";
import { commonOptions, connect, withCommon } from "./common";
import { intFlag, nameArg } from "./flags";
import { UsageError } from "./output";

type LogFlags = Record<string, unknown> & {
  revision?: string;
  execution?: string;
  requestsOnly?: boolean;
  status?: string;
  severity?: string;
  logFilter?: string;
  container?: string;
};

const SEVERITY_NAMES = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"];

/**
 * The simple flags as conditions of Cloud Logging's filter language (the engine reads one filter):
 * --requests-only: the ingress's request entries; --status 5xx (a class) or 404 (a code);
 * --severity S: S and above, as Cloud Logging's severity>=S.
 */
export function filterOf(flags: LogFlags): string | undefined {
  let status: string | undefined;
  if (flags.status !== undefined) {
    const cls = /^([1-5])xx$/i.exec(flags.status);
    if (cls) status = `httpRequest.status>=${cls[1]}00 AND httpRequest.status<${Number(cls[1]) + 1}00`;
    else if (/^[1-5]\d\d$/.test(flags.status)) status = `httpRequest.status=${flags.status}`;
    else throw new UsageError(`--status: "${flags.status}" is neither a status code (404) nor a class (5xx)`);
  }
  let severity: string | undefined;
  if (flags.severity !== undefined) {
    const name = flags.severity.toUpperCase();
    if (!SEVERITY_NAMES.includes(name)) throw new UsageError(`--severity: "${flags.severity}" is not one of ${SEVERITY_NAMES.join(", ")}`);
    severity = `severity>=${name}`;
  }
  const parts = [flags.requestsOnly ? "httpRequest:*" : undefined, status, severity, flags.logFilter];
  const given = parts.filter((part): part is string => part !== undefined && part.trim() !== "");
  return given.length === 0 ? undefined : given.join(" AND ");
}

function isNotFound(error: unknown): boolean {
  return error instanceof EngineError && error.status === 404;
}

/**
 * A service's or a job's log, as gcloud reads either by name: the service of that name if there
 * is one, else the job. --revision only applies to services, --execution only to jobs.
 */
async function readEither<T>(flags: LogFlags, fromService: () => Promise<T>, fromJob: () => Promise<T>): Promise<T> {
  if (flags.execution === undefined) {
    try {
      return await fromService();
    } catch (error) {
      if (!isNotFound(error) || flags.revision !== undefined) throw error;
    }
  }
  if (flags.revision !== undefined) throw new UsageError("--revision: only applies to a service; use --execution for a job");
  return fromJob();
}

function readText(client: EngineClient, project: string, name: string, flags: LogFlags, options: LogOptions): Promise<string> {
  const filter = filterOf(flags);
  return readEither(
    flags,
    () => client.logs(project, name, { ...options, filter, revision: flags.revision }),
    () => client.jobLogs(project, name, { ...options, filter, execution: flags.execution }),
  );
}

function withFilterFlags(command: Command): Command {
  return command
    .option("--requests-only", "only the request log (one entry per request the ingress served)")
    .option("--status <status>", "only requests answered with this status (404) or class (5xx)")
    .addOption(new Option("--severity <severity>", "only entries of this severity or higher (DEBUG, INFO, WARNING, ERROR, ...)"))
    .option(
      "--log-filter <filter>",
      "Cloud Logging's filter language, comparisons joined by AND: httpRequest.status>=500, severity>=WARNING, trace:ID, NOT ...",
    );
}

export function logsCommands(): Command {
  const logs = new Command("logs").description("read or follow the logs of a service's containers or a job's tasks");

  withFilterFlags(withCommon(logs.command("read")))
    .argument("<name>", "service or job name", nameArg("service", "name"))
    .option("--revision <revision>", "only this revision's lines (services)", nameArg("revision", "--revision"))
    .option("--execution <execution>", "only this execution's lines (jobs)", nameArg("execution", "--execution"))
    .option("--container <name>", "only this container's lines (instances or tasks of several containers)")
    .option("--limit <n>", "the last N lines (default 1000)", intFlag("--limit"))
    .action(async (name: string, options: LogFlags & { limit?: number }) => {
      const { project, format } = commonOptions(options);
      const client = await connect();
      const container = options.container;
      if (format.kind === "json") {
        // Cloud Logging entries, as `gcloud logging read --format json` prints them.
        const filter = filterOf(options);
        const read = { limit: options.limit, filter, container };
        const entries = await readEither(
          options,
          () => client.logEntries(serviceLogPath(project, name), { ...read, revision: options.revision }),
          () => client.logEntries(jobLogPath(project, name), { ...read, execution: options.execution }),
        );
        process.stdout.write(JSON.stringify(entries, null, 2) + "\n");
        return;
      }
      const text = await readText(client, project, name, options, { limit: options.limit, container });
      if (text) process.stdout.write(text + "\n");
    });

  withFilterFlags(withCommon(logs.command("tail")))
    .argument("<name>", "service or job name", nameArg("service", "name"))
    .option("--revision <revision>", "only this revision's lines (services)", nameArg("revision", "--revision"))
    .option("--execution <execution>", "only this execution's lines (jobs)", nameArg("execution", "--execution"))
    .option("--container <name>", "only this container's lines (instances or tasks of several containers)")
    .action(async (name: string, options: LogFlags) => {
      const { project } = commonOptions(options);
      await readText(await connect(), project, name, options, {
        follow: true,
        container: options.container,
        onChunk: (t) => process.stdout.write(t),
      });
    });
  return logs;
}
