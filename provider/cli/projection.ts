import { UsageError } from "./output";
import { isEmpty, namedArgs, pythonText, TRANSFORM_NAMES, TRANSFORMS } from "./transforms";

export { pythonText };

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
  /** The label came from `:label=` (a command's default label does not replace it). */
  labelGiven?: boolean;
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
  const found = keyIn(at as Record<string, unknown>, parts);
  return found === undefined ? undefined : pickParts((at as Record<string, unknown>)[found.key], parts.slice(found.names));
}

/**
 * The record's key a key's leading names spell: the longest run of them joined by dots that is a
 * key (annotations such as run.googleapis.com/ingress), a single name also in camelCase
 * (gcloud's snake_case keys); with how many names it took.
 */
export function keyIn(record: Record<string, unknown>, parts: KeyPart[]): { key: string; names: number } | undefined {
  const names = parts.findIndex((p) => typeof p !== "string");
  const run = (names < 0 ? parts : parts.slice(0, names)) as string[];
  for (let n = run.length; n >= 1; n--) {
    const joined = run.slice(0, n).join(".");
    for (const candidate of n === 1 ? [joined, camelCase(joined)] : [joined]) {
      if (Object.prototype.hasOwnProperty.call(record, candidate)) return { key: candidate, names: n };
    }
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether a record has the key's first name (or a run of its names with dots in it). */
function hasName(record: Record<string, unknown>, parts: KeyPart[]): boolean {
  return keyIn(record, parts) !== undefined;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A column's value in a resource: its key's, through its transforms. */
export function columnValue(column: Column, resource: unknown): unknown {
  let value = pick(resource, column.key);
  for (const t of column.transforms) value = TRANSFORMS[t.name].apply(value, namedArgs(t), pick);
  return value;
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
        if (!column.labelGiven) column.label = heading(key, transforms, headings);
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
      column.labelGiven = true;
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
