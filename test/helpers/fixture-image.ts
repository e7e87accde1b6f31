import * as path from "node:path";
import { buildNodeImage } from "./node-image";

/**
 * The image every integration test deploys: test/fixtures/server.js on the host's node, `FROM
 * scratch`. Built once per content (the tag carries a hash) and reused across runs and test files.
 */

export const FIXTURE_REPOSITORY = "skiff-test/fixture";

/** A file of test/fixtures in the source tree; the compiled helper lives in dist/test/helpers. */
export function fixturePath(name: string): string {
  return path.resolve(__dirname, "..", "..", "..", "test", "fixtures", name);
}

/** The fixture server script. */
export function fixtureScriptPath(): string {
  return fixturePath("server.js");
}

let building: Promise<string> | undefined;

/** The fixture image's tag, built on first use in this process. */
export function fixtureImage(): Promise<string> {
  building ??= buildNodeImage({
    script: fixtureScriptPath(),
    repository: FIXTURE_REPOSITORY,
    labels: { "skiff.test": "true" },
  }).catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return building;
}
