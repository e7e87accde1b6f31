import { DEFAULT_REGION } from "../base/defaults";
import type { HttpRequestFields } from "./http-request";
import type { LogRecord } from "./log-store";
import { timeParts, type TimeParts } from "./log-time";

/**
 * A service's log lines as Cloud Logging entries: what `logs read --format json` prints and what
 * --log-filter (log-filter.ts) matches. Request entries are the ingress's (one per request, in the
 * `run.googleapis.com/requests` log); a container's line is a `textPayload`, or, when it is a JSON
 * object, a `jsonPayload` whose special fields Cloud Run lifts into the entry (parseStructured).
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
  receiveTimestamp: string;
  severity: string;
  labels: Record<string, string>;
  httpRequest?: HttpRequestFields;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  trace?: string;
  spanId?: string;
  traceSampled?: boolean;
  insertId?: string;
  operation?: Record<string, unknown>;
  sourceLocation?: Record<string, unknown>;
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
      ? {
          type: "cloud_run_revision",
          labels: {
            project_id: project,
            service_name: owner.name,
            revision_name: record.revision,
            configuration_name: owner.name,
            location: DEFAULT_REGION,
          },
        }
      : { type: "cloud_run_job", labels: { project_id: project, job_name: owner.name, location: DEFAULT_REGION } };
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
    // When the line reached the log (Docker's time); `timestamp` may be the line's own.
    receiveTimestamp: record.time,
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
  if (record.traceSampled === true) entry.traceSampled = true;
  return entry;
}

const TRACE_FIELD = "logging.googleapis.com/trace";
const SPAN_FIELD = "logging.googleapis.com/spanId";
const LABELS_FIELD = "logging.googleapis.com/labels";
const SAMPLED_FIELD = "logging.googleapis.com/trace_sampled";
const INSERT_ID_FIELD = "logging.googleapis.com/insertId";
const OPERATION_FIELD = "logging.googleapis.com/operation";
const SOURCE_FIELD = "logging.googleapis.com/sourceLocation";
/** Fields Cloud Run's agent takes out of a JSON line's payload (they become the entry's own). */
const LIFTED = new Set([
  TRACE_FIELD,
  SPAN_FIELD,
  LABELS_FIELD,
  SAMPLED_FIELD,
  INSERT_ID_FIELD,
  OPERATION_FIELD,
  SOURCE_FIELD,
  "severity",
  "httpRequest",
  "time",
  "timestamp",
  "timestampSeconds",
  "timestampNanos",
]);

type Structured = { timestamp?: string } & Pick<
  LogEntry,
  "jsonPayload" | "severity" | "trace" | "spanId" | "labels" | "httpRequest" | "traceSampled" | "insertId" | "operation" | "sourceLocation"
>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A container's line that is one JSON object, read as Cloud Run's logging agent reads it (Cloud
 * Logging's "special JSON fields"): `severity` (any case; an unknown name is DEFAULT),
 * `logging.googleapis.com/trace` (a bare trace id becomes projects/<project>/traces/<id>), `/spanId`,
 * `/trace_sampled`, `/labels`, `/insertId`, `/operation`, `/sourceLocation`, `httpRequest`, and the
 * time (`timestamp` as {seconds, nanos} or text, `timestampSeconds` with `timestampNanos`, or `time`)
 * become the entry's and leave the payload; the rest, `message` included, is the jsonPayload.
 * Anything else (not JSON, or JSON that is not an object) is not structured: a textPayload.
 */
export function parseStructured(text: string, project: string): Structured | undefined {
  if (text.charCodeAt(0) !== 123 /* { */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const fields = parsed;
  const jsonPayload: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) if (!LIFTED.has(name)) jsonPayload[name] = value;
  const result: Structured = { jsonPayload, severity: "DEFAULT", labels: {} };
  if (typeof fields.severity === "string" && severityRank(fields.severity) !== undefined) result.severity = fields.severity.toUpperCase();
  const trace = fields[TRACE_FIELD];
  if (typeof trace === "string" && trace !== "")
    result.trace = trace.startsWith("projects/") ? trace : `projects/${project}/traces/${trace}`;
  if (typeof fields[SPAN_FIELD] === "string") result.spanId = fields[SPAN_FIELD];
  if (typeof fields[SAMPLED_FIELD] === "boolean") result.traceSampled = fields[SAMPLED_FIELD];
  if (typeof fields[INSERT_ID_FIELD] === "string") result.insertId = fields[INSERT_ID_FIELD];
  if (isObject(fields[OPERATION_FIELD])) result.operation = fields[OPERATION_FIELD];
  if (isObject(fields[SOURCE_FIELD])) result.sourceLocation = fields[SOURCE_FIELD];
  const labels = fields[LABELS_FIELD];
  if (isObject(labels)) for (const [name, value] of Object.entries(labels)) if (typeof value === "string") result.labels![name] = value;
  if (isObject(fields.httpRequest)) result.httpRequest = fields.httpRequest as unknown as HttpRequestFields;
  const time = timeOfLine(fields);
  // Date's range (±8.64e15 ms): a line's wild number stays in the payload's past, not an error.
  if (time !== undefined && Math.abs(time[0]) <= 8.64e15) result.timestamp = isoTime(time);
  return result;
}

/** The line's own time, as Cloud Logging's agent reads it; undefined when it has none (the entry keeps Docker's). */
function timeOfLine(fields: Record<string, unknown>): TimeParts | undefined {
  const { timestamp, timestampSeconds, timestampNanos, time } = fields;
  if (isObject(timestamp)) return fromSeconds(timestamp.seconds, timestamp.nanos);
  if (typeof timestamp === "string") return timeParts(timestamp);
  if (timestampSeconds !== undefined) return fromSeconds(timestampSeconds, timestampNanos);
  return typeof time === "string" ? timeParts(time) : undefined;
}

function fromSeconds(seconds: unknown, nanos: unknown): TimeParts | undefined {
  const s = Number(seconds);
  const n = nanos === undefined ? 0 : Number(nanos);
  if (!Number.isInteger(s) || !Number.isInteger(n) || n < 0 || n >= 1e9) return undefined;
  return [s * 1000 + Math.floor(n / 1e6), n % 1e6];
}

/** A time as Cloud Logging writes one: UTC ("Z"), with 3 or 9 digits of fraction. */
function isoTime([ms, subMsNanos]: TimeParts): string {
  const iso = new Date(ms).toISOString();
  return subMsNanos === 0 ? iso : `${iso.slice(0, -1)}${String(subMsNanos).padStart(6, "0")}Z`;
}
