import { UsageError } from "./output";
import { columnValue, keyIn, parseFormatExpression, pick, pythonText, type Column, type KeyPart } from "./projection";
import { isEmpty } from "./transforms";

export { pick };

/**
 * gcloud's `--format`, over the objects gcloud prints (knative/objects.ts): `table` with no
 * projection is the command's own table, for people; `json`, `yaml` (`default`) the whole object, or
 * only the keys of a projection (`json(metadata.name,status.url)`); `export` yaml without what the
 * platform fills in, ready for `services replace`; `value(...)` and `get(...)` the keys' values,
 * tab-separated, one line per object; `csv(...)`, `table(...)` with headings; `flattened` (`text`)
 * one `key.path: value` line per leaf; `none` nothing. Values print as gcloud prints them: a
 * missing key as nothing, True/False, a map as `k=v;k=v`, a list's items joined by `;`.
 */
export type Format =
  | { kind: "table" }
  | { kind: "export" }
  | { kind: "none" }
  | { kind: "json" | "yaml" | "flattened"; columns?: Column[]; attributes?: Attributes }
  | { kind: "value" | "get" | "csv" | "columns"; columns: Column[]; attributes: Attributes };

type Attributes = Record<string, string | boolean>;

export const FORMAT_HELP = "table, json, yaml, export, value(KEY,...), csv(KEY,...), table(KEY,...), get(KEY), flattened or none";

/** Formats gcloud has that print nothing skiff's scripts need, refused by name rather than as unknown. */
const NOT_HERE = ["config", "diff", "list", "multi", "object"];

export function parseFormat(text: string): Format {
  const { name, attributes, columns } = parseFormatExpression(text);
  const needsKeys = (shown: string) => {
    if (!columns || columns.length === 0)
      throw new UsageError(`--format: ${shown} needs keys to print, such as ${shown}(metadata.name,status.url); got "${text}"`);
    return columns;
  };
  switch (name) {
    case "table":
      return columns === undefined ? { kind: "table" } : { kind: "columns", columns: needsKeys("table"), attributes };
    case "value":
    case "get":
    case "csv":
      return { kind: name, columns: needsKeys(name), attributes };
    case "json":
    case "yaml":
    case "default":
    case "flattened":
    case "text": {
      const kind = name === "default" ? "yaml" : name === "text" ? "flattened" : name;
      return { kind, attributes, ...(columns && columns.length > 0 ? { columns } : {}) };
    }
    case "export":
    case "none":
    case "disable":
      if (columns && columns.length > 0) throw new UsageError(`--format: ${name} takes no keys, got "${text}"`);
      return { kind: name === "export" ? "export" : "none" };
  }
  if (NOT_HERE.includes(name)) throw new UsageError(`--format: gcloud's ${name} format is not supported here; use ${FORMAT_HELP}`);
  throw new UsageError(`--format: unknown format "${name}"; expected ${FORMAT_HELP}`);
}

/**
 * A list command's own gcloud format lends its keys' labels and transforms to the same keys of a
 * `--format` projection (resource_projection_parser.py, _AddKey: a key already in the defaults
 * starts from their attribute), so `revisions list --format 'value(active)'` prints gcloud's `yes`
 * and `csv(name)` is headed `revision`. The user's own label or transforms win.
 */
export function withCommandDefaults(format: Format, defaults: string): Format {
  if (!("columns" in format) || format.columns === undefined) return format;
  const own = parseFormatExpression(defaults).columns ?? [];
  const sameKey = (a: KeyPart[], b: KeyPart[]) => a.length === b.length && a.every((part, i) => part === b[i]);
  const columns = format.columns.map((column) => {
    const lent = own.find((d) => sameKey(d.key, column.key));
    if (lent === undefined) return column;
    return {
      ...column,
      label: column.labelGiven ? column.label : lent.label,
      transforms: column.transforms.length > 0 ? column.transforms : lent.transforms,
    };
  });
  return { ...format, columns } as Format;
}

/** Prints one object or a list in the given format; `table` draws it with the command's own table. */
export function render(format: Format, external: unknown, table: () => void): void {
  process.stdout.write(formatted(format, external, table));
}

/** What `render` prints, as text (the command's own table prints itself, and is not in it). */
export function formatted(format: Format, external: unknown, table: () => void = () => undefined): string {
  const list = Array.isArray(external);
  const items: unknown[] = list ? external : [external];
  switch (format.kind) {
    case "table":
      table();
      return "";
    case "none":
      return "";
    case "json": {
      const shown = format.columns ? items.map((item) => projected(item, format.columns!)) : items;
      return JSON.stringify(sortedKeys(list ? shown : shown[0]), null, 2) + "\n";
    }
    case "yaml":
    case "export": {
      const shown = items.map((item) =>
        format.kind === "export" ? exportable(item) : format.columns ? projected(item, format.columns) : item,
      );
      return shown.map((item) => (list ? "---\n" : "") + toYaml(item)).join("");
    }
    case "flattened":
      return items.map((item) => (list ? "---\n" : "") + flattened(item, format.columns, format.attributes ?? {})).join("");
    case "value":
    case "get":
    case "csv":
    case "columns":
      return columnsText(format, items);
  }
}

/** value, get, csv and table(...): one row per object, a column per key. */
function columnsText(format: Extract<Format, { columns: Column[] }>, items: unknown[]): string {
  const a = format.attributes;
  const text = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);
  // get is value with transforms off (gcloud's value[no-transforms]).
  let rows = items.map((item) => format.columns.map((c) => (format.kind === "get" ? pick(item, c.key) : columnValue(c, item))));
  if (format.kind === "columns") {
    rows = sortedRows(rows, format.columns);
    const cells = rows.map((row) => row.map(tableCell));
    const pad = Number.isInteger(Number(a.pad)) && a.pad !== true ? Number(a.pad) : 2;
    return alignedTable(a["no-heading"] === true ? cells : [format.columns.map((c) => c.label), ...cells], pad);
  }
  // csv quotes what needs it (no-quote: never); value only when asked (quote).
  const quoting = format.kind === "csv" ? a["no-quote"] !== true : a.quote === true;
  const delimiter = text(a.delimiter, ";");
  const separator = text(a.separator, format.kind === "csv" ? "," : "\t");
  const terminator = text(a.terminator, "\n");
  const quote = (field: string) =>
    !quoting ||
    field === "" ||
    !([delimiter, '"', separator, terminator].some((s) => s !== "" && field.includes(s)) || /^\s/.test(field) || /\s$/.test(field))
      ? field
      : `"${field.replace(/"/g, '""')}"`;
  const lines = rows.map((row) => row.map((value) => valueCell(value, delimiter, quote)).join(separator) + terminator);
  if (format.kind === "csv" && a["no-heading"] !== true && items.length > 0)
    lines.unshift(format.columns.map((c) => quote(c.label.toLowerCase())).join(separator) + terminator);
  return lines.join("");
}

/** gcloud's csv and value cells: nothing for a missing value, a map's `k=v` pairs by key, a list's items (an empty one as nothing). */
function valueCell(value: unknown, delimiter: string, quote: (field: string) => string): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((x) => (isEmpty(x) ? "" : quote(pythonText(x)))).join(delimiter);
  if (typeof value === "object")
    return Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => quote(`${k}=${pythonText(v)}`))
      .join(delimiter);
  return quote(pythonText(value));
}

function tableCell(value: unknown): string {
  return value === undefined || value === null ? "" : pythonText(value);
}

/** gcloud's table sort: by the `:sort=N` keys in their order, each ascending or `:reverse`; numbers before text. */
function sortedRows(rows: unknown[][], columns: Column[]): unknown[][] {
  const keys = columns
    .map((c, i) => ({ i, sort: c.sort, reverse: c.reverse === true }))
    .filter((k) => k.sort !== undefined)
    .sort((x, y) => x.sort! - y.sort!);
  if (keys.length === 0) return rows;
  return rows
    .map((row, at) => ({ row, at }))
    .sort((x, y) => {
      for (const k of keys) {
        const order = compareCells(x.row[k.i], y.row[k.i]);
        if (order !== 0) return k.reverse ? -order : order;
      }
      return x.at - y.at;
    })
    .map(({ row }) => row);
}

function compareCells(a: unknown, b: unknown): number {
  const num = (v: unknown) => (typeof v === "number" ? v : Infinity);
  if (num(a) !== num(b)) return num(a) < num(b) ? -1 : 1;
  const x = tableCell(a);
  const y = tableCell(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Left-aligned columns `pad` spaces apart, the last one unpadded. */
function alignedTable(rows: string[][], pad: number): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map(
      (row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + pad)))
          .join("")
          .trimEnd() + "\n",
    )
    .join("");
}

/**
 * json(...) and yaml(...): the object with only the projection's keys, in their places
 * (`json(metadata.name)` → `{"metadata": {"name": ...}}`), a transformed key holding its result.
 */
function projected(resource: unknown, columns: Column[]): unknown {
  let out: unknown = undefined;
  for (const c of columns) {
    const value = c.transforms.length > 0 ? columnValue(c, resource) : undefined;
    out = merge(out, projectPath(resource, c.key, c.transforms.length > 0, value));
  }
  return out ?? {};
}

function projectPath(at: unknown, parts: KeyPart[], replace: boolean, value: unknown): unknown {
  if (parts.length === 0) return replace ? value : at;
  if (at === undefined || at === null) return undefined;
  const [part, ...rest] = parts;
  if (part === null || (typeof part === "string" && Array.isArray(at))) {
    if (!Array.isArray(at)) return undefined;
    const next = part === null ? rest : parts;
    return at.map((item) => projectPath(item, next, false, undefined) ?? {});
  }
  if (typeof part === "number") {
    if (!Array.isArray(at)) return undefined;
    const index = part < 0 ? at.length + part : part;
    if (index < 0 || index >= at.length) return undefined;
    const inner = projectPath(at[index], rest, replace, value);
    return inner === undefined ? undefined : [inner];
  }
  if (typeof at !== "object") return undefined;
  const record = at as Record<string, unknown>;
  const found = keyIn(record, parts);
  if (found === undefined) return undefined;
  const inner = projectPath(record[found.key], parts.slice(found.names), replace, value);
  return inner === undefined ? undefined : { [found.key]: inner };
}

function merge(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (Array.isArray(a) && Array.isArray(b)) return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => merge(a[i], b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}

/** gcloud's flattened: `key.path: value` per leaf, keys in order, values aligned; with keys, their lowercased labels. */
function flattened(resource: unknown, columns: Column[] | undefined, attributes: Attributes): string {
  const lines: [string, string][] = [];
  const leaf = (name: string, value: unknown) => {
    let text = pythonText(value);
    if (/\n/.test(text) || /^\s/.test(text) || /\s$/.test(text))
      text = `"${text.replace(/[\\"]/g, "\\$&").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
    lines.push([name, text]);
  };
  const walk = (value: unknown, name: string) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      if (value.length === 0) return leaf(name, "[]");
      value.forEach((item, i) => walk(item, `${name}[${i}]`));
    } else if (typeof value === "object") {
      const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (entries.length === 0) return leaf(name, "{}");
      for (const [k, v] of entries) walk(v, name ? `${name}.${k}` : k);
    } else leaf(name, value);
  };
  if (columns) {
    for (const c of columns) walk(columnValue(c, resource), c.label.toLowerCase());
  } else walk(resource, "");
  const separator = typeof attributes.separator === "string" ? attributes.separator : ": ";
  const width = attributes["no-pad"] === true ? 0 : Math.max(0, ...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k}${separator}${" ".repeat(width - k.length)}${v}\n`).join("");
}

/** What gcloud's export leaves out: the status and the metadata the platform sets. */
function exportable(object: unknown): unknown {
  if (!object || typeof object !== "object") return object;
  const { status: _status, ...rest } = object as Record<string, unknown>;
  const metadata = rest.metadata as Record<string, unknown> | undefined;
  if (metadata) {
    const { generation: _g, creationTimestamp: _c, uid: _u, resourceVersion: _r, selfLink: _s, ...kept } = metadata;
    const annotations = kept.annotations as Record<string, string> | undefined;
    if (annotations) {
      const { "run.googleapis.com/ingress-status": _i, ...own } = annotations;
      kept.annotations = own;
    }
    rest.metadata = kept;
  }
  return rest;
}

/** Keys in order at every level, as gcloud prints json and yaml. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortedKeys(v)]),
    );
  return value;
}

function toYaml(value: unknown): string {
  // Loaded here only: most commands print tables or JSON.
  const { stringify } = require("yaml") as typeof import("yaml");
  // gcloud's layout: keys in order, a list's items at their key's column ("bindings:\n- members:"),
  // and text that a YAML 1.1 reader (PyYAML, gcloud itself) would take for a timestamp, a boolean
  // (yes, on) or a number quoted, so the value reads back as the text it is.
  return stringify(sortedKeys(value), { indentSeq: false, version: "1.1", singleQuote: true });
}
