import type { KeyPart, Transform } from "./projection";

/**
 * gcloud's projection transforms (`gcloud topic projections`) that scripts use, as gcloud computes
 * them: `status.url.basename()`, `metadata.creationTimestamp.date("%Y-%m-%d")`,
 * `status.traffic.tag.join(",")`, `len()`, `yesno(yes=Y,no=N)`...; and Python's str(), which is how
 * gcloud prints a value that is not text.
 */

type Pick = (object: unknown, path: string | KeyPart[]) => unknown;

type Args = Record<string, string | undefined>;

/**
 * The transforms skiff knows (gcloud's, as `gcloud topic projections` describes them), by name,
 * each with its parameters' names in order: arguments are given by position or as `name=value`.
 */
export const TRANSFORMS: Record<string, { params: string[]; apply: (value: unknown, a: Args, pick: Pick) => unknown }> = {
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
    apply: (v, a, pick) => {
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
export function namedArgs(t: Transform): Args {
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
  // Without tz, a time written with its zone stays in that zone, as gcloud's times.ParseDateTime
  // keeps it (creationTimestamp's Z prints as UTC on any machine); a bare number is local time.
  const written = typeof value === "string" && tz === undefined ? /(Z|[+-]\d{2}:?\d{2})$/i.exec(value)?.[1] : undefined;
  const zone = tz ?? written;
  const utc = zone !== undefined && /^(utc|gmt|z)$/i.test(zone);
  const offsetMatch = zone !== undefined ? /^([+-])(\d{2}):?(\d{2})$/.exec(zone) : null;
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
    // The zone's name: UTC, the machine's own (CET), none for a bare offset (Python's tzoffset has none).
    Z: () => (utc || (offsetMatch && offsetMinutes === 0) ? "UTC" : offsetMatch ? "" : localZoneName(date)),
    s: () => String(Math.floor(date.getTime() / 1000)),
    "%": () => "%",
  };
  return format.replace(/%(.)/g, (all, code: string) => codes[code]?.() ?? all);
}

function localZoneName(date: Date): string {
  return (
    new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? ""
  );
}

export const TRANSFORM_NAMES = Object.keys(TRANSFORMS).sort();

export function isEmpty(v: unknown): boolean {
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
