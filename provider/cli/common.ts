import { Command, Option } from "commander";
import { EngineClient } from "../api/client";
import { engineHome } from "../engine/home";
import { projectNameSchema } from "../spec/names";
import { UsageError, type CommonOptions } from "./output";

/** `--project` and `--format` on every command (SPEC §5). */
export function withCommon(command: Command): Command {
  return command
    .option("--project <project>", "project (namespace) to work in", process.env.SKIFF_PROJECT ?? "default")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"));
}

export function commonOptions(options: Record<string, unknown>): CommonOptions {
  const project = String(options.project);
  const parsed = projectNameSchema.safeParse(project);
  if (!parsed.success) throw new UsageError(`--project: "${project}" ${parsed.error.issues[0]?.message}`);
  return { project, format: options.format as CommonOptions["format"] };
}

export function connect(): Promise<EngineClient> {
  return EngineClient.connect({ home: engineHome() });
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
