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

/** `--project` and `--format` on every command. */
export function withCommon(command: Command): Command {
  return command
    .option("--project <project>", "project (namespace) to work in", process.env.SKIFF_PROJECT ?? "default")
    .addOption(new Option("--format <format>", `output format: ${FORMAT_HELP}`).argParser(parseFormat).default({ kind: "table" }, "table"));
}

export function commonOptions(options: Record<string, unknown>): CommonOptions {
  const project = String(options.project);
  const parsed = projectNameSchema.safeParse(project);
  if (!parsed.success) throw new UsageError(`--project: "${project}" ${parsed.error.issues[0]?.message}`);
  return { project, format: options.format as Format };
}

export function connect(): Promise<EngineClient> {
  return EngineClient.connect({ home: engineHome() });
}
