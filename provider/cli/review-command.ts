import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { buildReport, currentState, renderReview, ReviewError } from "../../sdk/review";
import { parsePreview, runPreview } from "../../sdk/review/run-preview";
import { UsageError } from "./output";

/**
 * `skiff review`: the traffic-effect report of a `pulumi preview`, for a pull request. A thin
 * wrapper over sdk/review: it gets the preview (runs `pulumi preview --json` in the program's
 * folder, or reads one from a file or stdin), and prints the report as Markdown or JSON.
 */
export function reviewCommand(): Command {
  return new Command("review")
    .description("report who gets what traffic after a `pulumi preview` of a skiff program (Markdown for a pull request, or JSON)")
    .option("--cwd <dir>", "the Pulumi program's folder, where `pulumi preview --json` runs", ".")
    .option("-s, --stack <stack>", "the stack to preview (default: the selected one)")
    .option("--preview-file <file>", "read `pulumi preview --json` output from FILE (- for stdin) instead of running it")
    .addOption(new Option("--format <format>", "markdown (GitHub-flavoured) or json").choices(["markdown", "json"]).default("markdown"))
    .option("--no-engine", 'take "before" from the Pulumi state instead of the running engine')
    .action(async (options) => {
      if (options.previewFile !== undefined && (options.stack !== undefined || options.cwd !== ".")) {
        throw new UsageError("--preview-file: give either a preview file or --cwd/--stack to run one, not both");
      }
      const preview =
        options.previewFile !== undefined
          ? readPreview(options.previewFile)
          : await runPreview({ cwd: options.cwd, stack: options.stack }).catch((error: unknown) =>
              rethrowAsUsageError(error, options.stack !== undefined ? "--cwd/--stack: " : "--cwd: "),
            );
      // The engine is read when it runs, never started: a review changes nothing.
      const engine = options.engine === false ? false : undefined;
      const state = await currentState(preview, engine);
      process.stdout.write(renderReview(buildReport(preview, state), options.format));
    });
}

function readPreview(file: string) {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new UsageError(`--preview-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parsePreview(text, file === "-" ? "stdin" : file);
  } catch (error) {
    return rethrowAsUsageError(error, "--preview-file: ");
  }
}

/** A ReviewError is the user's input: the CLI's one-line usage error; anything else goes on as it is. */
function rethrowAsUsageError(error: unknown, prefix = ""): never {
  if (error instanceof ReviewError) throw new UsageError(`${prefix}${error.message}`);
  throw error;
}
