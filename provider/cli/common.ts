import { Command, Option } from "commander";
import { EngineClient } from "../client/api-client";
import { engineHome } from "../base/home";
import { projectNameSchema } from "../model/names";
import { FORMAT_HELP, parseFormat, type Format } from "./formats";
import { UsageError } from "./output";

export interface CommonOptions {
  project: string;
  format: Format;
}

/** `--project` and `--format` on every command; the format is a table unless the command prints what gcloud prints as YAML (IAM policies). */
export function withCommon(command: Command, defaultFormat: "table" | "yaml" = "table"): Command {
  return command
    .option("--project <project>", "project (namespace) to work in", process.env.SKIFF_PROJECT ?? "default")
    .addOption(
      new Option("--format <format>", `output format: ${FORMAT_HELP}`)
        .argParser(parseFormat)
        .default({ kind: defaultFormat }, defaultFormat),
    );
}

/** gcloud flags that mean something only on Google Cloud, by option name (commander's camelCase). */
const NO_LOCAL_EFFECT = {
  region: "--region <region>",
  platform: "--platform <platform>",
  executionEnvironment: "--execution-environment <env>",
} as const;

/** Accepts those of gcloud's cloud-only flags a command takes, hidden from help, so a pasted gcloud command works. */
export function withCloudOnlyFlags(command: Command, names: (keyof typeof NO_LOCAL_EFFECT)[]): Command {
  for (const name of names)
    command.addOption(new Option(NO_LOCAL_EFFECT[name], "accepted for gcloud compatibility; no local effect").hideHelp());
  return command;
}

/** Names the cloud-only flags given, once, on stderr. */
export function noteIgnoredFlags(options: Record<string, unknown>): void {
  const given = (Object.keys(NO_LOCAL_EFFECT) as (keyof typeof NO_LOCAL_EFFECT)[])
    .filter((name) => options[name] !== undefined)
    .map((name) => NO_LOCAL_EFFECT[name].split(" ")[0]);
  if (given.length > 0)
    process.stderr.write(
      `skiff: note: ${given.join(", ")} ${given.length === 1 ? "has" : "have"} no local effect and ${given.length === 1 ? "is" : "are"} ignored\n`,
    );
}

export function commonOptions(options: Record<string, unknown>): CommonOptions {
  return { project: checkedProject(options), format: options.format as Format };
}

/** `--project`, checked: it becomes an API path segment. */
export function checkedProject(options: Record<string, unknown>): string {
  const project = String(options.project);
  const parsed = projectNameSchema.safeParse(project);
  if (!parsed.success) throw new UsageError(`--project: "${project}" ${parsed.error.issues[0]?.message}`);
  return project;
}

export function connect(): Promise<EngineClient> {
  return EngineClient.connect({ home: engineHome() });
}
