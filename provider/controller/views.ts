import { serviceUrl, tagUrl } from "../model/derived-names";
import type { Revision, RevisionScaling } from "../model/revision";
import type { Service } from "../model/service";
import { type TrafficStatus, resolveTraffic, trafficEntryBlockingDelete } from "../model/traffic";
import type { RevisionRow, ServiceRow } from "../state/store";

/** A revision's live instance status, where the engine runs instances for it. */
export type ScalingLookup = (project: string, revision: string) => RevisionScaling | undefined;

/** What a service looks like once its traffic is resolved against its revisions. */
export interface ResolvedService {
  row: ServiceRow;
  revisions: RevisionRow[];
  latestCreated?: RevisionRow;
  latestReady?: RevisionRow;
  statuses: TrafficStatus[];
}

/**
 * The service's own latest revisions: only revisions made from its template count, so a
 * candidate made by a Revision resource never becomes "latest" and never gets LATEST traffic.
 */
export function resolveService(row: ServiceRow, revisions: RevisionRow[], ingressPort: number): ResolvedService {
  const own = revisions.filter((r) => r.origin === "service");
  const latestCreated = own[0];
  const latestReady = own.find((r) => r.status === "READY");
  // A service whose own URLs are off has no tag URLs either: they are run.app URLs on Cloud Run.
  const statuses = resolveTraffic(row.traffic, latestReady?.name, (tag) =>
    tag === undefined || row.defaultUriDisabled ? undefined : tagUrl(row.project, row.name, tag, ingressPort),
  );
  return { row, revisions, latestCreated, latestReady, statuses };
}

/**
 * Why `name` may not be deleted, as Cloud Run refuses: it is the service's latest revision (its
 * template is the service's; Knative would make it again), or it can receive traffic (percent or a
 * tag URL). Cloud Run's Manage revisions page: a revision cannot be deleted if it can receive
 * traffic, is the only revision of the service, or is the latest revision of the service.
 */
export function revisionDeleteBlocker(s: ResolvedService, name: string): string | undefined {
  const service = s.row.name;
  if (s.latestCreated?.name === name) {
    return `revision "${name}" is the latest revision of service "${service}" and cannot be deleted; deploy a newer revision first, or delete the service`;
  }
  const blocking = trafficEntryBlockingDelete(s.statuses, name);
  if (blocking) return `revision "${name}" still serves ${blocking} of service "${service}"; move its traffic and tags first`;
  return undefined;
}

export function serviceView(s: ResolvedService, ingressPort: number, scalingOf: ScalingLookup, invokers: string[]): Service {
  const { row } = s;
  const scaling = s.revisions.flatMap((r) => {
    const status = scalingOf(r.project, r.name);
    return status ? [{ revision: r.name, ...status }] : [];
  });
  return {
    name: row.name,
    project: row.project,
    template: row.template,
    labels: row.labels,
    ingress: row.ingress,
    invokers,
    customAudiences: row.customAudiences,
    ...(row.description ? { description: row.description } : {}),
    ...(row.defaultUriDisabled ? { defaultUriDisabled: true } : {}),
    serviceScaling: row.serviceScaling,
    ...(row.templateRevision ? { templateRevision: row.templateRevision } : {}),
    ...(row.annotations && Object.keys(row.annotations).length > 0 ? { annotations: row.annotations } : {}),
    traffic: row.traffic,
    trafficStatuses: s.statuses,
    url: row.defaultUriDisabled ? "" : serviceUrl(row.project, row.name, ingressPort),
    latestCreatedRevision: s.latestCreated?.name,
    latestReadyRevision: s.latestReady?.name,
    generation: row.generation,
    scaling,
    createTime: row.createTime,
    updateTime: row.updateTime,
  };
}

export function revisionView(r: RevisionRow, statuses: readonly TrafficStatus[], scaling?: RevisionScaling): Revision {
  return {
    name: r.name,
    project: r.project,
    service: r.service,
    generation: r.generation,
    template: r.template,
    image: r.image,
    imageDigest: r.imageDigest,
    ...(r.sidecarDigests ? { sidecarImageDigests: r.sidecarDigests } : {}),
    status: r.status,
    error: r.error,
    instanceError: r.instanceError,
    scaling,
    origin: r.origin,
    createTime: r.createTime,
    urls: statuses.filter((s) => s.revision === r.name && s.url).map((s) => s.url!),
    active: statuses.some((s) => s.revision === r.name && s.percent > 0),
  };
}
