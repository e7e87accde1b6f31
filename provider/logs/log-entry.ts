import type { HttpRequestFields } from "./http-request";
import type { LogRecord } from "./log-store";

/**
 * A service's log lines as Cloud Logging entries: what `logs read --format json` prints and what
 * --log-filter (log-filter.ts) matches. Request entries are the ingress's (one per request, in the
 * `run.googleapis.com/requests` log); a container's line is a `textPayload`, or, when it is a JSON
 * object, a `jsonPayload` whose special fields Cloud Run lifts into the entry (severity, message,
 * logging.googleapis.com/trace, /spanId, /labels, httpRequest, time).
 */

/** Cloud Logging's LogSeverity names, in order. */
export const SEVERITIES = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"] as const;
export type Severity = (typeof SEVERITIES)[number];
const SEVERITY_RANK = new Map<string, number>(SEVERITIES.map((name, i) => [name, i]));

/** A severity's rank (its index in SEVERITIES), or undefined for a name that is none. */
export function severityRank(name: string): number | undefined {
  return SEVERITY_RANK.get(name.toUpperCase());
}

/** Cloud Run's request log severity: ERROR for 5xx, WARNING for 4xx, INFO for the rest. */
export function severityOfStatus(status: number): Severity {
  return status >= 500 ? "ERROR" : status >= 400 ? "WARNING" : "INFO";
}

export interface LogEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: string;
  severity: string;
  labels: Record<string, string>;
  httpRequest?: HttpRequestFields;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  trace?: string;
  spanId?: string;
}

/** Whose log a read is: a service's (cloud_run_revision) or a job's (cloud_run_job). */
export interface LogOwner {
  project: string;
  /** The service, or the job. */
  name: string;
  kind: "service" | "job";
}

/** Whose log `logName` (a service's name, or jobLogName(job)) is. */
export function ownerOf(project: string, logName: string): LogOwner {
  return logName.startsWith("jobs/") ? { project, name: logName.slice(5), kind: "job" } : { project, name: logName, kind: "service" };
}

const LOG_NAMES: Record<LogRecord["stream"], string> = {
  request: "run.googleapis.com%2Frequests",
  stdout: "run.googleapis.com%2Fstdout",
  stderr: "run.googleapis.com%2Fstderr",
  engine: "run.googleapis.com%2Fvarlog%2Fsystem",
};

/** A kept record as the Cloud Logging entry Cloud Run would have written for it. */
export function toLogEntry(record: LogRecord, owner: LogOwner): LogEntry {
  const { project } = owner;
  const resource: LogEntry["resource"] =
    owner.kind === "service"
      ? { type: "cloud_run_revision", labels: { project_id: project, service_name: owner.name, revision_name: record.revision } }
      : { type: "cloud_run_job", labels: { project_id: project, job_name: owner.name } };
  const labels: Record<string, string> =
    owner.kind === "service"
      ? { instanceId: record.instance }
      : {
          "run.googleapis.com/execution_name": record.revision,
          "run.googleapis.com/task_index": String(record.task ?? 0),
          "run.googleapis.com/task_attempt": String(record.attempt ?? 0),
        };
  const entry: LogEntry = {
    logName: `projects/${project}/logs/${LOG_NAMES[record.stream] ?? LOG_NAMES.stdout}`,
    resource,
    timestamp: record.time,
    severity: record.severity ?? (record.stream === "engine" ? "INFO" : "DEFAULT"),
    labels,
  };
  if (record.httpRequest) {
    entry.httpRequest = record.httpRequest;
  } else {
    const structured = record.stream === "stdout" || record.stream === "stderr" ? parseStructured(record.text, project) : undefined;
    if (structured) Object.assign(entry, structured, { labels: { ...labels, ...structured.labels } });
    else entry.textPayload = record.text;
  }
  if (record.trace !== undefined) entry.trace = record.trace;
  if (record.spanId !== undefined) entry.spanId = record.spanId;
  return entry;
}

const TRACE_FIELD = "logging.googleapis.com/trace";
const SPAN_FIELD = "logging.googleapis.com/spanId";
const LABELS_FIELD = "logging.googleapis.com/labels";
/** Fields Cloud Run's agent takes out of a JSON line's payload (they become the entry's own). */
const LIFTED = new Set([
  TRACE_FIELD,
  SPAN_FIELD,
  LABELS_FIELD,
  "severity",
  "httpRequest",
  "time",
  "timestamp",
  "logging.googleapis.com/trace_sampled",
  "logging.googleapis.com/insertId",
  "logging.googleapis.com/sourceLocation",
]);

/**
 * A container's line that is one JSON object, read as Cloud Run's logging agent reads it: its
 * `severity` (any case; an unknown name is DEFAULT), `logging.googleapis.com/trace` (a bare trace
 * id becomes projects/<project>/traces/<id>), `/spanId`, `/labels` and `httpRequest` become the
 * entry's; the rest, `message` included, is the jsonPayload. Anything else is not structured.
 */
export function parseStructured(
  text: string,
  project: string,
): Pick<LogEntry, "jsonPayload" | "severity" | "trace" | "spanId" | "labels" | "httpRequest"> | undefined {
  if (text.charCodeAt(0) !== 123 /* { */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  const jsonPayload: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) if (!LIFTED.has(name)) jsonPayload[name] = value;
  const result: ReturnType<typeof parseStructured> = { jsonPayload, severity: "DEFAULT", labels: {} };
  if (typeof fields.severity === "string" && severityRank(fields.severity) !== undefined) result.severity = fields.severity.toUpperCase();
  const trace = fields[TRACE_FIELD];
  if (typeof trace === "string" && trace !== "")
    result.trace = trace.startsWith("projects/") ? trace : `projects/${project}/traces/${trace}`;
  if (typeof fields[SPAN_FIELD] === "string") result.spanId = fields[SPAN_FIELD];
  const labels = fields[LABELS_FIELD];
  if (typeof labels === "object" && labels !== null && !Array.isArray(labels)) {
    for (const [name, value] of Object.entries(labels)) if (typeof value === "string") result.labels![name] = value;
  }
  if (typeof fields.httpRequest === "object" && fields.httpRequest !== null) result.httpRequest = fields.httpRequest as HttpRequestFields;
  return result;
}
