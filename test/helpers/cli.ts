import type { Revision } from "../../provider/model/revision";
import type { Service } from "../../provider/model/service";
import type { CommandResult } from "./docker";
import type { TestEngine } from "./engine";

/**
 * The few CLI conversations every integration test has: deploy (or any command) and insist it
 * worked, describe, list. Failures carry the CLI's own output and the engine log, so a red test
 * explains itself.
 */

/** A startup deadline of a few seconds, so failing revisions fail fast (gcloud's flag syntax). */
export const SHORT_STARTUP_PROBE = ["--startup-probe", "timeoutSeconds=3,periodSeconds=3,failureThreshold=1"];

export async function deploy(engine: TestEngine, service: string, flags: string[]): Promise<CommandResult> {
  const result = await engine.skiff(["deploy", service, ...flags]);
  if (result.code !== 0) {
    throw new Error(
      `skiff deploy ${service} ${flags.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}\n${engine.logTail()}`,
    );
  }
  return result;
}

/** `skiff <args>` (with `input` on its stdin) that must succeed: otherwise it throws with the transcript and the engine log. */
export async function skiffOk(engine: TestEngine, args: string[], input?: string): Promise<CommandResult> {
  const result = await engine.skiff(args, { input });
  if (result.code !== 0) throw new Error(`${transcript(args, result)}\n${engine.logTail()}`);
  return result;
}

/** What the engine holds about a service (read through the admin API, in the engine's own shape). */
export async function describeService(engine: TestEngine, service: string, project = "default"): Promise<Service> {
  return (await engine.api()).getService(project, service);
}

/** The name of a just-deployed service's first revision, checked for its shape (`<service>-00001-abc`). */
export async function firstRevisionOf(engine: TestEngine, service: string): Promise<string> {
  const name = (await describeService(engine, service)).latestCreatedRevision ?? "";
  if (!new RegExp(`^${service}-00001-[a-z]{3}$`).test(name)) throw new Error(`unexpected first revision name "${name}" for ${service}`);
  return name;
}

export async function describeRevision(engine: TestEngine, revision: string, project = "default"): Promise<Revision> {
  return (await engine.api()).getRevision(project, revision);
}

export async function listServices(engine: TestEngine, project = "default"): Promise<Service[]> {
  return (await engine.api()).listServices(project);
}

export async function listRevisions(engine: TestEngine, service: string, project = "default"): Promise<Revision[]> {
  return (await engine.api()).listRevisions(project, service);
}

/** Lists print either a bare array or the API's `{ <kind>: [...] }`; both are fine for a user. */
export function listOf<T>(json: unknown, key: string): T[] {
  if (Array.isArray(json)) return json as T[];
  const inner = (json as Record<string, unknown> | null)?.[key];
  if (Array.isArray(inner)) return inner as T[];
  throw new Error(`expected a JSON list of ${key}, got: ${JSON.stringify(json).slice(0, 500)}`);
}

/** The Host header that reaches a service: `<service>.localhost` or `<service>.<project>.localhost`. */
export function hostOf(engine: TestEngine, service: string, project = "default"): string {
  const base = project === "default" ? `${service}.localhost` : `${service}.${project}.localhost`;
  return `${base}:${engine.ingressPort}`;
}

/** The `K_REVISION=...` line the fixture answers `GET /` with. */
export function revisionFromBody(body: string): string {
  return body.trim().replace(/^K_REVISION=/, "");
}

export function projectFlag(project?: string): string[] {
  return project ? ["--project", project] : [];
}

/** What the user typed plus what came back, for assertion messages. */
export function transcript(args: string[], result: CommandResult): string {
  return `$ skiff ${args.join(" ")}\n(exit ${result.code})\n${result.stdout}${result.stderr}`;
}
