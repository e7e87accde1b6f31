import { EngineError, type EngineClient } from "../../provider/client/api-client";
import { isPlaceholder } from "../preview-values/placeholders";
import { isUnknown } from "../preview-values/unknowns";
import { emptyService, serviceKey, type CurrentState, type ServiceState } from "./current-state";
import type { ResourceChange } from "./preview-json";
import { viewsOf, type View } from "./resource-views";

/**
 * "Before" from the running engine: every service the preview touches (its traffic as routed and
 * as set, its revisions, who may call it), the domain mappings of the projects involved, and the
 * local id of every image the program asks for. Reads only; asks everything at once.
 */
export async function stateFromEngine(client: EngineClient, changes: ResourceChange[]): Promise<CurrentState> {
  const services = new Map<string, { project: string; name: string }>();
  const images = new Set<string>();
  for (const change of changes) {
    const { before, after } = viewsOf(change);
    for (const view of [before, after]) {
      const target = serviceOf(view);
      if (target && known(target.project) && known(target.name)) services.set(serviceKey(target.project, target.name), target);
    }
    const image = imageOf(after);
    if (image !== undefined) images.add(image);
  }
  const projects = new Set([...services.values()].map((s) => s.project));
  const [serviceStates, mappings, imageIds] = await Promise.all([
    Promise.all([...services.values()].map((s) => readService(client, s.project, s.name))),
    Promise.all([...projects].map((p) => client.listDomainMappings(p))),
    Promise.all([...images].map(async (image) => [image, await client.localImage(image).then((i) => i.id, notFoundAs(null))] as const)),
  ]);
  return {
    source: "engine",
    services: Object.fromEntries(serviceStates.map((s) => [serviceKey(s.project, s.name), s])),
    domainMappings: Object.fromEntries(mappings.flat().map((m) => [m.domain, { project: m.project, service: m.service }])),
    images: Object.fromEntries(imageIds),
  };
}

const known = (value: string) => !isUnknown(value) && !isPlaceholder(value);

function serviceOf(view: View | undefined): { project: string; name: string } | undefined {
  switch (view?.kind) {
    case "service":
      return { project: view.service.project, name: view.service.name };
    case "revision":
      return { project: view.revision.project, name: view.revision.service };
    case "traffic":
      return { project: view.traffic.project, name: view.traffic.service };
    case "invokers":
      return { project: view.grant.project, name: view.grant.service };
    case "domainMapping":
      return { project: view.mapping.project, name: view.mapping.service };
    default:
      return undefined;
  }
}

function imageOf(view: View | undefined): string | undefined {
  const template = view?.kind === "service" ? view.service.template : view?.kind === "revision" ? view.revision.template : undefined;
  const image = template?.image;
  return typeof image === "string" && known(image) ? image : undefined;
}

function notFoundAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof EngineError && error.status === 404) return value;
    throw error;
  };
}

async function readService(client: EngineClient, project: string, name: string): Promise<ServiceState> {
  const service = await client.getService(project, name).catch(notFoundAs(undefined));
  if (!service) return emptyService(project, name);
  const revisions = await client.listRevisions(project, name);
  const state: ServiceState = {
    project,
    name,
    exists: true,
    routed: service.trafficStatuses.map((s) =>
      s.tag === undefined ? { revision: s.revision, percent: s.percent } : { revision: s.revision, percent: s.percent, tag: s.tag },
    ),
    traffic: service.traffic.map((t) => ({ ...t, type: t.type ?? (t.revision === undefined ? "LATEST" : "REVISION") })),
    template: service.template,
    invokers: service.invokers,
    ingress: service.ingress,
    defaultUriDisabled: service.defaultUriDisabled ?? false,
    serviceScaling: service.serviceScaling ?? { scalingMode: "AUTOMATIC" },
    revisions: Object.fromEntries(
      revisions.map((r) => [r.name, { name: r.name, template: r.template, imageDigest: r.imageDigest, status: r.status }]),
    ),
  };
  if (service.latestCreatedRevision) state.latestCreatedRevision = service.latestCreatedRevision;
  if (service.latestReadyRevision) state.latestReadyRevision = service.latestReadyRevision;
  return state;
}
