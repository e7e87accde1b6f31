import { EngineClient, EngineError } from "../../provider/client/api-client";
import { runningEngine } from "../../provider/client/launcher";
import { DEFAULT_INGRESS_PORT } from "../../provider/base/defaults";
import { engineHome } from "../../provider/base/home";
import type { PreviewFacts } from "../check/known-at-preview";

/**
 * How the providers reach the engine. Nothing here is ever serialized into Pulumi state: the
 * settings come from the stack config the dynamic provider is configured with (`skiff:home`,
 * `skiff:autostart`, `skiff:ingressPort`, `skiff:apiPort`) or the environment (`SKIFF_HOME`), read
 * at call time in the provider process, so one state works on any machine and after any upgrade.
 */
export interface EngineSettings {
  home?: string;
  autostart: boolean;
  ingressPort?: string;
  apiPort?: string;
}

/** The part of Pulumi's dynamic-provider config the providers read. */
export interface ProviderConfig {
  get(key: string): string | undefined;
}

export function settingsFrom(config: ProviderConfig | undefined, env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const get = (key: string) => config?.get(`skiff:${key}`) || undefined;
  return {
    home: get("home") ?? (env.SKIFF_HOME || undefined),
    autostart: (get("autostart") ?? "true") !== "false",
    ingressPort: get("ingressPort"),
    apiPort: get("apiPort"),
  };
}

/** The flags the engine is started with when a provider has to start it. */
export function startFlags(settings: EngineSettings): string[] {
  const flags: string[] = [];
  if (settings.ingressPort !== undefined) flags.push("--ingress-port", settings.ingressPort);
  if (settings.apiPort !== undefined) flags.push("--api-port", settings.apiPort);
  return flags;
}

/**
 * One provider process serves one `pulumi` run with one stack config; `configure` records it here
 * and every method connects with it (the connection is made once, lazily).
 */
let settings: EngineSettings | undefined;
let client: Promise<EngineClient> | undefined;

export function configure(config: ProviderConfig | undefined): void {
  settings = settingsFrom(config);
  client = undefined;
}

export function engine(): Promise<EngineClient> {
  const s = settings ?? settingsFrom(undefined);
  client ??= EngineClient.connect({
    home: engineHome(s.home),
    autostart: s.autostart,
    startFlags: startFlags(s),
  }).catch((error: unknown) => {
    client = undefined;
    throw error;
  });
  return client;
}

/**
 * What `check` may learn from an engine that already runs; it never starts one (a preview changes
 * nothing) and a failed lookup only leaves the value unknown.
 */
export async function previewFacts(image?: unknown): Promise<PreviewFacts> {
  const s = settings ?? settingsFrom(undefined);
  const running = runningEngine(engineHome(s.home));
  if (!running) {
    // Port 0 lets the engine pick one: then nobody knows it before it starts.
    const startPort = Number(s.ingressPort ?? DEFAULT_INGRESS_PORT);
    return s.autostart && Number.isInteger(startPort) && startPort > 0 ? { startPort } : {};
  }
  const facts: PreviewFacts = { ingressPort: running.ingressPort };
  if (typeof image === "string") {
    facts.imageId = await engine()
      .then((client) => client.localImage(image))
      .then(
        (local) => local.id,
        () => undefined,
      );
  }
  return facts;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof EngineError && error.status === 404;
}

/** The engine refused a change based on a stale read (someone else changed the object). */
export function isConflict(error: unknown): boolean {
  return error instanceof EngineError && error.status === 409 && error.violations.some((v) => v.field === "expectedGeneration");
}

/** Prefixes what the provider was doing to the engine's own message (which names fields and entries). */
export function explain(action: string, error: unknown): Error {
  return new Error(`${action}: ${error instanceof Error ? error.message : String(error)}`);
}
