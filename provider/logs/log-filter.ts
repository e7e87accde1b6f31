import { invalid } from "../model/errors";
import { SEVERITIES, severityRank, toLogEntry, type LogEntry, type LogOwner } from "./log-entry";
import { parseRecord, type LogRecord } from "./log-store";

/**
 * The part of Cloud Logging's query language `logs read --log-filter` takes: comparisons joined by
 * AND (or by a space, as Cloud Logging allows), each optionally negated with NOT or "-":
 *
 *   httpRequest.status>=500   severity>=WARNING   httpRequest.requestMethod="POST"
 *   trace:"4bf92f35"   textPayload:timeout   httpRequest:*   NOT httpRequest.status=200
 *
 * A field is a dotted path into the entry (log-entry.ts). Operators: = != < <= > >= and ":" (has:
 * a substring, without regard to case; `:*` is "present"). Severities compare by rank, values
 * that are both numbers (sizes, status, a latency like "0.2s") by number, the rest as text. OR,
 * parentheses and free text are not taken: the error says so, rather than a read that shows the
 * wrong lines.
 */
export type LogFilter = (entry: LogEntry) => boolean;

type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":";

interface Comparison {
  path: string[];
  op: Operator;
  value: string;
  negated: boolean;
}

const TOKEN = /\s*(?:(NOT|AND|OR)(?=[\s(-]|$)|(-)?([A-Za-z_][\w.]*)\s*(>=|<=|!=|=|<|>|:)\s*("(?:[^"\\]|\\.)*"|[^\s()"]+)|(\S))/y;
const NUMBER = /^-?\d+(?:\.\d+)?s?$/;

/** The filter's predicate; a user error naming --log-filter and the reason when it is not in the subset. */
export function parseLogFilter(text: string): LogFilter {
  const comparisons: Comparison[] = [];
  let negateNext = false;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) {
      if (text.slice(at).trim() === "") break;
      throw invalid("--log-filter", `cannot read "${text.slice(at).trim()}"`);
    }
    const [, keyword, minus, field, op, rawValue, other] = match;
    if (keyword === "OR") throw invalid("--log-filter", "OR is not supported: comparisons are joined by AND");
    if (keyword === "NOT") {
      negateNext = !negateNext;
      continue;
    }
    if (keyword === "AND") continue;
    if (other !== undefined) {
      const reason =
        other === "(" || other === ")" ? "parentheses are not supported" : `expected FIELD OPERATOR VALUE at "${text.slice(at).trim()}"`;
      throw invalid("--log-filter", reason);
    }
    let value = rawValue;
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    if (field === "severity" && op !== ":" && severityRank(value) === undefined)
      throw invalid("--log-filter", `"${value}" is not a severity (${SEVERITIES.join(", ")})`);
    if (value === "*" && op !== ":") throw invalid("--log-filter", `"*" only means "present" after ":" (${field}:*)`);
    comparisons.push({ path: field.split("."), op: op as Operator, value, negated: negateNext !== (minus === "-") });
    negateNext = false;
  }
  if (comparisons.length === 0) throw invalid("--log-filter", "no comparison in the filter");
  return (entry) => comparisons.every((c) => matches(entry, c) !== c.negated);
}

export type RecordFilter = (record: LogRecord) => boolean;

/** A filter over kept records: each is matched as the Cloud Logging entry it is shown as. */
export function recordFilter(filter: string, owner: LogOwner): RecordFilter {
  const matches = parseLogFilter(filter);
  return (record) => matches(toLogEntry(record, owner));
}

/** The same over lines as kept (JSON text); a line that is not one is left out. */
export function keptFilter(wanted: RecordFilter): (line: string) => boolean {
  return (line) => {
    const record = parseRecord(line);
    return record !== undefined && wanted(record);
  };
}

function lookup(entry: LogEntry, path: string[]): unknown {
  let value: unknown = entry;
  for (const name of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

function matches(entry: LogEntry, { path, op, value }: Comparison): boolean {
  const actual = lookup(entry, path);
  if (op === ":" && value === "*") return actual !== undefined;
  if (actual === undefined || actual === null) return op === "!=";
  if (op === ":") {
    const text = typeof actual === "object" ? JSON.stringify(actual) : String(actual);
    return text.toLowerCase().includes(value.toLowerCase());
  }
  const order = compare(path, actual, value);
  if (order === undefined) return op === "!=";
  switch (op) {
    case "=":
      return order === 0;
    case "!=":
      return order !== 0;
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
  }
}

/** actual against expected: severities by rank, numbers by value, text as text; undefined: not comparable. */
function compare(path: string[], actual: unknown, expected: string): number | undefined {
  if (path.length === 1 && path[0] === "severity") {
    const a = severityRank(String(actual));
    const b = severityRank(expected);
    return a === undefined || b === undefined ? undefined : a - b;
  }
  if (typeof actual === "object") return undefined;
  const text = String(actual);
  if (NUMBER.test(text) && NUMBER.test(expected)) return parseFloat(text) - parseFloat(expected);
  return text < expected ? -1 : text > expected ? 1 : 0;
}
