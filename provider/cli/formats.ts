import { UsageError } from "./output";

/**
 * gcloud's `--format`: table (skiff's own, for people), json and yaml (the whole object), export
 * (yaml without what the platform fills in, ready for `services replace`), value(FIELD,...) (dotted
 * paths, tab-separated, one line per object; a list's items joined with ";").
 */
export type Format = { kind: "table" } | { kind: "json" } | { kind: "yaml" } | { kind: "export" } | { kind: "value"; fields: string[] };

export const FORMAT_HELP = "table, json, yaml, export or value(FIELD,...)";

export function parseFormat(text: string): Format {
  const trimmed = text.trim();
  if (trimmed === "table" || trimmed === "json" || trimmed === "yaml" || trimmed === "export") return { kind: trimmed };
  const value = /^value\((.*)\)$/.exec(trimmed);
  if (value) {
    const fields = value[1]
      .split(",")
      .map((f) => f.trim())
      .filter(Boolean);
    const bad = fields.find((f) => !/^[A-Za-z_][\w-]*(\.[\w./-]+|\[\d+\])*$/.test(f));
    if (fields.length === 0 || bad !== undefined)
      throw new UsageError(`--format: value() takes dotted field paths such as value(status.url,metadata.name), got "${text}"`);
    return { kind: "value", fields };
  }
  throw new UsageError(`--format: expected ${FORMAT_HELP}, got "${text}"`);
}

/** Prints one object or a list in the given format; `table` draws it with the command's own table. */
export function render(format: Format, external: unknown, table: () => void): void {
  switch (format.kind) {
    case "table":
      return table();
    case "json":
      process.stdout.write(JSON.stringify(external, null, 2) + "\n");
      return;
    case "yaml":
      process.stdout.write(toYaml(external));
      return;
    case "export":
      process.stdout.write(toYaml(Array.isArray(external) ? external.map(exportable) : exportable(external)));
      return;
    case "value": {
      const items = Array.isArray(external) ? external : [external];
      for (const item of items) process.stdout.write(format.fields.map((f) => valueText(pick(item, f))).join("\t") + "\n");
      return;
    }
  }
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

/**
 * A dotted path: `status.url`, `spec.template.spec.containers[0].image`,
 * `metadata.annotations.run.googleapis.com/ingress`; through a list without an index it takes the
 * field of every item (`status.traffic.revisionName`).
 */
/** The value at a dotted path (`status.url`, `spec.template.spec.containers[0].image`); through a list, each element's. */
export function pick(object: unknown, path: string): unknown {
  return pickParts(object, path.split(/\.|(?=\[)/));
}

function pickParts(at: unknown, parts: string[]): unknown {
  if (parts.length === 0 || at === undefined || at === null) return at;
  const [part, ...rest] = parts;
  const index = /^\[(\d+)\]$/.exec(part);
  if (index) return pickParts(Array.isArray(at) ? at[Number(index[1])] : undefined, rest);
  if (Array.isArray(at)) return at.map((item) => pickParts(item, parts));
  if (typeof at !== "object") return undefined;
  const record = at as Record<string, unknown>;
  // Keys with dots in them (annotations such as run.googleapis.com/ingress): the longest key that matches.
  for (let n = parts.length; n >= 1; n--) {
    const key = parts.slice(0, n).join(".");
    if (key in record) return pickParts(record[key], parts.slice(n));
  }
  return undefined;
}

function valueText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map(valueText).join(";");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function toYaml(value: unknown): string {
  // Loaded here only: most commands print tables or JSON.
  const { stringify } = require("yaml") as typeof import("yaml");
  // gcloud's layout: a list's items start at their key's column ("bindings:\n- members:").
  const options = { indentSeq: false };
  if (Array.isArray(value)) return value.map((v) => `---\n${stringify(v, options)}`).join("");
  return stringify(value, options);
}
