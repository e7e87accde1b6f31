import * as path from "node:path";
import type { Command } from "commander";
import { BuildFailureError, type EngineClient } from "../client/api-client";
import type { BuildResult } from "../model/source-build";
import type { ContainerGroup } from "./container-flags";
import { UsageError } from "./output";
import { Progress } from "./progress";

export interface SourceFlags {
  image?: string;
  source?: string;
  dockerfile?: string;
}

/** `--source DIR` and `--dockerfile FILE`, for deploy, jobs deploy and jobs create. */
export function withSourceFlags(command: Command): Command {
  return command
    .option("--source <dir>", "build this directory with its Dockerfile and deploy the image (instead of --image)")
    .option("--dockerfile <file>", "with --source: the Dockerfile to build, relative to the directory (default Dockerfile)");
}

/**
 * With --source, builds the directory (the engine does, streaming its output here) and sets
 * flags.image to the built image's tag, and gives it as --image to the first of the command's
 * --container groups (the flags before any --container: the ingress or main container's, which is
 * where the template reads its image from), so the rest of the command is the same as with --image.
 * The build's lines are printed under the step on stderr (none with --format json).
 */
export async function imageFromSource(
  client: EngineClient,
  project: string,
  name: string,
  kind: "service" | "job",
  flags: SourceFlags,
  progress: Progress,
  groups: ContainerGroup[],
): Promise<BuildResult | undefined> {
  if (flags.source === undefined) {
    if (flags.dockerfile !== undefined) throw new UsageError("--dockerfile: only applies with --source");
    return undefined;
  }
  if (flags.image !== undefined) throw new UsageError("--source: give either --image or --source, not both");
  progress.step(`Building ${flags.source}`);
  try {
    const result = await client.buildSource(
      project,
      { name, kind, context: path.resolve(flags.source), dockerfile: flags.dockerfile },
      (line) => progress.line(line),
    );
    flags.image = result.image;
    groups[0].argv.push("--image", result.image);
    return result;
  } catch (error) {
    progress.fail();
    if (error instanceof BuildFailureError) {
      if (error.step) process.stderr.write(`The build failed at ${error.step}\n`);
      if (error.lastLines.length > 0) process.stderr.write(`Its last lines:\n${error.lastLines.map((l) => `  ${l}`).join("\n")}\n`);
    }
    throw error;
  }
}
