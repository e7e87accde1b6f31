import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run, type CommandResult } from "./docker";
import { startEngine, type TestEngine } from "./engine";
import { fixtureImage } from "./fixture-image";

/**
 * Google's own gcloud pointed at a test engine, as README says: the endpoint override for Cloud
 * Run, the admin port as gcloud's HTTP proxy (gcloud puts the region in front of the endpoint's
 * host), the engine's token from a file, and a config folder of the test's own.
 */

export const GCLOUD = "/usr/bin/gcloud";

export function requireGcloud(): void {
  if (!existsSync(GCLOUD))
    throw new Error(
      `${GCLOUD} is missing: these tests need Google's Cloud CLI (the google-cloud-cli Debian package from Google's own repository; it is on this workplace's machines, not in Debian's or PyPI's)`,
    );
}

export function gcloud(engine: TestEngine, config: string, args: string[], timeoutMs = 300_000): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CLOUDSDK_CONFIG: config,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: `http://localhost:${engine.apiPort}/`,
    CLOUDSDK_PROXY_TYPE: "http",
    CLOUDSDK_PROXY_ADDRESS: "127.0.0.1",
    CLOUDSDK_PROXY_PORT: String(engine.apiPort),
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: path.join(engine.home, "token"),
    CLOUDSDK_CORE_PROJECT: "default",
    CLOUDSDK_CORE_DISABLE_PROMPTS: "1",
    CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API: "false",
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: "true",
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: "true",
  };
  return run(GCLOUD, args, { env, timeoutMs });
}

/** gcloud's output; a non-zero exit throws with its stderr and the tail of the engine's log. */
export async function gcloudOk(engine: TestEngine, config: string, args: string[]): Promise<string> {
  const result = await gcloud(engine, config, args);
  if (result.code !== 0) throw new Error(`gcloud ${args.join(" ")} exited ${result.code}:\n${result.stderr}\n${engine.logTail()}`);
  return result.stdout;
}

/** What a gcloud test file runs against: an engine of its own, the fixture image, and a gcloud config folder of its own. */
export async function startGcloudBed(): Promise<{ engine: TestEngine; image: string; config: string }> {
  requireGcloud();
  const [image, engine, config] = await Promise.all([
    fixtureImage(),
    startEngine(),
    fs.mkdtemp(path.join(os.tmpdir(), "skiff-gcloud-config-")),
  ]);
  return { engine, image, config };
}

/** Disposes what startGcloudBed made (either may be missing when the start failed). */
export async function disposeGcloudBed(engine: TestEngine | undefined, config: string | undefined): Promise<void> {
  await engine?.dispose();
  if (config) await fs.rm(config, { recursive: true, force: true });
}
