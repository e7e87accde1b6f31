import { EngineError, EngineUnreachableError } from "../client/api-client";
import { EngineStartError } from "../client/launcher";
import { httpStatusOf, SkiffError } from "../model/errors";

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** A plain aligned table: the first row is the header. */
export function printTable(rows: string[][]): void {
  if (rows.length <= 1) return;
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const row of rows)
    process.stdout.write(
      row
        .map((cell, i) => (cell ?? "").padEnd(widths[i]))
        .join("  ")
        .trimEnd() + "\n",
    );
}

/** For commands that are not about a resource (engine status): table or their own JSON. */
export function print(format: "table" | "json", json: unknown, table: () => void): void {
  if (format === "json") printJson(json);
  else table();
}

/** API field paths as the CLI's flags name them, so an error points at what the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  "template.image": "--image",
  "template.env": "--update-env-vars",
  "template.port": "--port",
  "template.maxInstanceRequestConcurrency": "--concurrency",
  "template.scaling.minInstanceCount": "--min-instances",
  "template.scaling.maxInstanceCount": "--max-instances",
  "serviceScaling.minInstanceCount": "--min",
  "serviceScaling.maxInstanceCount": "--max",
  "serviceScaling.manualInstanceCount": "--scaling",
  "serviceScaling.scalingMode": "--scaling",
  "template.timeout": "--timeout",
  "template.resources.memory": "--memory",
  "template.resources.cpu": "--cpu",
  "template.command": "--command",
  "template.args": "--args",
  "template.startupProbe": "--startup-probe",
  "template.livenessProbe": "--liveness-probe",
  "template.serviceAccount": "--service-account",
  "template.secretEnv": "--set-secrets",
  "template.volumes": "--add-volume",
  "template.volumeMounts": "--add-volume-mount",
  ingress: "--ingress",
  invokers: "--allow-unauthenticated",
  tag: "--tag",
  noTraffic: "--no-traffic",
  labels: "--labels",
  revisionSuffix: "--revision-suffix",
};

/** The flag names of the command that ran, when they differ from deploy's (e.g. `jobs create --task-timeout`). */
let flagOfField: Record<string, string> = FLAG_OF_FIELD;

export function useFlagNames(names: Record<string, string>): void {
  flagOfField = names;
}

/** The sidecars' names in the order the template sent has them, so an error about `template.sidecars[i]` names its container. */
let sidecarNames: readonly string[] = [];

export function useSidecarNames(names: readonly string[]): void {
  sidecarNames = names;
}

/**
 * Per container (undefined: the ingress or a job's main container), the flag a field's values came
 * in where a field has several (`template.env`: --set-env-vars, --update-env-vars, --env-vars-file...),
 * so an error names the flag the user gave.
 */
let givenFlags: ReadonlyMap<string | undefined, Record<string, string>> = new Map();

export function useGivenFlags(byContainer: ReadonlyMap<string | undefined, Record<string, string>>): void {
  givenFlags = byContainer;
}

/** For a command whose input is a file (services replace): how the file names an engine field. */
let fieldNamer: ((field: string) => string) | undefined;

export function useFieldNamer(namer: (field: string) => string): void {
  fieldNamer = namer;
}

/** A field as the flags name it: `--set-secrets (template.secretEnv.X)`, `--container side: --cpu (template.sidecars[0].resources.cpu)`. */
export function describeField(field: string): string {
  if (fieldNamer) {
    const named = fieldNamer(field);
    return named !== field ? `${named} (${field})` : field;
  }
  const sidecar = /^template\.sidecars\[(\d+)\]\.(.+)$/.exec(field);
  const name = sidecar ? sidecarNames[Number(sidecar[1])] : undefined;
  // A sidecar's fields are the ingress container's fields, given in its --container group.
  if (sidecar && name !== undefined) return `--container ${name}: ${withFlag(`template.${sidecar[2]}`, field, givenFlags.get(name))}`;
  return withFlag(field, field, givenFlags.get(undefined));
}

function withFlag(lookedUp: string, field: string, given: Record<string, string> = {}): string {
  const covers = ([prefix]: [string, string]) =>
    lookedUp === prefix || lookedUp.startsWith(prefix + ".") || lookedUp.startsWith(prefix + "[");
  const flag = (Object.entries(given).find(covers) ?? Object.entries(flagOfField).find(covers))?.[1];
  return flag && flag !== field ? `${flag} (${field})` : field;
}

/** Prints the error as one line naming the flag or field, and returns the exit code: 1 user error, 2 engine or internal. */
export function reportError(error: unknown): number {
  if (error instanceof EngineError || isSkiffError(error)) {
    const { violations, userFault } = error;
    if (violations.length === 1) {
      process.stderr.write(`skiff: error: ${describeField(violations[0].field)}: ${violations[0].reason}\n`);
    } else if (violations.length > 1) {
      process.stderr.write(`skiff: error: the input has ${violations.length} problems:\n`);
      for (const v of violations) process.stderr.write(`  ${describeField(v.field)}: ${v.reason}\n`);
    } else {
      process.stderr.write(`skiff: error: ${error.message}\n`);
    }
    return userFault ? 1 : 2;
  }
  if (error instanceof EngineUnreachableError) {
    process.stderr.write(`skiff: error: ${error.message}\n`);
    return 2;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`skiff: error: ${error.message}\n`);
    return 1;
  }
  if (error instanceof EngineStartError) {
    process.stderr.write(`skiff: error: ${error.message}\n`);
    return error.userFault ? 1 : 2;
  }
  // Anything else is a bug or an environment problem: one line, the stack only when asked for.
  const detail = verbosity === "debug" ? ((error as Error)?.stack ?? String(error)) : ((error as Error)?.message ?? String(error));
  process.stderr.write(`skiff: internal error: ${detail}${verbosity === "debug" ? "" : " (run with --verbosity debug for details)"}\n`);
  return 2;
}

/**
 * A SkiffError, also one made by the daemon's own copy of model/errors.ts: `engine start
 * --foreground` loads the daemon from its own files beside this bundled CLI, so instanceof alone
 * would not see it.
 */
function isSkiffError(error: unknown): error is SkiffError {
  if (error instanceof SkiffError) return true;
  const e = error as Partial<SkiffError> | null;
  return e?.name === "SkiffError" && typeof e.code === "string" && e.code in httpStatusOf && Array.isArray(e.violations);
}

/** gcloud's --verbosity: only "debug" changes what errors print (their stack). */
let verbosity = "warning";

export function setVerbosity(level: string): void {
  verbosity = level;
}

/** A mistake in the command line itself, found before the engine is asked. */
export class UsageError extends Error {
  override name = "UsageError";
}
