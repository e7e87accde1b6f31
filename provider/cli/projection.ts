import { UsageError } from "./output";

/**
 * gcloud's resource keys and projections (`gcloud topic resource-keys`, `gcloud topic projections`),
 * the part scripts use: a key is dotted names (`status.url`), list indexes (`conditions[0]`,
 * `traffic[-1]` from the end), slices (`traffic[].percent`, or `traffic.percent`: every item's),
 * quoted names for keys with dots or slashes (`metadata.annotations.'run.googleapis.com/ingress'`,
 * or `annotations['run.googleapis.com/ingress']`), then transforms (`status.url.basename()`), then
 * attributes (`metadata.name:label=SERVICE`). A name is also found in snake_case
 * (`status.latest_ready_revision_name`), and, beyond gcloud, unquoted: a run of names matches a key
 * with dots in it (`metadata.annotations.run.googleapis.com/ingress`).
 */

/** A key's parts: a name, a list index (negative: from the end), or null for a slice (`[]`). */
export type KeyPart = string | number | null;

export interface Transform {
  name: string;
  args: string[];
}

/** One projection key with what the format does with it. */
export interface Column {
  key: KeyPart[];
  transforms: Transform[];
  /** The table's heading (csv's, lowercased): `:label=`, else the key's last names in ANGRY_SNAKE_CASE. */
  label: string;
  /** `:sort=N` (tables sort by it), `:reverse`. */
  sort?: number;
  reverse?: boolean;
}

/** A format expression: NAME[ATTRIBUTES](PROJECTION). */
export interface FormatExpression {
  name: string;
  attributes: Record<string, string | boolean>;
  /** Undefined when the expression has no (...). */
  columns?: Column[];
}

/** Characters that end an unquoted name (gcloud's reserved operator characters, less `/`, `-`, `@`). */
const RESERVED = new Set(":=!<>~()[].{},+*%&|^#;?");

class Lexer {
  at = 0;
  constructor(
    readonly text: string,
    readonly what: string,
  ) {}

  fail(why: string): never {
    throw new UsageError(`${this.what}: ${why} at position ${this.at + 1} of "${this.text}"`);
  }
  end(): boolean {
    return this.at >= this.text.length;
  }
  peek(): string {
    return this.text[this.at] ?? "";
  }
  skipSpace(): void {
    while (!this.end() && /\s/.test(this.peek())) this.at++;
  }
  take(char: string): boolean {
    if (this.peek() !== char) return false;
    this.at++;
    return true;
  }

  /**
   * A token: unquoted characters up to a space or one of `stop`, with quoted parts (either quote,
   * backslash escapes inside) taken as they are. Undefined when there is none.
   */
  token(stop: (c: string) => boolean): { text: string; quoted: boolean } | undefined {
    let text: string | undefined;
    let quoted = false;
    while (!this.end()) {
      const c = this.peek();
      if (c === "'" || c === '"') {
        quoted = true;
        text ??= "";
        this.at++;
        while (!this.end() && this.peek() !== c) {
          if (this.peek() === "\\" && this.at + 1 < this.text.length) this.at++;
          text += this.text[this.at++];
        }
        if (!this.take(c)) this.fail(`unterminated ${c} quote`);
        continue;
      }
      if (/\s/.test(c) || stop(c)) break;
      text = (text ?? "") + c;
      this.at++;
    }
    return text === undefined ? undefined : { text, quoted };
  }

  /** A key with its transforms: `a.b[0].c.basename().join(",")`. */
  keyWithTransforms(): { key: KeyPart[]; transforms: Transform[] } {
    const key: KeyPart[] = [];
    const transforms: Transform[] = [];
    for (;;) {
      const name = this.token((c) => RESERVED.has(c));
      if (name !== undefined && name.text !== "") {
        if (!name.quoted && this.peek() === "(") {
          this.at++;
          transforms.push({ name: name.text, args: this.args() });
        } else if (transforms.length > 0) {
          this.fail(`a transform such as ${transforms[0].name}() ends the key; "${name.text}" follows it`);
        } else key.push(name.text);
      } else if (this.peek() !== "[") this.fail("expected a field name");
      while (this.take("[")) {
        if (transforms.length > 0) this.fail("an index cannot follow a transform");
        const index = this.token((c) => c === "]");
        if (!this.take("]")) this.fail("expected ]");
        if (index === undefined) key.push(null);
        else if (!index.quoted && /^-?\d+$/.test(index.text)) key.push(Number(index.text));
        else key.push(index.text);
      }
      if (!this.take(".")) break;
    }
    return { key, transforms };
  }

  /** A transform's arguments, after its `(`, through its `)`. */
  args(): string[] {
    const args: string[] = [];
    this.skipSpace();
    if (this.take(")")) return args;
    for (;;) {
      this.skipSpace();
      args.push(this.token((c) => c === "," || c === ")")?.text ?? "");
      this.skipSpace();
      if (this.take(")")) return args;
      if (!this.take(",")) this.fail("expected , or ) in a transform's arguments");
    }
  }
}

/** A key as a --filter, --sort-by or a transform names it; a malformed one is a usage error naming `what`. */
export function parseKey(text: string, what = "--format"): KeyPart[] {
  const lex = new Lexer(text, what);
  lex.skipSpace();
  const { key, transforms } = lex.keyWithTransforms();
  lex.skipSpace();
  if (transforms.length > 0 || !lex.end()) lex.fail(`unexpected "${text.slice(lex.at)}" after the key`);
  return key;
}

const cache = new Map<string, KeyPart[]>();

/**
 * The value at a key (`status.url`, `spec.template.spec.containers[0].image`, `status.traffic.tag`:
 * each item's), undefined where there is none. `path` is a key's text or its parts.
 */
export function pick(object: unknown, path: string | KeyPart[]): unknown {
  let key: KeyPart[];
  if (typeof path === "string") {
    key = cache.get(path) ?? parseKey(path, "key");
    cache.set(path, key);
  } else key = path;
  return pickParts(object, key);
}

function pickParts(at: unknown, parts: KeyPart[]): unknown {
  if (parts.length === 0 || at === undefined || at === null) return at;
  const [part, ...rest] = parts;
  if (part === null) {
    if (Array.isArray(at)) return at.map((item) => pickParts(item, rest));
    if (typeof at === "object") return rest.length === 0 ? at : Object.values(at).map((v) => pickParts(v, rest));
    return undefined;
  }
  if (typeof part === "number") {
    if (!Array.isArray(at)) return undefined;
    const index = part < 0 ? at.length + part : part;
    return index >= 0 && index < at.length ? pickParts(at[index], rest) : undefined;
  }
  if (Array.isArray(at)) {
    // A name through a list: each item's, when the first item has it; else (gcloud's rule) the
    // items' own values of that name that are set, or nothing.
    const first: unknown = at[0];
    if (first === undefined || !isRecord(first) || hasName(first, parts)) return at.map((item) => pickParts(item, parts));
    const set = at.map((item) => (isRecord(item) ? item[part] : undefined)).filter((v) => !isEmpty(v));
    return set.length > 0 ? set : undefined;
  }
  if (typeof at !== "object") return undefined;
  const record = at as Record<string, unknown>;
  // The longest run of names that is a key (annotations such as run.googleapis.com/ingress), as written or in camelCase.
  const names = parts.findIndex((p) => typeof p !== "string");
  const run = (names < 0 ? parts : parts.slice(0, names)) as string[];
  for (let n = run.length; n >= 1; n--) {
    const joined = run.slice(0, n).join(".");
    for (const candidate of n === 1 ? [joined, camelCase(joined)] : [joined]) {
      if (Object.prototype.hasOwnProperty.call(record, candidate)) return pickParts(record[candidate], parts.slice(n));
    }
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether a record has the key's first name (or a run of its names with dots in it). */
function hasName(record: Record<string, unknown>, parts: KeyPart[]): boolean {
  const names = parts.findIndex((p) => typeof p !== "string");
  const run = (names < 0 ? parts : parts.slice(0, names)) as string[];
  for (let n = run.length; n >= 1; n--) {
    const joined = run.slice(0, n).join(".");
    if (
      Object.prototype.hasOwnProperty.call(record, joined) ||
      (n === 1 && Object.prototype.hasOwnProperty.call(record, camelCase(joined)))
    )
      return true;
  }
  return false;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

type Args = Record<string, string | undefined>;

/**
 * The transforms skiff knows (gcloud's, as `gcloud topic projections` describes them), by name,
 * each with its parameters' names in order: arguments are given by position or as `name=value`.
 */
const TRANSFORMS: Record<string, { params: string[]; apply: (value: unknown, a: Args) => unknown }> = {
  basename: { params: ["undefined"], apply: (v, a) => baseName(v, a.undefined ?? "") },
  date: {
    params: ["format", "unit", "undefined", "tz", "tz_default"],
    apply: (v, a) => formatDate(v, a.format ?? "%Y-%m-%dT%H:%M:%S", Number(a.unit ?? 1), a.tz) ?? a.undefined ?? "",
  },
  join: {
    params: ["sep", "undefined"],
    apply: (v, a) => {
      const parts = typeof v === "string" ? [...v] : Array.isArray(v) ? v.map((x) => pythonText(x)) : undefined;
      return (parts && parts.join(a.sep ?? "/")) || (a.undefined ?? "");
    },
  },
  len: {
    params: [],
    apply: (v) => (typeof v === "string" || Array.isArray(v) ? v.length : v && typeof v === "object" ? Object.keys(v).length : 0),
  },
  list: {
    params: ["show", "undefined", "separator"],
    apply: (v, a) => {
      const separator = a.separator ?? ",";
      if (Array.isArray(v)) return v.map((x) => pythonText(x)).join(separator);
      if (v && typeof v === "object") {
        const entries = Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
        if (a.show === "keys") return entries.map(([k]) => k).join(separator);
        if (a.show === "values") return entries.map(([, x]) => pythonText(x)).join(separator);
        return entries.map(([k, x]) => `${k}=${pythonText(x)}`).join(separator);
      }
      return isEmpty(v) ? (a.undefined ?? "") : v;
    },
  },
  lower: { params: [], apply: (v) => (typeof v === "string" ? v.toLowerCase() : v) },
  upper: { params: [], apply: (v) => (typeof v === "string" ? v.toUpperCase() : v) },
  notnull: { params: [], apply: (v) => (Array.isArray(v) ? v.filter((x) => x !== null && x !== undefined) : []) },
  segment: {
    params: ["index", "undefined"],
    apply: (v, a) => {
      if (isEmpty(v)) return a.undefined ?? "";
      const segments = decodeURIComponent(pythonText(v)).split("/");
      const i = Number(a.index ?? -1);
      return segments[i < 0 ? segments.length + i : i] || (a.undefined ?? "");
    },
  },
  slice: {
    params: ["op", "undefined"],
    apply: (v, a) => {
      const op = (a.op ?? ":").trim();
      if (op === "" || (typeof v !== "string" && !Array.isArray(v))) return a.undefined ?? "";
      const items: unknown[] = typeof v === "string" ? [...v] : v;
      const ops = op.split(":").map((s) => (s.trim() === "" ? undefined : Number(s)));
      if (ops.some((n) => n !== undefined && !Number.isInteger(n))) return a.undefined ?? "";
      const [start, end, step] = ops.length === 1 ? [ops[0], ops[0] === -1 ? undefined : (ops[0] ?? 0) + 1, 1] : ops;
      const sliced = pythonSlice(items, start, end, step ?? 1);
      return sliced.length > 0 ? sliced : (a.undefined ?? "");
    },
  },
  sort: {
    params: ["attr"],
    apply: (v, a) => {
      if (isEmpty(v)) return [];
      const items: unknown[] = typeof v === "string" ? [...v] : Array.isArray(v) ? [...v] : [];
      const sortKey = (x: unknown) => (a.attr ? pick(x, a.attr) : x);
      return items.sort((x, y) => compare(sortKey(x), sortKey(y)));
    },
  },
  split: {
    params: ["sep", "undefined"],
    apply: (v, a) => (typeof v === "string" && v !== "" ? v.split(a.sep ?? "/") : (a.undefined ?? "")),
  },
  yesno: { params: ["yes", "no"], apply: (v, a) => (isEmpty(v) ? (a.no ?? "No") : (a.yes ?? v)) },
};

/** A transform's arguments by parameter name: positional ones in order, then `name=value` ones. */
function namedArgs(t: Transform): Args {
  const { params } = TRANSFORMS[t.name];
  const named: Args = {};
  let position = 0;
  for (const arg of t.args) {
    const eq = /^([A-Za-z_]+)=(.*)$/s.exec(arg);
    if (eq && params.includes(eq[1])) named[eq[1]] = eq[2];
    else if (position < params.length) named[params[position++]] = arg;
  }
  return named;
}

/**
 * A time as strftime(3) formats it (the codes scripts use), in the zone `tz` names (UTC, or an
 * offset such as +02:00) or else the machine's; undefined when the value is not a time.
 */
function formatDate(value: unknown, format: string, unit: number, tz: string | undefined): string | undefined {
  let date: Date;
  if (typeof value === "number" || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)))
    date = new Date((Number(value) / (unit || 1)) * 1000);
  else if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) date = new Date(value);
  else return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  const utc = tz !== undefined && /^(utc|gmt|z)$/i.test(tz);
  const offsetMatch = tz !== undefined ? /^([+-])(\d{2}):?(\d{2})$/.exec(tz) : null;
  // The fields in the zone asked for: shift the instant, then read it as UTC.
  const offsetMinutes = utc
    ? 0
    : offsetMatch
      ? (offsetMatch[1] === "-" ? -1 : 1) * (Number(offsetMatch[2]) * 60 + Number(offsetMatch[3]))
      : -date.getTimezoneOffset();
  const d = new Date(date.getTime() + offsetMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, "0");
  const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
  const sign = offsetMinutes < 0 ? "-" : "+";
  const codes: Record<string, () => string> = {
    Y: () => String(d.getUTCFullYear()),
    y: () => two(d.getUTCFullYear() % 100),
    m: () => two(d.getUTCMonth() + 1),
    d: () => two(d.getUTCDate()),
    H: () => two(d.getUTCHours()),
    I: () => two(d.getUTCHours() % 12 || 12),
    p: () => (d.getUTCHours() < 12 ? "AM" : "PM"),
    M: () => two(d.getUTCMinutes()),
    S: () => two(d.getUTCSeconds()),
    f: () => String(d.getUTCMilliseconds() * 1000).padStart(6, "0"),
    j: () => String(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1).padStart(3, "0"),
    a: () => days[d.getUTCDay()].slice(0, 3),
    A: () => days[d.getUTCDay()],
    b: () => months[d.getUTCMonth()].slice(0, 3),
    B: () => months[d.getUTCMonth()],
    z: () => `${sign}${two(Math.floor(Math.abs(offsetMinutes) / 60))}${two(Math.abs(offsetMinutes) % 60)}`,
    s: () => String(Math.floor(date.getTime() / 1000)),
    "%": () => "%",
  };
  return format.replace(/%(.)/g, (all, code: string) => codes[code]?.() ?? all);
}

export const TRANSFORM_NAMES = Object.keys(TRANSFORMS).sort();

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === false ||
    v === 0 ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && Object.keys(v).length === 0)
  );
}

function baseName(v: unknown, undefinedValue: string): unknown {
  if (isEmpty(v)) return undefinedValue;
  if (Array.isArray(v)) return v.map((x) => baseName(x, ""));
  const s = pythonText(v);
  for (const separator of ["/", "\\"]) {
    const i = s.lastIndexOf(separator);
    if (i >= 0) return s.slice(i + 1);
  }
  return s || undefinedValue;
}

function pythonSlice(items: unknown[], start: number | undefined, end: number | undefined, step: number): unknown[] {
  const n = items.length;
  const clamp = (i: number, low: number, high: number) => Math.min(Math.max(i < 0 ? i + n : i, low), high);
  const out: unknown[] = [];
  if (step > 0) {
    for (let i = clamp(start ?? 0, 0, n); i < clamp(end ?? n, 0, n); i += step) out.push(items[i]);
  } else if (step < 0) {
    for (let i = start === undefined ? n - 1 : clamp(start, -1, n - 1); i > (end === undefined ? -1 : clamp(end, -1, n - 1)); i += step)
      out.push(items[i]);
  }
  return out;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = pythonText(a);
  const y = pythonText(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A column's value in a resource: its key's, through its transforms. */
export function columnValue(column: Column, resource: unknown): unknown {
  let value = pick(resource, column.key);
  for (const t of column.transforms) value = TRANSFORMS[t.name].apply(value, namedArgs(t));
  return value;
}

/**
 * A value as Python's str() prints it, which is what gcloud prints for a value that is not text:
 * True, False, None, and lists and dicts in Python's notation.
 */
export function pythonText(value: unknown): string {
  if (typeof value === "string") return value;
  return pythonRepr(value);
}

function pythonRepr(value: unknown): string {
  if (value === undefined || value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const escaped = value
      .replace(/\\/g, "\\\\")
      .replace(/\n/g, "\\n")
      .replace(/\r/g, "\\r")
      .replace(/\t/g, "\\t")
      .replace(new RegExp(quote, "g"), `\\${quote}`);
    return `${quote}${escaped}${quote}`;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(", ")}}`;
  return String(value);
}

/**
 * A `--format` expression: a name, then any of [ATTRIBUTES] (`no-heading`, `separator=","`) and
 * (PROJECTION) (keys, each with transforms and `:label=...:sort=N:reverse` attributes).
 */
export function parseFormatExpression(text: string): FormatExpression {
  const lex = new Lexer(text, "--format");
  lex.skipSpace();
  const name = lex.token((c) => c === "[" || c === "(" || c === ":")?.text ?? "";
  if (!/^[A-Za-z-]+$/.test(name)) lex.fail("expected a format name such as value, json or table");
  const attributes: Record<string, string | boolean> = {};
  let columns: Column[] | undefined;
  const headings = new Set<string>();
  for (lex.skipSpace(); !lex.end(); lex.skipSpace()) {
    if (lex.take("[")) {
      for (;;) {
        lex.skipSpace();
        const attribute = lex.token((c) => c === "=" || c === "," || c === "]");
        if (attribute !== undefined) {
          const value = lex.take("=") ? (lex.token((c) => c === "," || c === "]")?.text ?? "") : true;
          const named = attribute.text.startsWith("no-") ? attribute.text.slice(3) : attribute.text;
          delete attributes[named];
          delete attributes[`no-${named}`];
          attributes[attribute.text] = typeof value === "string" ? value.replace(/\\n/g, "\n").replace(/\\t/g, "\t") : value;
        }
        lex.skipSpace();
        if (lex.take("]")) break;
        if (!lex.take(",")) lex.fail("expected , or ] in the attributes");
      }
    } else if (lex.take("(")) {
      columns = [];
      lex.skipSpace();
      if (lex.take(")")) continue;
      for (;;) {
        lex.skipSpace();
        const start = lex.at;
        const { key, transforms } = lex.keyWithTransforms();
        for (const t of transforms)
          if (!(t.name in TRANSFORMS))
            throw new UsageError(
              `--format: unknown transform ${t.name}() in "${text.slice(start, lex.at)}"; skiff has ${TRANSFORM_NAMES.map((n) => `${n}()`).join(", ")}`,
            );
        const column: Column = { key, transforms, label: "" };
        lex.skipSpace();
        while (lex.take(":")) keyAttribute(lex, column);
        if (column.label === "") column.label = heading(key, transforms, headings);
        columns.push(column);
        lex.skipSpace();
        if (lex.take(")")) break;
        if (!lex.take(",")) lex.fail("expected , or ) in the projection");
      }
    } else lex.fail(`unexpected "${lex.peek()}"`);
  }
  return { name, attributes, columns };
}

/** One `:name=value` (or `:name`, `:no-name`) attribute of a projection key. */
function keyAttribute(lex: Lexer, column: Column): void {
  const name = lex.token((c) => c === "=" || c === ":" || c === "," || c === ")")?.text ?? "";
  const value = lex.take("=") ? (lex.token((c) => c === ":" || c === "," || c === ")")?.text ?? "") : undefined;
  switch (name.replace(/^no-/, "")) {
    case "label":
      column.label = value ?? "";
      return;
    case "sort":
      if (value === undefined || !/^\d+$/.test(value)) lex.fail(":sort takes a number, as in :sort=1");
      column.sort = Number(value);
      return;
    case "reverse":
      column.reverse = !name.startsWith("no-");
      return;
    case "format":
      return lex.fail("nested formats (:format=) are not supported");
    // Layout hints with no effect on what is printed here.
    case "align":
    case "width":
    case "wrap":
    case "optional":
    case "alias":
      return;
    default:
      lex.fail(`unknown key attribute "${name}" (label, sort, reverse, align, width, wrap, optional)`);
  }
}

/**
 * gcloud's default heading: the key's last name in ANGRY_SNAKE_CASE (latestReadyRevisionName →
 * LATEST_READY_REVISION_NAME), with names before it added while it is taken by an earlier column.
 */
function heading(key: KeyPart[], transforms: Transform[], taken: Set<string>): string {
  const names = key.filter((p): p is string => typeof p === "string");
  if (names.length === 0 && transforms.length > 0) names.push(transforms[0].name);
  let label = "";
  for (let i = names.length - 1; i >= 0; i--) {
    const snake = names[i].replace(/((?<=[a-z0-9])[A-Z]+|(?!^)[A-Z](?=[a-z]))/g, "_$1").toUpperCase();
    label = label ? `${snake}_${label}` : snake;
    if (!taken.has(label)) break;
  }
  taken.add(label);
  return label;
}
