import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The package root, found from this file whether it runs from dist/ or is required by package name. */
export const packageRoot = join(__dirname, "..", "..", "..");

export const version: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();

/** The `skiff` command as installed: the bundled CLI (scripts/bundle-cli.js). */
export const cliEntry = join(packageRoot, "dist", "provider", "cli", "skiff.js");
