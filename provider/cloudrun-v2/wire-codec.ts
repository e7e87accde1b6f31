import type { FieldViolation } from "../model/errors";
import { ENUMS, MESSAGES } from "./wire-schema";

/**
 * Proto3 JSON as Google's REST transports speak it, read and written along wire-schema.ts (the
 * Cloud Run v2 protos): requests are checked field by field (unknown names, wrong types, enum
 * values that do not exist, durations that are not "300s") and come out with every enum as its
 * name; answers are written with enums as names, or as numbers for a client that asked with
 * `$alt=json;enum-encoding=int` (what Google's Python and Node clients send), and int64 fields as
 * decimal strings, as proto3 JSON has them. The translation to and from skiff's model only ever
 * sees enum names.
 */

export type WellKnown = "Timestamp" | "Duration" | "FieldMask" | "Any";
const WELL_KNOWN = new Set<string>(["Timestamp", "Duration", "FieldMask", "Any"]);
const INTEGERS = new Set(["int32", "uint32", "sint32", "fixed32", "sfixed32", "int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const INT64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

interface FieldSpec {
  /** A scalar ("string", "int64", ...), a well-known type, or a message or enum of the schema. */
  type: string;
  repeated: boolean;
  map: boolean;
  /** A scalar in a oneof: its zero value is a value, not "unset". */
  presence: boolean;
}

interface EnumSpec {
  numberOf: Map<string, number>;
  nameOf: Map<number, string>;
}

let messages: Map<string, Map<string, FieldSpec>> | undefined;
let enums: Map<string, EnumSpec> | undefined;

function schema(): { messages: Map<string, Map<string, FieldSpec>>; enums: Map<string, EnumSpec> } {
  if (!messages || !enums) {
    messages = new Map(
      Object.entries(MESSAGES).map(([name, text]) => [
        name,
        new Map(
          text.split(" ").map((token) => {
            const [field, typeText = "string"] = token.split(":");
            const presence = typeText.endsWith("?");
            const rawType = presence ? typeText.slice(0, -1) : typeText;
            const repeated = rawType.endsWith("[]");
            const withoutList = repeated ? rawType.slice(0, -2) : rawType;
            const map = /^map<(.+)>$/.exec(withoutList);
            return [field, { type: map ? map[1] : withoutList, repeated, map: map !== null, presence }];
          }),
        ),
      ]),
    );
    enums = new Map(
      Object.entries(ENUMS).map(([name, text]) => {
        const pairs = text.split(" ").map((pair) => {
          const [value, number] = pair.split("=");
          return [value, Number(number)] as const;
        });
        return [name, { numberOf: new Map(pairs), nameOf: new Map(pairs.map(([v, n]) => [n, v])) }];
      }),
    );
  }
  return { messages, enums };
}

export function isMessage(type: string): boolean {
  return schema().messages.has(type);
}

/** The enum's value names, in the schema's order. */
export function enumValues(type: string): string[] {
  const spec = schema().enums.get(type);
  if (!spec) throw new Error(`BUG: ${type} is not an enum of the Cloud Run v2 schema`);
  return [...spec.numberOf.keys()];
}

/** proto3 JSON parsers take a field's proto name (snake_case) as well as its JSON name. */
function jsonName(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const DURATION = /^-?\d+(?:\.\d{1,9})?s$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads `json` as a `type` message: the value with enums as names and int64s as numbers, and
 * every problem as a violation at its path (`service.template.timeout`). Null means "not set".
 */
export function decodeMessage(type: string, json: unknown, path: string, violations: FieldViolation[]): Record<string, unknown> {
  const fields = schema().messages.get(type);
  if (!fields) throw new Error(`BUG: ${type} is not a message of the Cloud Run v2 schema`);
  if (json === undefined || json === null) return {};
  if (typeof json !== "object" || Array.isArray(json)) {
    violations.push({ field: path, reason: `must be a JSON object (a ${type} message)` });
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const name = jsonName(key);
    const at = path ? `${path}.${name}` : name;
    const field = fields.get(name);
    if (!field) {
      violations.push({ field: at, reason: `unknown field "${key}": ${type} has no such field` });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (field.map) {
      if (typeof value !== "object" || Array.isArray(value)) {
        violations.push({ field: at, reason: "must be a JSON object (a map)" });
        continue;
      }
      out[name] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, decodeValue(field.type, v, `${at}.${k}`, violations)]),
      );
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        violations.push({ field: at, reason: "must be a JSON array" });
        continue;
      }
      out[name] = value.map((item, i) => decodeValue(field.type, item, `${at}[${i}]`, violations));
    } else {
      const decoded = decodeValue(field.type, value, at, violations);
      // proto3: a scalar's zero value ("", 0, false, an enum's 0) is "not set", as clients that
      // write every field (Google's Node client) send it.
      if (field.presence || !isZero(field.type, decoded)) out[name] = decoded;
    }
  }
  return out;
}

function isZero(type: string, value: unknown): boolean {
  if (value === "" || value === 0 || value === false) return true;
  const enumSpec = schema().enums.get(type);
  return enumSpec !== undefined && enumSpec.numberOf.get(value as string) === 0;
}

function decodeValue(type: string, value: unknown, at: string, violations: FieldViolation[]): unknown {
  const { messages, enums } = schema();
  const problem = (reason: string) => (violations.push({ field: at, reason }), undefined);
  if (messages.has(type)) return decodeMessage(type, value, at, violations);
  const enumSpec = enums.get(type);
  if (enumSpec) {
    if (typeof value === "number" && enumSpec.nameOf.has(value)) return enumSpec.nameOf.get(value);
    if (typeof value === "string" && enumSpec.numberOf.has(value)) return value;
    return problem(`unknown enum value ${JSON.stringify(value)} for ${type}; expected one of ${[...enumSpec.numberOf.keys()].join(", ")}`);
  }
  if (WELL_KNOWN.has(type)) return decodeWellKnown(type as WellKnown, value, problem);
  if (INTEGERS.has(type)) {
    const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isSafeInteger(n)) return problem(`must be an integer, got ${JSON.stringify(value)}`);
    if (type.startsWith("u") && n < 0) return problem(`must not be negative, got ${n}`);
    return n;
  }
  if (type === "double" || type === "float") {
    if (typeof value === "number") return value;
    return typeof value === "string" && value !== "" && !Number.isNaN(Number(value))
      ? Number(value)
      : problem(`must be a number, got ${JSON.stringify(value)}`);
  }
  if (type === "bool") return typeof value === "boolean" ? value : problem(`must be true or false, got ${JSON.stringify(value)}`);
  if (type === "bytes")
    return typeof value === "string" && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)
      ? value
      : problem(`must be base64 text, got ${JSON.stringify(value)}`);
  return typeof value === "string" ? value : problem(`must be a string, got ${JSON.stringify(value)}`);
}

function decodeWellKnown(type: WellKnown, value: unknown, problem: (reason: string) => undefined): unknown {
  switch (type) {
    case "Duration":
      return typeof value === "string" && DURATION.test(value)
        ? value
        : problem(`must be a duration in seconds such as "300s" or "1.5s", got ${JSON.stringify(value)}`);
    case "Timestamp":
      return typeof value === "string" && TIMESTAMP.test(value)
        ? value
        : problem(`must be an RFC 3339 time such as "2026-01-31T12:00:00Z", got ${JSON.stringify(value)}`);
    case "FieldMask":
      return typeof value === "string" ? value : problem(`must be field paths separated by commas, got ${JSON.stringify(value)}`);
    case "Any":
      return value !== null && typeof value === "object" && typeof (value as { "@type"?: unknown })["@type"] === "string"
        ? value
        : problem('must be an object with an "@type"');
  }
}

export interface EncodeOptions {
  /** Enums as their numbers (`$alt=json;enum-encoding=int`) rather than their names. */
  intEnums: boolean;
}

/**
 * Writes a `type` message: enums as names or numbers, int64 as strings, undefined fields left
 * out. A field the schema does not have is a bug in the translation, never sent to a client.
 */
export function encodeMessage(type: string, value: Record<string, unknown>, options: EncodeOptions): Record<string, unknown> {
  const fields = schema().messages.get(type);
  if (!fields) throw new Error(`BUG: ${type} is not a message of the Cloud Run v2 schema`);
  const out: Record<string, unknown> = {};
  for (const [name, fieldValue] of Object.entries(value)) {
    if (fieldValue === undefined) continue;
    const field = fields.get(name);
    if (!field) throw new Error(`BUG: ${type} has no field "${name}"`);
    if (field.map) {
      out[name] = Object.fromEntries(
        Object.entries(fieldValue as Record<string, unknown>).map(([k, v]) => [k, encodeValue(field.type, v, options)]),
      );
    } else if (field.repeated) {
      out[name] = (fieldValue as unknown[]).map((item) => encodeValue(field.type, item, options));
    } else {
      out[name] = encodeValue(field.type, fieldValue, options);
    }
  }
  return out;
}

function encodeValue(type: string, value: unknown, options: EncodeOptions): unknown {
  const { messages, enums } = schema();
  if (messages.has(type)) return encodeMessage(type, value as Record<string, unknown>, options);
  const enumSpec = enums.get(type);
  if (enumSpec) {
    const number = enumSpec.numberOf.get(value as string);
    if (number === undefined) throw new Error(`BUG: ${JSON.stringify(value)} is not a value of ${type}`);
    return options.intEnums ? number : value;
  }
  if (INT64.has(type)) return String(value);
  return value;
}

/** A packed Any: the message with its type URL, as an Operation's metadata and response carry it. */
export function packAny(type: string, value: Record<string, unknown>, options: EncodeOptions): Record<string, unknown> {
  const fullName = type.includes(".") && type.startsWith("google.") ? type : `google.cloud.run.v2.${type}`;
  return { "@type": `type.googleapis.com/${fullName}`, ...encodeMessage(type, value, options) };
}

/** Does `path` (`template.containers`, dotted, no indexes) name a field of `type`? Maps end a path. */
export function hasFieldPath(type: string, path: string): boolean {
  let fields = schema().messages.get(type);
  const segments = path.split(".");
  for (let i = 0; i < segments.length; i++) {
    const field = fields?.get(jsonName(segments[i]));
    if (!field) return false;
    if (i === segments.length - 1 || field.map) return true;
    if (field.repeated) return false;
    fields = schema().messages.get(field.type);
  }
  return true;
}

/** A FieldMask's paths in JSON names (`template.max_retries` → `template.maxRetries`). */
export function maskPaths(mask: string): string[] {
  return mask
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.split(".").map(jsonName).join("."));
}

/** A Duration's seconds ("1.5s" → 1.5); undefined when it is not a Duration. */
export function durationSeconds(value: unknown): number | undefined {
  return typeof value === "string" && DURATION.test(value) ? Number(value.slice(0, -1)) : undefined;
}
