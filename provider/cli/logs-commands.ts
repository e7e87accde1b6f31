import { Command, Option } from "commander";
import { EngineError, jobLogPath, serviceLogPath, type EngineClient, type LogOptions } from "../client/api-client";
import { commonOptions, connect, withCommon } from "./common";
import { durationFlag, intFlag, nameArg } from "./flags";
import { UsageError } from "./output";

type LogFlags = Record<string, unknown> & {
  /** gcloud's --freshness, in ms: only entries no older than this (logs read). */
  freshness?: number;
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
 * --severity S: S and above, as Cloud Logging's severity>=S; --freshness D: timestamp>=now-D, as
 * gcloud adds it (not when the filter names timestamp itself). gcloud's own default freshness is
 * 1d; skiff's log is local and capped, so without the flag a read is not cut by age.
 */
export function filterOf(flags: LogFlags, now = Date.now()): string | undefined {
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
  const fresh =
    flags.freshness !== undefined && !(flags.logFilter ?? "").includes("timestamp")
      ? `timestamp>="${new Date(now - flags.freshness).toISOString()}"`
      : undefined;
  const parts = [flags.requestsOnly ? "httpRequest:*" : undefined, status, severity, flags.logFilter, fresh];
  const given = parts.filter((part): part is string => part !== undefined && part.trim() !== "");
  // Each in parentheses: a filter with OR in it keeps its meaning beside the others.
  return given.length === 0 ? undefined : given.length === 1 ? given[0] : given.map((part) => `(${part})`).join(" AND ");
}

function withFilterFlags(command: Command): Command {
  return command
    .option("--requests-only", "only the request log (one entry per request the ingress served)")
    .option("--status <status>", "only requests answered with this status (404) or class (5xx)")
    .addOption(new Option("--severity <severity>", "only entries of this severity or higher (DEBUG, INFO, WARNING, ERROR, ...)"))
    .option(
      "--log-filter <filter>",
      "Cloud Logging's filter language: httpRequest.status>=500, severity>=WARNING, trace:ID, AND, OR, NOT, (...)",
    );
}

/** gcloud's --freshness: a duration, with days ("1d", "2d12h") as gcloud's durations have them. */
function freshnessFlag(value: string): number {
  const days = /^(\d+)d(.*)$/.exec(value.trim());
  const rest = days ? days[2] : value;
  const ms = days && rest === "" ? 0 : durationFlag("--freshness")(rest);
  return ms + (days ? Number(days[1]) * 86_400_000 : 0);
}

/** gcloud's read flags (LoggingReadArgs): --limit, --order, --freshness. */
function withReadFlags(command: Command): Command {
  return command
    .option("--limit <n>", "the last N lines (default 1000)", intFlag("--limit"))
    .addOption(new Option("--order <order>", "desc: the newest lines (the only order skiff reads in)").choices(["desc", "asc"]))
    .option("--freshness <duration>", "only entries no older than this (1d, 2h, 30m)", freshnessFlag);
}

/** Whose log a command reads: a service's or a job's, optionally one revision's or execution's. */
interface LogTarget {
  kind: "service" | "job";
  name: string;
  revision?: string;
  execution?: string;
}

/**
 * The logs a name may be, tried in order (the next only when the engine has no such service):
 * gcloud reads a service or a job by name, so `logs read NAME` is the service of that name if
 * there is one, else the job; a revision's or an execution's name is looked up first.
 */
type TargetsOf = (client: EngineClient, project: string, name: string, flags: LogFlags) => Promise<LogTarget[]>;

const serviceOrJob: TargetsOf = async (_client, _project, name, flags) => {
  if (flags.execution !== undefined) {
    if (flags.revision !== undefined) throw new UsageError("--revision: only applies to a service; use --execution for a job");
    return [{ kind: "job", name, execution: flags.execution }];
  }
  const service: LogTarget = { kind: "service", name, revision: flags.revision };
  return flags.revision !== undefined ? [service] : [service, { kind: "job", name }];
};

const ofRevision: TargetsOf = async (client, project, name) => {
  const revision = await client.getRevision(project, name);
  return [{ kind: "service", name: revision.service, revision: name }];
};

const ofExecution: TargetsOf = async (client, project, name) => {
  const execution = await client.getExecution(project, name);
  return [{ kind: "job", name: execution.job, execution: name }];
};

async function firstFound<T>(targets: LogTarget[], read: (target: LogTarget) => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await read(targets[i]);
    } catch (error) {
      if (i === targets.length - 1 || !(error instanceof EngineError && error.status === 404)) throw error;
    }
  }
}

function readText(
  client: EngineClient,
  project: string,
  target: LogTarget,
  filter: string | undefined,
  options: LogOptions,
): Promise<string> {
  return target.kind === "service"
    ? client.logs(project, target.name, { ...options, filter, revision: target.revision })
    : client.jobLogs(project, target.name, { ...options, filter, execution: target.execution });
}

/** `read` and `tail` of one kind of name: what `logs`, `services logs`, `jobs logs`, `revisions logs` and `jobs executions logs` hold. */
function readAndTail(group: Command, argument: string, help: string, targetsOf: TargetsOf, scoped: boolean): Command {
  const scopeFlags = (command: Command) =>
    scoped
      ? command
          .option("--revision <revision>", "only this revision's lines (services)", nameArg("revision", "--revision"))
          .option("--execution <execution>", "only this execution's lines (jobs)", nameArg("execution", "--execution"))
      : command;

  withReadFlags(scopeFlags(withFilterFlags(withCommon(group.command("read")))))
    .argument(`<${argument}>`, help, nameArg(argument === "execution" || argument === "revision" ? argument : "service", "name"))
    .option("--container <name>", "only this container's lines (instances or tasks of several containers)")
    .action(async (name: string, options: LogFlags & { limit?: number; order?: string }) => {
      const { project, format } = commonOptions(options);
      if (options.order === "asc")
        throw new UsageError("--order: asc is not supported: skiff reads a log from its newest line (desc, the default); use --limit");
      const filter = filterOf(options);
      const client = await connect();
      const targets = await targetsOf(client, project, name, options);
      const container = options.container;
      if (format.kind === "json") {
        // Cloud Logging entries, as `gcloud logging read --format json` prints them.
        const read = { limit: options.limit, filter, container };
        const entries = await firstFound(targets, (target) =>
          target.kind === "service"
            ? client.logEntries(serviceLogPath(project, target.name), { ...read, revision: target.revision })
            : client.logEntries(jobLogPath(project, target.name), { ...read, execution: target.execution }),
        );
        process.stdout.write(JSON.stringify(entries, null, 2) + "\n");
        return;
      }
      const text = await firstFound(targets, (target) => readText(client, project, target, filter, { limit: options.limit, container }));
      if (text) process.stdout.write(text + "\n");
    });

  scopeFlags(withFilterFlags(withCommon(group.command("tail"))))
    .argument(`<${argument}>`, help, nameArg(argument === "execution" || argument === "revision" ? argument : "service", "name"))
    .option("--container <name>", "only this container's lines (instances or tasks of several containers)")
    .action(async (name: string, options: LogFlags) => {
      const { project } = commonOptions(options);
      const filter = filterOf(options);
      const client = await connect();
      const targets = await targetsOf(client, project, name, options);
      await firstFound(targets, (target) =>
        readText(client, project, target, filter, { follow: true, container: options.container, onChunk: (t) => process.stdout.write(t) }),
      );
    });
  return group;
}

export function logsCommands(): Command {
  const logs = new Command("logs").description("read or follow the logs of a service's containers or a job's tasks");
  return readAndTail(logs, "name", "service or job name", serviceOrJob, true);
}

/** `revisions logs read|tail REVISION` (gcloud beta run revisions logs): the revision's service's log, that revision's lines. */
export function revisionLogsCommands(): Command {
  const logs = new Command("logs").description("read or follow the logs of one revision");
  return readAndTail(logs, "revision", "revision name", ofRevision, false);
}

/** `jobs executions logs read|tail EXECUTION` (gcloud beta run jobs executions logs): the execution's job's log, its lines. */
export function executionLogsCommands(): Command {
  const logs = new Command("logs").description("read or follow the logs of one execution's tasks");
  return readAndTail(logs, "execution", "execution name", ofExecution, false);
}
