import type { Command } from "commander";
import { readRequestFile } from "./file-input";
import { envListFlag, listFlag } from "./flags";
import { UsageError } from "./output";

/**
 * gcloud's flags for environment variables and labels, with gcloud's semantics: `--set-env-vars`
 * (and `--env-vars-file`) replace the whole set, `--update-env-vars` (and skiff's `--env`) add or
 * change, `--remove-env-vars` remove, `--clear-env-vars` empties; the same for labels.
 */
export interface EnvFlags {
  setEnvVars?: Record<string, string>;
  updateEnvVars?: Record<string, string>;
  env?: Record<string, string>;
  removeEnvVars?: string[];
  clearEnvVars?: boolean;
  envVarsFile?: string;
}

/**
 * commander's parser for `--set-env-vars`/`--update-env-vars`/`--env`, as gcloud's ArgDict and
 * StripKeys read them (calliope/arg_parsers.py, command_lib/run/flags.py): `K=V,K2=V2` or with
 * gcloud's `^DELIM^` prefix; a name loses the spaces around it, a value keeps its own (`A= x `
 * is " x "); one trailing delimiter is allowed, an empty item elsewhere is refused (gcloud:
 * "Invalid flag value []"). Repeated flags add up.
 */
export function envVarsFlag(flag: string) {
  return (value: string, previous: Record<string, string> = {}): Record<string, string> => {
    const env = { ...previous };
    // Not flags.ts' splitList: it trims each item, and a value keeps its spaces.
    const custom = /^\^([^^]+)\^/.exec(value);
    const [separator, text] = custom ? [custom[1], value.slice(custom[0].length)] : [",", value];
    const items = text.split(separator);
    if (items.length > 1 && items.at(-1) === "") items.pop();
    for (const item of items) {
      if (item === "") throw new UsageError(`${flag}: an empty item in "${value}" (two delimiters in a row, or one first)`);
      const eq = item.indexOf("=");
      const name = item.slice(0, Math.max(eq, 0)).trim();
      if (eq < 0 || name === "") throw new UsageError(`${flag}: expected KEY=VALUE,KEY2=VALUE2, got "${item}"`);
      env[name] = item.slice(eq + 1);
    }
    return env;
  };
}

export interface LabelFlags {
  labels?: Record<string, string>;
  updateLabels?: Record<string, string>;
  removeLabels?: string[];
  clearLabels?: boolean;
}

/** gcloud's four label flags, on a command that changes a service or a job (`owner` names it in the help). */
export function withLabelFlags(command: Command, owner: string): Command {
  return command
    .option("--labels <K=V,...>", `labels; replaces the ${owner}'s set`, envListFlag("--labels"))
    .option("--update-labels <K=V,...>", "labels to add or change", envListFlag("--update-labels"))
    .option("--remove-labels <K,...>", "labels to remove", listFlag)
    .option("--clear-labels", "remove every label");
}

/** The label flags' own conflicts (gcloud's rule, as envFlagsProblem checks it), thrown. */
export function checkLabelFlags(flags: LabelFlags): void {
  const { labels, updateLabels, removeLabels, clearLabels } = flags;
  const problem = envFlagsProblem({ labels, updateLabels, removeLabels, clearLabels });
  if (problem) throw new UsageError(problem);
}

/** As gcloud: at most one of --clear-env-vars | --env-vars-file | --set-env-vars | (--update-env-vars and/or --remove-env-vars). */
export function envFlagsProblem(flags: EnvFlags & LabelFlags): string | undefined {
  const env = [
    flags.clearEnvVars ? "--clear-env-vars" : undefined,
    flags.envVarsFile !== undefined ? "--env-vars-file" : undefined,
    flags.setEnvVars !== undefined ? "--set-env-vars" : undefined,
    flags.updateEnvVars !== undefined || flags.env !== undefined || flags.removeEnvVars !== undefined
      ? "--update-env-vars/--remove-env-vars"
      : undefined,
  ].filter(Boolean);
  if (env.length > 1) return `${env[0]}: cannot be combined with ${env.slice(1).join(", ")}`;
  const labels = [
    flags.clearLabels ? "--clear-labels" : undefined,
    flags.labels !== undefined ? "--labels" : undefined,
    flags.updateLabels !== undefined || flags.removeLabels !== undefined ? "--update-labels/--remove-labels" : undefined,
  ].filter(Boolean);
  if (labels.length > 1) return `${labels[0]}: cannot be combined with ${labels.slice(1).join(", ")}`;
  return undefined;
}

export function applyEnvFlags(current: Record<string, string>, flags: EnvFlags): Record<string, string> {
  if (flags.clearEnvVars) return {};
  if (flags.envVarsFile !== undefined) return readEnvVarsFile(flags.envVarsFile);
  if (flags.setEnvVars !== undefined) return { ...flags.setEnvVars };
  const env = { ...current, ...flags.env, ...flags.updateEnvVars };
  for (const name of flags.removeEnvVars ?? []) delete env[name];
  return env;
}

export function applyLabelFlags(current: Record<string, string>, flags: LabelFlags): Record<string, string> {
  if (flags.clearLabels) return {};
  if (flags.labels !== undefined) return { ...flags.labels };
  const labels = { ...current, ...flags.updateLabels };
  for (const name of flags.removeLabels ?? []) delete labels[name];
  return labels;
}

/**
 * `--env-vars-file`: a YAML mapping of names to strings, read as gcloud reads it (map_util.py's
 * ArgDictFile with env_vars_util.EnvVarValueType): YAML 1.1, so `yes`, `on`, `0x10`, `010` and
 * dates are not strings (nor are `Y` and `N`); a value or name that is not a string is refused
 * (gcloud: "Environment variable values must be strings"; a name such as `Y` crashes it), as is a file that is not a mapping (an empty one too); a name given
 * twice takes its last value, as gcloud's YAML loader does.
 */
function readEnvVarsFile(file: string): Record<string, string> {
  const text = readRequestFile(file, "--env-vars-file");
  // Loaded here only: most commands never read YAML.
  const { parse } = require("yaml") as typeof import("yaml");
  let parsed: unknown;
  try {
    // mapAsMap keeps each name's own type: YAML 1.1 reads an unquoted Y, N, on or 1 as no string.
    parsed = parse(text, { version: "1.1", uniqueKeys: false, mapAsMap: true });
  } catch (error) {
    throw new UsageError(`--env-vars-file: "${file}" is not YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (!(parsed instanceof Map))
    throw new UsageError(`--env-vars-file: "${file}" must be a mapping of NAME: "value" (gcloud refuses anything else, an empty file too)`);
  const env: Record<string, string> = {};
  for (const [name, value] of parsed as Map<unknown, unknown>) {
    if (typeof name !== "string")
      throw new UsageError(
        `--env-vars-file: the name ${String(name)} must be a string, got ${yamlKind(name)}; quote it ("${String(name)}": ...) as gcloud requires`,
      );
    if (typeof value !== "string")
      throw new UsageError(
        `--env-vars-file: the value of ${name} must be a string, got ${yamlKind(value)} ${JSON.stringify(value instanceof Map ? Object.fromEntries(value) : value) ?? String(value)}; quote it (${name}: "...") as gcloud requires`,
      );
    env[name] = value;
  }
  return env;
}

function yamlKind(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Date) return "the date";
  if (Array.isArray(value)) return "the list";
  return typeof value === "object" ? "the mapping" : `the ${typeof value}`;
}
