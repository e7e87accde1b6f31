import { engineHome } from "../../provider/base/home";
import { EngineClient, EngineUnreachableError } from "../../provider/client/api-client";
import { stateFromPreview, type CurrentState } from "./current-state";
import { stateFromEngine } from "./engine-state";
import { renderMarkdown } from "./markdown";
import { resourceChanges, type PreviewJson } from "./preview-json";
import { buildReport, type ReviewReport } from "./report";
import { parsePreview, runPreview } from "./run-preview";

/**
 * `skiff review` as a library: the traffic-effect report of a `pulumi preview`, for a pull request.
 *
 *   import { review, renderReview } from "skiff-run";
 *   const report = await review({ cwd: "infra", stack: "staging" });
 *   console.log(renderReview(report, "markdown"));
 */
export interface ReviewOptions {
  /** The program's folder, where `pulumi preview --json` runs (default: the current folder). */
  cwd?: string;
  stack?: string;
  /** A preview already made: the output of `pulumi preview --json`, as text or parsed. */
  preview?: PreviewJson | string;
  /** The engine to read what runs now from. Default: the program's (its `skiff:home`, else SKIFF_HOME), if it runs; it is never started. false: the Pulumi state's record instead. */
  engine?: EngineClient | false;
  /** Environment for `pulumi preview` (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export type { ReviewReport } from "./report";
export { buildReport } from "./report";
export { renderMarkdown } from "./markdown";
export { ReviewError } from "./run-preview";
export type { CurrentState } from "./current-state";

export async function review(options: ReviewOptions = {}): Promise<ReviewReport> {
  const preview =
    typeof options.preview === "string"
      ? parsePreview(options.preview, "the preview given")
      : (options.preview ?? (await runPreview({ cwd: options.cwd ?? process.cwd(), stack: options.stack, env: options.env })));
  return buildReport(preview, await currentState(preview, options.engine));
}

/** What runs now: the engine's answer, or the Pulumi state's record when no engine answers. */
export async function currentState(preview: PreviewJson, engine?: EngineClient | false): Promise<CurrentState> {
  const changes = resourceChanges(preview);
  if (engine === false) return stateFromPreview(changes, "the review was asked not to read the engine");
  let client = engine;
  if (!client) {
    const home = engineHome(typeof preview.config?.["skiff:home"] === "string" ? preview.config["skiff:home"] : undefined);
    try {
      client = await EngineClient.connect({ home, autostart: false });
    } catch (error) {
      if (error instanceof EngineUnreachableError) return stateFromPreview(changes, `no engine runs in ${home.root}`);
      throw error;
    }
  }
  return stateFromEngine(client, changes);
}

export function renderReview(report: ReviewReport, format: "markdown" | "json"): string {
  return format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report);
}
