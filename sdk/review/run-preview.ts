import { execFile } from "node:child_process";
import { firstError, type PreviewJson } from "./preview-json";

/** A review that cannot be made, for a reason the user can act on (the CLI's exit 1). */
export class ReviewError extends Error {
  override name = "ReviewError";
}

/** The preview's JSON, from `pulumi preview --json` or a file: checked to be that, not just any JSON. */
export function parsePreview(text: string, from: string): PreviewJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReviewError(`${from} is not JSON: ${(error as Error).message.replace(/\s+/g, " ")}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || !("steps" in parsed || "diagnostics" in parsed)) {
    throw new ReviewError(`${from} is not the output of \`pulumi preview --json\` (it has no "steps")`);
  }
  return parsed as PreviewJson;
}

export interface PreviewOptions {
  /** The program's folder. */
  cwd: string;
  stack?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `pulumi preview --json` in the program's folder, as the user would. A preview that fails
 * (the program throws, a check fails) is the user's to fix: its first error, as one line.
 */
export function runPreview(options: PreviewOptions): Promise<PreviewJson> {
  const args = ["preview", "--json", "--non-interactive", ...(options.stack ? ["--stack", options.stack] : [])];
  return new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      args,
      { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
          reject(
            new ReviewError(
              missing
                ? "pulumi is not on PATH: install the Pulumi CLI, or give a preview with --preview-file"
                : `pulumi preview did not finish: ${error.message}`,
            ),
          );
          return;
        }
        let preview: PreviewJson | undefined;
        try {
          preview = parsePreview(stdout, "the output of `pulumi preview --json`");
        } catch {
          preview = undefined;
        }
        if (error || !preview) {
          const why =
            (preview && firstError(preview)) ?? stderr.trim().split("\n").filter(Boolean).pop() ?? `exit code ${String(error?.code)}`;
          reject(new ReviewError(`pulumi preview failed in ${options.cwd}: ${why}`));
          return;
        }
        resolve(preview);
      },
    );
  });
}
