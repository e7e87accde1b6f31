import { Option, type Command } from "commander";
import { pick } from "./formats";
import { intFlag } from "./flags";
import { UsageError } from "./output";
import { plainObject } from "./gcloud-attributes";

/**
 * gcloud's flags of every list command: `--filter EXPR`, `--sort-by [~]FIELD,...`, `--limit N`
 * (and `--page-size`, which means nothing here). They read the objects `--format json` prints
 * (Knative or Cloud Run objects: `metadata.name`, `status.url`, ...), so a script's
 * `gcloud run revisions list --service S --sort-by ~metadata.creationTimestamp --limit 1
 * --format 'value(metadata.name)'` works as it is.
 *
 * The filter is gcloud's language in the part scripts use: terms `KEY:VALUE` (has: case-insensitive
 * substring; `KEY:*` exists), `KEY=VALUE`, `KEY!=VALUE`, `KEY<VALUE` (and <=, >, >=: numbers as
 * numbers, other values as text, so timestamps compare), `KEY~REGEX`, `KEY!~REGEX`; values bare or
 * quoted; terms joined by AND (also by a space), OR, NOT (or a leading -) and parentheses. A key
 * that passes through a list matches when any of its elements does. A key's names are quoted where
 * they hold dots or slashes: `metadata.labels.'serving.knative.dev/service'=web`.
 */
export function withListFlags(command: Command): Command {
  return command
    .option("--filter <expression>", "only the items that match, in gcloud's filter language (e.g. metadata.name:web)")
    .option("--sort-by <fields>", "sort by these fields (comma-separated; ~FIELD for descending)")
    .option("--limit <n>", "at most N items (after --filter and --sort-by)", intFlag("--limit"))
    .addOption(new Option("--page-size <n>", "accepted for gcloud compatibility; lists are not paged here").hideHelp());
}

export interface ListFlags {
  filter?: string;
  sortBy?: string;
  limit?: number;
  uri?: boolean;
}

/**
 * gcloud's `--uri`: each item's endpoint followed by its metadata.selfLink, one per line, instead
 * of the format (command_lib/run/commands.py, _GetResourceUri). Returns whether it printed them.
 */
export const URI_HELP = "print each item's URI in the engine's API (its endpoint and metadata.selfLink), one per line";

export function printedUris(objects: readonly unknown[], flags: ListFlags, apiPort: number): boolean {
  if (flags.uri !== true) return false;
  for (const object of objects) {
    const link = String(pick(object, "metadata.selfLink") ?? "").replace(/^\/+/, "");
    process.stdout.write(`http://127.0.0.1:${apiPort}/${link}\n`);
  }
  return true;
}

/** The items the list flags keep, in their order, with the objects they were read from (what --format prints). */
export function listed<T>(items: readonly T[], toObject: (item: T) => unknown, flags: ListFlags): { items: T[]; objects: unknown[] } {
  const matches = flags.filter !== undefined && flags.filter.trim() !== "" ? parseFilter(flags.filter) : () => true;
  // The filter sees the object's own keys, as gcloud's does; --sort-by and the column formats also
  // the wrapper's attributes (gcloud-attributes.ts).
  let rows = items.map((item) => ({ item, object: toObject(item) })).filter((row) => matches(plainObject(row.object)));
  if (flags.sortBy !== undefined) {
    const keys = flags.sortBy
      .split(",")
      .map((field) => field.trim())
      .filter((field) => field !== "")
      .map((field) => (field.startsWith("~") ? { path: field.slice(1), sign: -1 } : { path: field, sign: 1 }));
    rows = [...rows].sort((a, b) => {
      for (const { path, sign } of keys) {
        const order = compareValues(first(pick(a.object, path)), first(pick(b.object, path)));
        if (order !== 0) return order * sign;
      }
      return 0;
    });
  }
  if (flags.limit !== undefined) {
    if (flags.limit < 0) throw new UsageError(`--limit: must be 0 or more, got ${flags.limit}`);
    rows = rows.slice(0, flags.limit);
  }
  return { items: rows.map((row) => row.item), objects: rows.map((row) => row.object) };
}

type Predicate = (object: unknown) => boolean;

const OPERATORS = ["!=", "<=", ">=", "!~", ":", "=", "<", ">", "~"] as const;
type Operator = (typeof OPERATORS)[number];

/** A filter expression as a predicate; a malformed one is a usage error naming --filter and where. */
export function parseFilter(text: string): Predicate {
  let at = 0;
  const fail = (why: string): never => {
    throw new UsageError(`--filter: ${why} at position ${at + 1} of "${text}"`);
  };
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  /** Whether `word` comes next as a word of its own (followed by a space or a parenthesis). */
  const peek = (word: string): boolean =>
    text.startsWith(word, at) && (at + word.length === text.length || /[\s(]/.test(text[at + word.length]));
  const keyword = (word: string): boolean => {
    skipSpace();
    if (!peek(word)) return false;
    at += word.length;
    return true;
  };

  const or = (): Predicate => {
    const parts = [and()];
    while (keyword("OR")) parts.push(and());
    return parts.length === 1 ? parts[0] : (object) => parts.some((p) => p(object));
  };
  const and = (): Predicate => {
    const parts = [unary()];
    for (;;) {
      skipSpace();
      if (at >= text.length || text[at] === ")" || peek("OR")) break;
      keyword("AND");
      parts.push(unary());
    }
    return parts.length === 1 ? parts[0] : (object) => parts.every((p) => p(object));
  };
  const unary = (): Predicate => {
    skipSpace();
    if (keyword("NOT") || (text[at] === "-" && ++at)) {
      const inner = unary();
      return (object) => !inner(object);
    }
    if (text[at] === "(") {
      at++;
      const inner = or();
      skipSpace();
      if (text[at] !== ")") fail("expected )");
      at++;
      return inner;
    }
    return term();
  };
  const term = (): Predicate => {
    skipSpace();
    const keyStart = at;
    // A key's names may be quoted, as in gcloud: metadata.labels.'serving.knative.dev/service'.
    while (at < text.length && (/[\w.\-/[\]]/.test(text[at]) || text[at] === "'" || text[at] === '"')) {
      const quote = text[at];
      if (quote === "'" || quote === '"') {
        const end = text.indexOf(quote, at + 1);
        if (end < 0) fail("unterminated quote");
        at = end + 1;
      } else at++;
    }
    const key = text.slice(keyStart, at);
    if (key === "") fail("expected a field name");
    skipSpace();
    const operator = OPERATORS.find((op) => text.startsWith(op, at));
    if (operator === undefined) return fail(`expected an operator (${OPERATORS.join(" ")}) after ${key}`);
    at += operator.length;
    skipSpace();
    return termPredicate(key, operator, value(), fail);
  };
  const value = (): string => {
    const quote = text[at];
    if (quote === '"' || quote === "'") {
      const end = text.indexOf(quote, at + 1);
      if (end < 0) fail("unterminated quote");
      const quoted = text.slice(at + 1, end);
      at = end + 1;
      return quoted;
    }
    const start = at;
    while (at < text.length && !/[\s)]/.test(text[at])) at++;
    if (at === start) fail("expected a value");
    return text.slice(start, at);
  };

  const predicate = or();
  skipSpace();
  if (at < text.length) fail(`unexpected "${text.slice(at)}"`);
  return predicate;
}

function termPredicate(key: string, operator: Operator, wanted: string, fail: (why: string) => never): Predicate {
  let matchOne: (value: unknown) => boolean;
  switch (operator) {
    case ":": {
      const needle = wanted.toLowerCase();
      matchOne = wanted === "*" ? (v) => v !== undefined && v !== null && v !== "" : (v) => textOf(v).toLowerCase().includes(needle);
      break;
    }
    case "=":
    case "!=":
      matchOne = (v) => compareValues(v, wanted) === 0;
      break;
    case "<":
      matchOne = (v) => v !== undefined && compareValues(v, wanted) < 0;
      break;
    case "<=":
      matchOne = (v) => v !== undefined && compareValues(v, wanted) <= 0;
      break;
    case ">":
      matchOne = (v) => v !== undefined && compareValues(v, wanted) > 0;
      break;
    case ">=":
      matchOne = (v) => v !== undefined && compareValues(v, wanted) >= 0;
      break;
    case "~":
    case "!~": {
      let pattern: RegExp;
      try {
        pattern = new RegExp(wanted);
      } catch (error) {
        return fail(`"${wanted}" is not a regular expression (${(error as Error).message})`);
      }
      matchOne = (v) => v !== undefined && pattern.test(textOf(v));
      break;
    }
  }
  const negated = operator === "!=" || operator === "!~";
  return (object) => {
    const any = flat(pick(object, key)).some(matchOne);
    return negated ? !any : any;
  };
}

/** Numbers (and numeric text) as numbers, anything else as text; missing values sort last. */
function compareValues(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  const x = textOf(a);
  const y = textOf(b);
  if (x.trim() !== "" && y.trim() !== "" && Number.isFinite(Number(x)) && Number.isFinite(Number(y))) return Number(x) - Number(y);
  return x < y ? -1 : x > y ? 1 : 0;
}

function textOf(value: unknown): string {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

function flat(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value];
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? flat(value)[0] : value;
}
