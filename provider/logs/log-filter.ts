import { invalid } from "../model/errors";
import { SEVERITIES, severityRank, toLogEntry, type LogEntry, type LogOwner } from "./log-entry";
import { parseRecord, type LogRecord } from "./log-store";
import { timeOrder, timeParts } from "./log-time";

/**
 * The part of Cloud Logging's query language `logs read --log-filter` takes:
 *
 *   httpRequest.status>=500   severity>=WARNING   httpRequest.requestMethod="POST"
 *   trace:"4bf92f35"   textPayload:timeout   httpRequest:*   timestamp>="2026-12-07T05:00:00Z"
 *   labels."run.googleapis.com/execution_name"=job-abc   textPayload=~"^GET /\d+"   log_id("run.googleapis.com/stderr")
 *   (severity>=ERROR OR httpRequest.status>=500) AND NOT resource.labels.revision_name=svc-00001-abc
 *
 * Comparisons are joined by AND (or by a space), OR, and parentheses, and negated with NOT or "-".
 * As in Cloud Logging, NOT binds tightest, then OR, then AND: `a AND b OR c` is `a AND (b OR c)`.
 * A field is a dotted path into the entry (log-entry.ts); a segment with other characters is quoted.
 * Operators: = != < <= > >= (text without regard to case, as Cloud Logging compares it), ":" (has:
 * a substring, without regard to case; `:*` is "present"), =~ and !~ (a regular expression, with
 * regard to case). Severities compare by rank, timestamps as times, values that are both numbers
 * (sizes, status, a latency like "0.2s") by number. Free text and value lists (`a=("x" OR "y")`)
 * are not taken: the error says so, rather than a read that shows the wrong lines.
 */
export type LogFilter = (entry: LogEntry) => boolean;

type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":" | "=~" | "!~";

const SEGMENT = String.raw`(?:[A-Za-z_]\w*|"(?:[^"\\]|\\.)*")`;
const QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;
/** One token: a keyword, a parenthesis, or a whole comparison (optionally after "-"); else one character it cannot read. */
const TOKEN = new RegExp(
  String.raw`\s*(?:(NOT|AND|OR)(?=[\s(-]|$)|([()])|(-)?([A-Za-z_]\w*)\(([^()"]*|\s*${QUOTED}\s*)\)|(-)?(${SEGMENT}(?:\.${SEGMENT})*)\s*(=~|!~|>=|<=|!=|=|<|>|:)\s*(${QUOTED}|\(|[^\s()"]+)|(${QUOTED}|\S+))`,
  "y",
);
const NUMBER = /^-?\d+(?:\.\d+)?s?$/;
const TIME_FIELDS = new Set(["timestamp", "receiveTimestamp"]);

type Token =
  | { kind: "keyword"; word: "NOT" | "AND" | "OR" }
  | { kind: "paren"; open: boolean }
  | { kind: "comparison"; filter: LogFilter; negated: boolean };

/** The filter's predicate; a user error naming --log-filter and the reason when it is not in the subset. */
export function parseLogFilter(text: string): LogFilter {
  const tokens = tokenize(text);
  if (!tokens.some((token) => token.kind === "comparison")) throw invalid("--log-filter", "no comparison in the filter");
  let at = 0;
  const peek = (): Token | undefined => tokens[at];

  // AND binds loosest: a conjunction of disjunctions; a space between two terms is an AND.
  function conjunction(): LogFilter {
    const terms = [disjunction()];
    for (let next = peek(); next && !(next.kind === "paren" && !next.open); next = peek()) {
      if (next.kind === "keyword" && next.word === "AND") at++;
      terms.push(disjunction());
    }
    return terms.length === 1 ? terms[0] : (entry) => terms.every((term) => term(entry));
  }

  function disjunction(): LogFilter {
    const terms = [unary()];
    for (let next = peek(); next?.kind === "keyword" && next.word === "OR"; next = peek()) {
      at++;
      terms.push(unary());
    }
    return terms.length === 1 ? terms[0] : (entry) => terms.some((term) => term(entry));
  }

  function unary(): LogFilter {
    const token = tokens[at++];
    if (token === undefined) throw invalid("--log-filter", "the filter ends where a comparison was expected");
    if (token.kind === "keyword") {
      if (token.word !== "NOT") throw invalid("--log-filter", `${token.word} where a comparison was expected`);
      const inner = unary();
      return (entry) => !inner(entry);
    }
    if (token.kind === "paren") {
      if (!token.open) throw invalid("--log-filter", '")" where a comparison was expected');
      const inner = conjunction();
      if (tokens[at++]?.kind !== "paren") throw invalid("--log-filter", 'a "(" is not closed');
      return inner;
    }
    const { filter, negated } = token;
    return negated ? (entry) => !filter(entry) : filter;
  }

  const filter = conjunction();
  if (at < tokens.length) throw invalid("--log-filter", 'a ")" has no "(" before it');
  return filter;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) break; // only white space is left
    const [, keyword, paren, callMinus, call, callArgument, minus, field, op, rawValue, other] = match;
    if (keyword !== undefined) tokens.push({ kind: "keyword", word: keyword as "NOT" | "AND" | "OR" });
    else if (paren !== undefined) tokens.push({ kind: "paren", open: paren === "(" });
    else if (call !== undefined) tokens.push({ kind: "comparison", filter: functionOf(call, callArgument), negated: callMinus === "-" });
    else if (other !== undefined) {
      const rest = text.slice(at).trim();
      throw invalid(
        "--log-filter",
        `free text ("${other.replace(/^"|"$/g, "")}") is not supported: name a field, as in textPayload:${other} (at "${rest}")`,
      );
    } else {
      if (rawValue === "(")
        throw invalid("--log-filter", `a list of values (${field}${op}(...)) is not supported: join comparisons with OR`);
      const comparison = comparisonOf(field, op as Operator, rawValue);
      tokens.push({ kind: "comparison", filter: comparison, negated: minus === "-" });
    }
  }
  return tokens;
}

/**
 * log_id("run.googleapis.com/requests"): the entry is in that log (its logName ends in the log id,
 * URL-encoded), as Cloud Run's docs write their queries. Cloud Logging's other functions are refused.
 */
function functionOf(name: string, rawArguments: string): LogFilter {
  if (name !== "log_id") throw invalid("--log-filter", `the function ${name}() is not supported (log_id("LOG") is)`);
  const rawArgument = rawArguments.trim();
  if (!rawArgument.startsWith('"'))
    throw invalid("--log-filter", 'log_id() takes the log\'s id in quotes: log_id("run.googleapis.com/requests")');
  const suffix = `/logs/${encodeURIComponent(unquote(rawArgument, false))}`;
  return (entry) => entry.logName.endsWith(suffix);
}

/** A quoted segment or value without its quotes; a regular expression keeps its backslashes (but \" is a quote). */
function unquote(raw: string, regex: boolean): string {
  if (!raw.startsWith('"')) return raw;
  const body = raw.slice(1, -1);
  return regex ? body.replace(/\\"/g, '"') : body.replace(/\\(.)/g, "$1");
}

function comparisonOf(field: string, op: Operator, rawValue: string): LogFilter {
  const path = (field.match(new RegExp(SEGMENT, "g")) ?? []).map((segment) => unquote(segment, false));
  const value = unquote(rawValue, op === "=~" || op === "!~");
  if (value === "*" && op !== ":") throw invalid("--log-filter", `"*" only means "present" after ":" (${field}:*)`);
  if (op === ":" && value === "*") return (entry) => lookup(entry, path) !== undefined;
  if (op === "=~" || op === "!~") {
    let pattern: RegExp;
    try {
      pattern = new RegExp(value);
    } catch (error) {
      throw invalid("--log-filter", `"${value}" is not a regular expression: ${(error as Error).message}`);
    }
    return (entry) => {
      const actual = lookup(entry, path);
      if (actual === undefined || actual === null) return op === "!~";
      return pattern.test(textOf(actual)) === (op === "=~");
    };
  }
  if (op === ":") {
    const needle = value.toLowerCase();
    return (entry) => {
      const actual = lookup(entry, path);
      return actual !== undefined && actual !== null && textOf(actual).toLowerCase().includes(needle);
    };
  }
  const order = orderFor(path, field, value);
  return (entry) => {
    const actual = lookup(entry, path);
    const result = actual === undefined || actual === null || typeof actual === "object" ? undefined : order(actual);
    return result === undefined ? op === "!=" : holds(op, result);
  };
}

/** How an entry's value orders against the expected one: undefined when they cannot be compared. */
function orderFor(path: string[], field: string, expected: string): (actual: unknown) => number | undefined {
  if (path.length === 1 && path[0] === "severity") {
    const rank = severityRank(expected);
    if (rank === undefined) throw invalid("--log-filter", `"${expected}" is not a severity (${SEVERITIES.join(", ")})`);
    return (actual) => {
      const a = severityRank(String(actual));
      return a === undefined ? undefined : a - rank;
    };
  }
  if (path.length === 1 && TIME_FIELDS.has(path[0])) {
    const time = timeParts(expected);
    if (time === undefined) throw invalid("--log-filter", `"${expected}" is not a time for ${field} (RFC 3339: 2026-12-07T05:00:00Z)`);
    return (actual) => {
      const a = timeParts(String(actual));
      return a === undefined ? undefined : timeOrder(a, time);
    };
  }
  const number = NUMBER.test(expected) ? parseFloat(expected) : undefined;
  const folded = expected.toLowerCase();
  return (actual) => {
    const text = String(actual);
    if (number !== undefined && NUMBER.test(text)) return parseFloat(text) - number;
    const a = text.toLowerCase();
    return a < folded ? -1 : a > folded ? 1 : 0;
  };
}

function holds(op: Operator, order: number): boolean {
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
    default:
      return order >= 0;
  }
}

function textOf(value: unknown): string {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function lookup(entry: LogEntry, path: string[]): unknown {
  let value: unknown = entry;
  for (const name of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
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
