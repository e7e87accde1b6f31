import { isIP } from "node:net";
import { invalidFromViolations, type FieldViolation } from "../model/errors";
import { DURATION_EXAMPLES, parseDurationMs } from "../model/duration";
import { parseMemoryBytes } from "../model/quantity";
import {
  domainSchema,
  executionNameSchema,
  jobNameSchema,
  projectNameSchema,
  revisionNameSchema,
  serviceNameSchema,
  tagNameSchema,
} from "../model/names";
import { secretNameSchema } from "../model/secret";
import { UsageError } from "./output";

/** Parsers for the CLI's flag values. Each error names the flag, as the user typed it. */

const NAME_SCHEMAS = {
  service: serviceNameSchema,
  revision: revisionNameSchema,
  project: projectNameSchema,
  tag: tagNameSchema,
  domain: domainSchema,
  job: jobNameSchema,
  execution: executionNameSchema,
  secret: secretNameSchema,
};

/**
 * A name given on the command line, checked before anything is sent: names become API path
 * segments, so "../../other/services/x" is refused here, naming the argument, with exit 1.
 */
export function nameArg(kind: keyof typeof NAME_SCHEMAS, label: string = kind) {
  return (value: string): string => {
    const parsed = NAME_SCHEMAS[kind].safeParse(value);
    if (!parsed.success) throw new UsageError(`${label}: "${value}" ${parsed.error.issues[0]?.message ?? "is not valid"}`);
    return value;
  };
}

/** `a, b ,c` → ["a", "b", "c"]; empty items are kept so a parser can name them. */
export function splitList(text: string): string[] {
  // gcloud's escaping (gcloud topic escaping): a leading ^DELIM^ makes DELIM the separator, so
  // items may hold commas: --set-env-vars "^@^HOSTS=a,b@MODE=x", --args "^;^--list=a,b;--v".
  const custom = /^\^([^^]+)\^/.exec(text);
  const [separator, items] = custom ? [custom[1], text.slice(custom[0].length)] : [",", text];
  return items.split(separator).map((item) => item.trim());
}

/** Repeatable flags: `--env A=1 --env B=2`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole number for a flag, or a usage error naming the flag. */
export function intFlag(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag}: must be a whole number, got "${value}"`);
    return Number(value);
  };
}

/**
 * A whole number, or gcloud's special value "default": the setting goes back to the platform's
 * default (`--concurrency default`, `--min-instances default`, `--max-instances default`, `--port default`).
 */
export function intOrDefaultFlag(flag: string) {
  const whole = intFlag(flag);
  return (value: string): number | "default" => (value.trim() === "default" ? "default" : whole(value));
}

export function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env: expected KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** A duration flag in milliseconds, or a usage error naming the flag. */
export function durationFlag(flag: string) {
  return (value: string): number => {
    const ms = parseDurationMs(value);
    if (ms === undefined) throw new UsageError(`${flag}: expected ${DURATION_EXAMPLES}, got "${value}"`);
    return ms;
  };
}

/** A byte quantity flag ("64Mi", "1Gi", "500000"), or a usage error naming the flag. */
export function memoryFlag(flag: string) {
  return (value: string): number => {
    const bytes = parseMemoryBytes(value.trim());
    if (bytes === undefined) throw new UsageError(`${flag}: expected a size such as 64Mi or 1Gi, got "${value}"`);
    return bytes;
  };
}

/** A comma-separated list of IP addresses, or a usage error naming the flag. */
export function addressListFlag(flag: string) {
  return (value: string): string[] => {
    const addresses = splitList(value).filter(Boolean);
    const bad = addresses.find((a) => isIP(a) === 0);
    if (bad !== undefined || addresses.length === 0)
      throw new UsageError(`${flag}: expected IP addresses such as 127.0.0.1,::1, got "${bad ?? value}"`);
    return addresses;
  };
}

/** gcloud's `K=V,K2=V2` (a value may contain "="; not a comma). */
export function envListFlag(flag: string) {
  return (value: string, previous: Record<string, string> = {}): Record<string, string> => {
    const env = { ...previous };
    for (const pair of splitList(value).filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`${flag}: expected KEY=VALUE,KEY2=VALUE2, got "${pair}"`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return env;
  };
}

/** A duration flag in whole seconds ("600", "10m", "1h30m"). */
export function secondsFlag(flag: string) {
  return (value: string): number => {
    const ms = durationFlag(flag)(value);
    if (ms % 1000 !== 0) throw new UsageError(`${flag}: must be a whole number of seconds, got "${value}"`);
    return ms / 1000;
  };
}

/** A comma-separated list: `--args a,b,c`; given again, the lists add up (gcloud's UpdateAction: `--args a --args b` is [a, b]). */
export function listFlag(value: string, previous: string[] = []): string[] {
  return [...previous, ...splitList(value).filter(Boolean)];
}

export function parseTimeout(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new UsageError(`--timeout: expected seconds or ${DURATION_EXAMPLES}, got "${text}"`);
  if (ms % 1000 !== 0) throw new UsageError(`--timeout: must be a whole number of seconds, got "${text}"`);
  return ms / 1000;
}

const PROBE_NUMBER_KEYS = [
  "initialDelaySeconds",
  "timeoutSeconds",
  "periodSeconds",
  "failureThreshold",
  "tcpSocket.port",
  "httpGet.port",
  "grpc.port",
];
const TEXT_KEYS = ["httpGet.path", "grpc.service"];
/** gcloud's keys for `--liveness-probe`: no tcpSocket (Cloud Run runs no TCP liveness probe). */
const LIVENESS_NUMBER_KEYS = PROBE_NUMBER_KEYS.filter((k) => !k.startsWith("tcpSocket"));

/**
 * gcloud's `--startup-probe=tcpSocket.port=8080,periodSeconds=5,failureThreshold=1`, or an HTTP
 * probe: `httpGet.path=/healthz,httpGet.port=8080,periodSeconds=1`. Any httpGet key makes it an
 * HTTP probe (path "/" and the container's port unless given); tcpSocket and httpGet exclude each
 * other. `--liveness-probe` takes the same keys but tcpSocket's; `--liveness-probe=""` removes
 * the probe (undefined), as in gcloud.
 */
export function parseProbe(text: string, flag: "--startup-probe" | "--liveness-probe" = "--startup-probe"): Record<string, unknown> {
  const probe: Record<string, unknown> = {};
  const httpGet: Record<string, unknown> = {};
  const grpc: Record<string, unknown> = {};
  const numberKeys = flag === "--liveness-probe" ? LIVENESS_NUMBER_KEYS : PROBE_NUMBER_KEYS;
  let http = false;
  for (const item of splitList(text).filter(Boolean)) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    const numeric = numberKeys.includes(key);
    if (flag === "--liveness-probe" && key.startsWith("tcpSocket"))
      throw new UsageError(
        `--liveness-probe: ${key} is not a liveness check Cloud Run runs (TCP is for startup probes): give httpGet.path`,
      );
    if ((!numeric && !TEXT_KEYS.includes(key)) || value === undefined || (numeric && !/^\d+$/.test(value))) {
      throw new UsageError(
        `${flag}: expected KEY=NUMBER with KEY one of ${numberKeys.join(", ")}, or httpGet.path=PATH, or grpc.service=NAME; got "${item}"`,
      );
    }
    if (key === "httpGet.path") {
      if (!value.startsWith("/")) throw new UsageError(`${flag}: httpGet.path must start with /, got "${value}"`);
      httpGet.path = value;
      http = true;
    } else if (key === "httpGet.port") {
      httpGet.port = Number(value);
      http = true;
    } else if (key === "grpc.port") grpc.port = Number(value);
    else if (key === "grpc.service") grpc.service = value;
    else if (key === "tcpSocket.port") probe.tcpSocket = { port: Number(value) };
    else probe[key] = Number(value);
  }
  const kinds = [probe.tcpSocket && "tcpSocket.*", http && "httpGet.*", Object.keys(grpc).length > 0 && "grpc.*"].filter(Boolean);
  if (kinds.length > 1) throw new UsageError(`${flag}: give one of ${kinds.join(" or ")}, not several: a probe is one check`);
  if (http) probe.httpGet = httpGet;
  if (Object.keys(grpc).length > 0) probe.grpc = grpc;
  return probe;
}

/**
 * `a=10,b=90` → { a: 10, b: 90 } for `--to-revisions` (keys are REVISION) and `--to-tags` (TAG).
 * Errors name the flag: `--to-revisions: expected REVISION=PERCENT, got 'a'`. A key given twice in
 * one value keeps its last (`a=10,a=20` is a=20), as gcloud's ArgDict does (its help's own example).
 */
export function parseAssignments(text: string, field: string): Record<string, number> {
  const keyLabel = field === "--to-tags" ? "TAG" : "REVISION";
  const violations: FieldViolation[] = [];
  const out: Record<string, number> = {};
  for (const item of splitList(text)) {
    const match = /^([^=\s]+)=(.*)$/.exec(item);
    if (match === null) {
      violations.push({ field, reason: `expected ${keyLabel}=PERCENT, got '${item}'` });
      continue;
    }
    const [, key, value] = match;
    if (!/^\d+$/.test(value) || Number(value) > 100) {
      violations.push({ field, reason: `percent for '${key}' must be a whole number between 0 and 100, got '${value}'` });
    } else {
      out[key] = Number(value);
    }
  }
  if (violations.length > 0) throw invalidFromViolations(violations);
  return out;
}

/**
 * A dict flag given more than once (`--to-revisions a=10 --to-revisions b=90`) is one dict, as
 * gcloud's UpdateAction merges the occurrences (commander alone keeps only the last, which sent the
 * 10 % elsewhere); a key in two occurrences is refused, as gcloud's "cannot be specified multiple times".
 */
export function mergeRepeated<T>(
  texts: readonly string[],
  field: string,
  parse: (text: string, field: string) => Record<string, T>,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const text of texts) {
    for (const [key, value] of Object.entries(parse(text, field))) {
      if (key in out) throw invalidFromViolations([{ field, reason: `'${key}' cannot be given in more than one ${field}` }]);
      out[key] = value;
    }
  }
  return out;
}

function tagProblem(tag: string): string | undefined {
  const parsed = tagNameSchema.safeParse(tag);
  return parsed.success ? undefined : `tag '${tag}' ${parsed.error.issues[0]?.message ?? "is not valid"}`;
}

/** `--set-tags canary=svc-00002-abc,latest=LATEST` → { canary: "svc-00002-abc", latest: "LATEST" }; a tag given twice keeps its last, as gcloud's ArgDict. */
export function parseTagAssignments(text: string, field = "--set-tags"): Record<string, string> {
  const violations: FieldViolation[] = [];
  const out: Record<string, string> = {};
  for (const item of splitList(text)) {
    const match = /^([^=\s]+)=([^=\s]+)$/.exec(item);
    if (match === null) {
      violations.push({ field, reason: `expected TAG=REVISION, got '${item}'` });
      continue;
    }
    const [, tag, revision] = match;
    const problem = tagProblem(tag);
    if (problem !== undefined) violations.push({ field, reason: problem });
    else out[tag] = revision;
  }
  if (violations.length > 0) throw invalidFromViolations(violations);
  return out;
}

/** `--remove-tags a,b` → ["a", "b"]; repeats are harmless and dropped. */
export function parseTagList(text: string, field = "--remove-tags"): string[] {
  const violations: FieldViolation[] = [];
  const tags: string[] = [];
  for (const tag of splitList(text)) {
    const problem = tag === "" ? `expected TAG,TAG,..., got '${text}'` : tagProblem(tag);
    if (problem !== undefined) violations.push({ field, reason: problem });
    else if (!tags.includes(tag)) tags.push(tag);
  }
  if (violations.length > 0) throw invalidFromViolations(violations);
  return tags;
}
