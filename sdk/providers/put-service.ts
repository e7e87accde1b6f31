import { canonicalJson } from "../../provider/base/canonical-json";
import type { EngineClient } from "../../provider/client/api-client";
import type { Revision } from "../../provider/model/revision";
import { serviceSpecSchema, type Service, type ServiceSpecInput } from "../../provider/model/service";
import { isConflict, isNotFound } from "./engine";

/**
 * Whether the engine's service already holds this spec in the parts its generation counts
 * (template, labels, ingress, custom audiences, description and default URL switch when given): then an update refused as stale would undo nobody's change.
 */
export function holdsSpec(service: Service, spec: ServiceSpecInput): boolean {
  const parsed = serviceSpecSchema.safeParse(spec);
  if (!parsed.success) return false;
  return (
    canonicalJson(parsed.data.template) === canonicalJson(service.template) &&
    canonicalJson(parsed.data.labels) === canonicalJson(service.labels) &&
    parsed.data.ingress === service.ingress &&
    (parsed.data.customAudiences === undefined ||
      canonicalJson(parsed.data.customAudiences) === canonicalJson(service.customAudiences ?? [])) &&
    (parsed.data.description === undefined || parsed.data.description === (service.description ?? "")) &&
    (parsed.data.defaultUriDisabled === undefined || parsed.data.defaultUriDisabled === (service.defaultUriDisabled ?? false)) &&
    (parsed.data.serviceScaling === undefined ||
      canonicalJson(parsed.data.serviceScaling) === canonicalJson(service.serviceScaling ?? { scalingMode: "AUTOMATIC" }))
  );
}

/** Why an update naming the generation the state last saw was refused. */
export type StaleUpdate = "changed" | "deleted";

export class StaleUpdateError extends Error {
  constructor(
    readonly why: StaleUpdate,
    cause: unknown,
  ) {
    super(`the service was ${why} outside this stack`, { cause });
  }
}

/**
 * Why a create finds the service there already, and the way out of each: Pulumi creates a
 * replacement before deleting the old one, which a service that keeps its name (its URL) cannot do.
 */
export function alreadyExistsMessage(name: string, project: string): string {
  return (
    `service "${name}" already exists in project "${project}": made outside this stack, left by a \`pulumi up\` interrupted while ` +
    `creating it, or this resource being replaced under the same name (e.g. \`pulumi up --replace\`), which needs the ` +
    `\`deleteBeforeReplace: true\` resource option; delete it with \`skiff services delete ${name} --project ${project}\` or choose another name`
  );
}

/** What the user does about a stale update: take the change in with a refresh, then `up` again. */
export function staleUpdateMessage(error: StaleUpdateError): string {
  return error.why === "deleted"
    ? "it was deleted outside this stack since Pulumi last saw it; run `pulumi refresh` to drop it from the state, then `pulumi up` creates it again"
    : "it was changed outside this stack since Pulumi last saw it; run `pulumi refresh` to take that change in, then `pulumi up` again";
}

/**
 * A service's create or update through the engine, naming the generation the state last saw
 * (0: it must not exist yet), so a change made outside the stack is not silently undone.
 *
 * A `pulumi up` interrupted after the engine took the update (Ctrl-C, or the engine stopped while
 * the revision started) leaves the state one generation behind: the rerun is refused as stale,
 * though the engine then holds exactly what it sends. That is no one else's change, so the rerun
 * goes on from the engine's generation: the engine makes the revision anew if the interrupted one
 * failed (an engine that stops fails the revisions it was starting), and one still starting is
 * waited for, as the update would have. Any other stale update throws a StaleUpdateError.
 */
export async function putService(
  client: EngineClient,
  project: string,
  name: string,
  spec: ServiceSpecInput,
  options: { expectedGeneration?: number; revisionSuffix?: string },
): Promise<{ service: Service; revision?: Revision }> {
  try {
    return await client.putService(project, name, spec, options);
  } catch (error) {
    if (!isConflict(error) || options.expectedGeneration === 0) throw error;
    const current = await client.getService(project, name).catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (!current) throw new StaleUpdateError("deleted", error);
    if (!holdsSpec(current, spec)) throw new StaleUpdateError("changed", error);
    const answer = await client.putService(project, name, spec, { ...options, expectedGeneration: current.generation });
    if (answer.revision) return answer;
    const started = await untilStarted(client, project, answer.service);
    return started ? { service: await client.getService(project, name), revision: started } : answer;
  }
}

/** The service's newest revision once it is ready or failed, when it was still starting; else undefined. */
async function untilStarted(client: EngineClient, project: string, service: Service): Promise<Revision | undefined> {
  const latest = service.latestCreatedRevision;
  if (latest === undefined || latest === service.latestReadyRevision) return undefined;
  let revision = await client.getRevision(project, latest);
  while (revision.status === "PENDING") revision = await client.getRevision(project, latest, 300);
  return revision;
}
