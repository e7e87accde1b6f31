import type { Revision } from "../model/revision";
import type { Service } from "../model/service";
import type { ServiceTemplate } from "../model/template";
import { condition, etagOf, failedCondition, uidOf } from "./conditions";
import { revisionResourceName, serviceResourceName, type Scope } from "./resource-names";
import { INGRESS_OF_WIRE, TRAFFIC_TYPE_OF_WIRE } from "./service-from-v2";
import { v2Labels } from "./system-keys";
import { SERVICE_TEMPLATE_FIELDS, toWire } from "./template-fields";

/**
 * skiff's services and revisions as Cloud Run v2 Service and Revision messages (enums as names;
 * wire-codec.ts writes them as the client asked). Conditions follow Cloud Run's: a service's
 * terminalCondition "Ready" succeeds once its newest revision is ready, fails with the revision's
 * error when that failed, and is pending (with `reconciling`) while it starts.
 */

type Wire = Record<string, unknown>;

const wireOf = <T extends string>(table: Readonly<Record<string, T | undefined>>, value: T): string =>
  Object.entries(table).find(([, v]) => v === value)![0];

/** A template as a v2 RevisionTemplate's fields (which a Revision message repeats at its top). */
export function templateToV2(t: ServiceTemplate): Wire {
  const wire = toWire(SERVICE_TEMPLATE_FIELDS, t);
  const container = (wire.containers as Wire[])[0];
  // Cloud Run names every port: http1 unless the template is HTTP/2 end to end (h2c, from the table).
  (container.ports as Wire[])[0].name ??= "http1";
  const probe = (container.startupProbe ??= {}) as Wire;
  // The probe checks the container's port unless it names another, as Cloud Run shows it.
  // A gRPC check with neither port nor service has no row of its own to write it: from the template.
  if (t.startupProbe.grpc) probe.grpc = { ...t.startupProbe.grpc, port: t.startupProbe.grpc.port ?? t.port };
  if (probe.httpGet !== undefined) (probe.httpGet as Wire).port ??= t.port;
  else if (probe.grpc === undefined && probe.tcpSocket === undefined) probe.tcpSocket = { port: t.port };
  const liveness = container.livenessProbe as Wire | undefined;
  if (liveness?.httpGet !== undefined) (liveness.httpGet as Wire).port ??= t.port;
  if (liveness && t.livenessProbe?.grpc) liveness.grpc = { ...t.livenessProbe.grpc, port: t.livenessProbe.grpc.port ?? t.port };
  return wire;
}

export interface ServiceLinks {
  /** The service's newest revision of its own, when it is not the ready one (starting or failed). */
  latestCreated?: Revision;
  etag: string;
}

export function serviceToV2(s: Service, scope: Scope, links: ServiceLinks): Wire {
  const latestCreated = links.latestCreated;
  const failed = latestCreated?.status === "FAILED" ? latestCreated : undefined;
  const ready = s.latestReadyRevision !== undefined && s.latestReadyRevision === s.latestCreatedRevision;
  const state = failed ? "CONDITION_FAILED" : ready ? "CONDITION_SUCCEEDED" : "CONDITION_PENDING";
  const terminal = failed
    ? failedCondition("Ready", s.updateTime, failed.error, "REVISION_FAILED")
    : condition("Ready", state, s.updateTime);
  const revisionName = (r: string | undefined) => (r === undefined ? undefined : revisionResourceName(scope, s.name, r));
  return {
    name: serviceResourceName(scope, s.name),
    uid: uidOf("service", s.project, s.name, s.createTime),
    generation: s.generation,
    // Knative-style labels ("/" in the key) are v1 metadata, which v2 reads do not show (system-keys.ts).
    labels: v2Labels(s.labels),
    ...(s.annotations ? { annotations: s.annotations } : {}),
    createTime: s.createTime,
    updateTime: s.updateTime,
    ingress: wireOf(INGRESS_OF_WIRE, s.ingress),
    launchStage: "GA",
    // template.revision is part of the spec Cloud Run answers with: sent back with another
    // template, it names a revision that exists, and the update fails as it does there.
    template: { ...templateToV2(s.template), ...(s.templateRevision ? { revision: s.templateRevision } : {}) },
    traffic: (s.traffic.length > 0 ? s.traffic : [{ type: "LATEST" as const, percent: 100 }]).map((t) => ({
      type: wireOf(TRAFFIC_TYPE_OF_WIRE, t.type ?? (t.revision ? "REVISION" : "LATEST")),
      revision: t.revision,
      percent: t.percent,
      tag: t.tag,
    })),
    observedGeneration: s.generation,
    terminalCondition: terminal,
    conditions: [
      condition("RoutesReady", s.latestReadyRevision !== undefined ? "CONDITION_SUCCEEDED" : "CONDITION_PENDING", s.updateTime),
      failed
        ? failedCondition("ConfigurationsReady", s.updateTime, failed.error, "REVISION_FAILED")
        : condition("ConfigurationsReady", state, s.updateTime),
    ],
    latestReadyRevision: revisionName(s.latestReadyRevision),
    latestCreatedRevision: revisionName(s.latestCreatedRevision),
    trafficStatuses: s.trafficStatuses.map((t) => ({
      type: wireOf(TRAFFIC_TYPE_OF_WIRE, t.type),
      revision: t.revision,
      percent: t.percent,
      tag: t.tag,
      uri: t.url,
    })),
    // Its own URLs off: no uri and no urls, as Cloud Run answers with defaultUriDisabled.
    ...(s.url ? { uri: s.url, urls: [s.url] } : {}),
    ...(s.customAudiences?.length ? { customAudiences: s.customAudiences } : {}),
    ...(s.description ? { description: s.description } : {}),
    ...(s.defaultUriDisabled ? { defaultUriDisabled: true } : {}),
    ...serviceScalingToV2(s.serviceScaling),
    reconciling: state === "CONDITION_PENDING",
    etag: links.etag,
  };
}

export function revisionToV2(r: Revision, scope: Scope, links: { etag: string; logUri: string }): Wire {
  const state = r.status === "READY" ? "CONDITION_SUCCEEDED" : r.status === "FAILED" ? "CONDITION_FAILED" : "CONDITION_PENDING";
  const ready =
    r.status === "FAILED" ? failedCondition("Ready", r.createTime, r.error, "REVISION_FAILED") : condition("Ready", state, r.createTime);
  return {
    name: revisionResourceName(scope, r.service, r.name),
    uid: uidOf("revision", r.project, r.name, r.createTime),
    generation: 1,
    createTime: r.createTime,
    updateTime: r.createTime,
    launchStage: "GA",
    service: serviceResourceName(scope, r.service),
    ...templateToV2(r.template),
    // A revision carries its template's labels, as on Cloud Run.
    labels: { ...r.template.labels, ...(r.origin === "candidate" ? { "skiff.dev/origin": "candidate" } : {}) },
    reconciling: r.status === "PENDING",
    conditions: [
      ready,
      r.instanceError
        ? failedCondition("ContainerHealthy", r.createTime, r.instanceError, "UNKNOWN")
        : condition("ContainerHealthy", state, r.createTime),
      condition("ResourcesAvailable", state, r.createTime),
    ],
    observedGeneration: 1,
    logUri: links.logUri,
    etag: links.etag,
  };
}

/** A service's etag: over what a client may change (its spec and traffic), not over live status. */
export function serviceEtag(s: Service): string {
  return etagOf({ generation: s.generation, template: s.template, labels: s.labels, ingress: s.ingress, traffic: s.traffic });
}

export function revisionEtag(r: Revision): string {
  return etagOf({ name: r.name, status: r.status, error: r.error, instanceError: r.instanceError });
}

/** The service's own scaling as Service.scaling; left out when it has none (automatic, no bounds). */
function serviceScalingToV2(s: Service["serviceScaling"]): Wire {
  if (!s) return {};
  if (s.scalingMode === "MANUAL") return { scaling: { scalingMode: "MANUAL", manualInstanceCount: s.manualInstanceCount ?? 0 } };
  if (!s.minInstanceCount && !s.maxInstanceCount) return {};
  return {
    scaling: {
      ...(s.minInstanceCount ? { minInstanceCount: s.minInstanceCount } : {}),
      ...(s.maxInstanceCount ? { maxInstanceCount: s.maxInstanceCount } : {}),
      scalingMode: "AUTOMATIC",
    },
  };
}
