import { statSync } from "node:fs";
import type { EngineHome } from "../base/home";
import { invalid } from "../model/errors";

/**
 * The engine's home must be a directory, or not exist yet (the engine makes it). Anything else is
 * the user's to fix: an error naming SKIFF_HOME, not an internal error from deep inside a mkdir.
 */
export function checkHome(home: EngineHome): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(home.root).isDirectory();
  } catch {
    return; // Not there yet: made on the engine's first start.
  }
  if (!isDirectory)
    throw invalid("SKIFF_HOME", `${home.root} is not a directory; point SKIFF_HOME at a directory, or unset it for ~/.skiff`);
}
