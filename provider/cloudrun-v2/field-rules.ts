import { JOB_LIVENESS_PROBE_REFUSED } from "../model/job";
import type { FieldViolation } from "../model/errors";

/**
 * What the v2 API does with fields skiff cannot honour, as data. A field in the template tables
 * (template-fields.ts) or read by the translation changes what runs; a field refused here has a
 * meaning skiff cannot give, so accepting it would not be a rehearsal of production (an
 * INVALID_ARGUMENT naming it); every other field of the schema is accepted and has no local
 * effect (a VPC connector, an encryption key, launch stage, annotations, and the output-only
 * fields a client sends back from a read). The SDK's pulumi-gcp shapes follow the same choices
 * (sdk/gcp/field-rules.ts).
 */

const SUB_PATH = "a volume is mounted whole here; mount it at the path you need and remove subPath";
const WORKING_DIR = "skiff's engine runs the image's own working directory; remove workingDir (or set it in the image)";
const SOURCE = "builds from source are not run locally: give the container an image";
const ENV_SOURCE = "an execution's overrides take plain values here; give the variable a value (or set the secret in the job's template)";
const EXTRA_PORT = "skiff serves one port per container; give one port";

/** Paths with `[*]` for every item of a list, and the reason each is refused. */
export type RefusedFields = Readonly<Record<string, string>>;

const CONTAINER_REFUSED = (c: string): Record<string, string> => ({
  [`${c}.volumeMounts[*].subPath`]: SUB_PATH,
  [`${c}.workingDir`]: WORKING_DIR,
  [`${c}.sourceCode`]: SOURCE,
});

export const SERVICE_REFUSED: RefusedFields = {
  ...CONTAINER_REFUSED("template.containers[*]"),
  "template.containers[*].ports[1]": EXTRA_PORT,
  buildConfig: SOURCE,
};

export const JOB_REFUSED: RefusedFields = {
  ...CONTAINER_REFUSED("template.template.containers[*]"),
  "template.template.containers[*].livenessProbe": JOB_LIVENESS_PROBE_REFUSED,
  startExecutionToken: "executions are started with RunJob here; remove startExecutionToken and call RunJob",
  runExecutionToken: "executions are started with RunJob here; remove runExecutionToken and call RunJob",
};

export const OVERRIDES_REFUSED: RefusedFields = {
  "containerOverrides[*].env[*].valueSource": ENV_SOURCE,
};

/** One violation per refused field present in `value` (empty lists and maps count as absent). */
export function refusedFields(value: unknown, rules: RefusedFields, root: string): FieldViolation[] {
  const violations: FieldViolation[] = [];
  for (const [pattern, reason] of Object.entries(rules)) {
    for (const path of presentPaths(value, pattern.split("."), "")) violations.push({ field: `${root}.${path}`, reason });
  }
  return violations;
}

function presentPaths(value: unknown, segments: string[], at: string): string[] {
  if (segments.length === 0) return isPresent(value) ? [at] : [];
  if (value === null || typeof value !== "object") return [];
  const [segment, ...rest] = segments;
  const match = /^([^[]+)(?:\[(\d+|\*)\])?$/.exec(segment);
  if (!match) throw new Error(`BUG: bad refused-field pattern segment "${segment}"`);
  const [, name, index] = match;
  const child = (value as Record<string, unknown>)[name];
  const here = at ? `${at}.${name}` : name;
  if (index === undefined) return presentPaths(child, rest, here);
  if (!Array.isArray(child)) return [];
  if (index === "*") return child.flatMap((item, i) => presentPaths(item, rest, `${here}[${i}]`));
  return Number(index) < child.length ? presentPaths(child[Number(index)], rest, `${here}[${index}]`) : [];
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}
