import type { ResourceChange } from "./preview-json";
import { viewsOf, type Template, type TrafficEntry } from "./resource-views";

/**
 * What runs now, the "before" of a review: per service its traffic as routed (revision, percent,
 * tag), its traffic as set, its revisions with their templates and digests, who may call it; the
 * domain mappings; and which images Docker has locally. Plain JSON, so a review can be recorded
 * and replayed. It comes from the engine (engine-state.ts) or, when no engine answers, from what
 * the Pulumi state recorded at the last `up` or `refresh` (below).
 */
export interface RevisionState {
  name: string;
  template: Template;
  imageDigest?: string;
  status?: string;
}

export interface RoutedEntry {
  revision: string;
  percent: number;
  tag?: string;
}

export interface ServiceState {
  project: string;
  name: string;
  exists: boolean;
  /** Who gets what now (LATEST entries resolved to the revision they reach); absent when not known. */
  routed?: RoutedEntry[];
  /** The list as set: [] means 100 % to the latest ready revision. Absent when not known. */
  traffic?: TrafficEntry[];
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  template?: Template;
  invokers?: string[];
  ingress?: string;
  /** Whether its URLs are off; absent when not known. */
  defaultUriDisabled?: boolean;
  /** Its service-level scaling (scalingMode, min, max, manual count); absent when not known. */
  serviceScaling?: Record<string, unknown>;
  revisions: Record<string, RevisionState>;
}

export interface CurrentState {
  /** "engine": read from the running engine now; "state": from the Pulumi state (last up or refresh). */
  source: "engine" | "state";
  /** Why the engine was not read, when it was not. */
  reason?: string;
  /** By `<project>/<service>`. */
  services: Record<string, ServiceState>;
  /** By domain. */
  domainMappings: Record<string, { project: string; service: string }>;
  /** Image reference → the id Docker has locally, or null when a deploy would pull it. */
  images: Record<string, string | null>;
}

export function serviceKey(project: string, name: string): string {
  return `${project}/${name}`;
}

export function emptyService(project: string, name: string): ServiceState {
  return { project, name, exists: false, routed: [], revisions: {} };
}

const record = (value: unknown): Record<string, unknown> => (value && typeof value === "object" ? (value as Record<string, unknown>) : {});

/** The list as set, read back from resolved statuses (each says whether it follows LATEST). */
function trafficOf(statuses: unknown): TrafficEntry[] {
  if (!Array.isArray(statuses)) return [];
  return statuses.map((raw) => {
    const s = record(raw);
    const entry: TrafficEntry = String(s.type).endsWith("LATEST")
      ? { type: "LATEST", percent: Number(s.percent) }
      : { type: "REVISION", revision: String(s.revision), percent: Number(s.percent) };
    if (typeof s.tag === "string") entry.tag = s.tag;
    return entry;
  });
}

function routedOf(statuses: unknown): RoutedEntry[] {
  if (!Array.isArray(statuses)) return [];
  return statuses.map((raw) => {
    const s = record(raw);
    const entry: RoutedEntry = { revision: String(s.revision), percent: Number(s.percent) };
    if (typeof s.tag === "string") entry.tag = s.tag;
    return entry;
  });
}

/**
 * "Before" from the preview alone: the old outputs Pulumi recorded. Only resources that change
 * appear in a preview, so a service is known here only through its changing resources; its
 * traffic is the TrafficTarget's statuses, else the Service's trafficStatuses, as of the last
 * `pulumi up` or `pulumi refresh`.
 */
export function stateFromPreview(changes: ResourceChange[], reason: string): CurrentState {
  const state: CurrentState = { source: "state", reason, services: {}, domainMappings: {}, images: {} };
  const serviceOf = (project: string, name: string) => (state.services[serviceKey(project, name)] ??= emptyService(project, name));
  const routedByTraffic = new Map<string, RoutedEntry[]>();
  for (const change of changes) {
    if (change.op === "create") continue;
    const before = viewsOf(change).before;
    const outputs = change.oldOutputs ?? {};
    if (before?.kind === "service") {
      const s = serviceOf(before.service.project, before.service.name);
      Object.assign(s, { exists: true, template: before.service.template, ingress: before.service.ingress });
      if (typeof before.service.defaultUriDisabled === "boolean") s.defaultUriDisabled = before.service.defaultUriDisabled;
      if (before.service.serviceScaling && typeof before.service.serviceScaling === "object")
        s.serviceScaling = before.service.serviceScaling as Record<string, unknown>;
      if (before.service.invokers) s.invokers = before.service.invokers;
      if (before.service.traffic) s.traffic = before.service.traffic;
      if (!routedByTraffic.has(serviceKey(s.project, s.name))) {
        s.routed = routedOf(outputs.trafficStatuses);
        s.traffic ??= trafficOf(outputs.trafficStatuses);
      }
      for (const key of ["latestCreatedRevision", "latestReadyRevision"] as const)
        if (typeof outputs[key] === "string") s[key] = outputs[key];
      if (s.latestCreatedRevision)
        s.revisions[s.latestCreatedRevision] = { name: s.latestCreatedRevision, template: before.service.template };
    } else if (before?.kind === "revision" && change.id) {
      const s = serviceOf(before.revision.project, before.revision.service);
      s.exists = true;
      const digest = typeof outputs.imageDigest === "string" ? { imageDigest: outputs.imageDigest } : {};
      s.revisions[change.id] = { name: change.id, template: before.revision.template, ...digest };
    } else if (before?.kind === "traffic") {
      const s = serviceOf(before.traffic.project, before.traffic.service);
      s.exists = true;
      s.traffic = before.traffic.traffic;
      s.routed = routedOf(outputs.statuses);
      routedByTraffic.set(serviceKey(s.project, s.name), s.routed);
    } else if (before?.kind === "domainMapping") {
      state.domainMappings[before.mapping.domain] = { project: before.mapping.project, service: before.mapping.service };
    }
  }
  // A service that only resources being created refer to is in the state but not in the preview
  // (it does not change): it exists, and what it serves now is not known here.
  const created = new Set(
    changes
      .filter((c) => c.op === "create")
      .map((c) => viewsOf(c).after)
      .filter((v) => v?.kind === "service")
      .map((v) => (v?.kind === "service" ? serviceKey(v.service.project, v.service.name) : "")),
  );
  for (const change of changes) {
    const view = viewsOf(change).after;
    const target = view?.kind === "revision" ? view.revision : view?.kind === "traffic" ? view.traffic : undefined;
    if (!target) continue;
    const key = serviceKey(target.project, target.service);
    if (!state.services[key] && !created.has(key))
      state.services[key] = { ...emptyService(target.project, target.service), exists: true, routed: undefined };
  }
  return state;
}
