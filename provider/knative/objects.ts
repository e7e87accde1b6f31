import type { DomainMapping } from "../model/domain-mapping";
import { EXECUTION_COMPLETION_STATUS, type Execution, type Job } from "../model/job";
import type { Revision } from "../model/revision";
import type { Service } from "../model/service";
import type { ServiceTemplate } from "../model/template";
import { sidecarsToKnative } from "./containers";
import { mountsToKnative, type KnativeMounts } from "./volumes";
import { livenessProbeToKnative, startupProbeToKnative } from "./startup-probe";
import {
  CUSTOM_AUDIENCES_ANNOTATION,
  DEFAULT_URL_DISABLED_ANNOTATION,
  DESCRIPTION_ANNOTATION,
  SESSION_AFFINITY_ANNOTATION,
} from "./service-from-knative";
import { serviceScalingAnnotations } from "./service-scaling";

/**
 * skiff's objects as `gcloud run ... --format json|yaml|export` prints Cloud Run's: services and
 * revisions as Knative serving.knative.dev/v1 objects, domain mappings as domains.cloudrun.com/v1,
 * jobs and executions as run.googleapis.com/v1, so scripts written against gcloud keep working.
 * The project is the namespace; the ingress setting is the `run.googleapis.com/ingress` annotation
 * and a template's service account its `serviceAccountName`. The CLI prints these and the engine's
 * Knative-shaped v1 API answers with them (one implementation, so both say the same);
 * service-from-knative.ts reads a Service back.
 */

export type KnativeObject = Record<string, unknown>;

const SERVING = "serving.knative.dev/v1";

/**
 * The main container of a service's or a job's template as Knative has it: `head` (its image, and
 * for a service its name, first), then its command, args, env (values, then secret references) and
 * volume mounts; with the template's mounts, whose volumes and annotations go on the template.
 */
function mainContainerToKnative(
  t: ServiceTemplate | Job["template"],
  head: Record<string, unknown>,
): { container: Record<string, unknown>; mounts: KnativeMounts } {
  const container = head;
  if (t.command) container.command = t.command;
  if (t.args) container.args = t.args;
  const mounts = mountsToKnative(t);
  const env = [...Object.entries(t.env).map(([name, value]) => ({ name, value })), ...mounts.env];
  if (env.length > 0) container.env = env;
  if (mounts.volumeMounts.length > 0) container.volumeMounts = mounts.volumeMounts;
  return { container, mounts };
}

/** A revision template as the `spec.template` of a Knative Service (and the spec of a Revision). */
export function templateToKnative(t: ServiceTemplate, revisionName?: string): KnativeObject {
  const { container, mounts } = mainContainerToKnative(t, t.containerName ? { name: t.containerName, image: t.image } : { image: t.image });
  // Cloud Run's name for the port says the protocol: h2c is HTTP/2 end to end.
  container.ports = [{ containerPort: t.port, name: t.http2 ? "h2c" : "http1" }];
  container.resources = { limits: { cpu: t.resources.cpu, memory: t.resources.memory } };
  container.startupProbe = startupProbeToKnative(t.startupProbe, t.port);
  if (t.livenessProbe) container.livenessProbe = livenessProbeToKnative(t.livenessProbe, t.port);
  const sidecars = sidecarsToKnative(t);
  return {
    metadata: {
      ...(revisionName ? { name: revisionName } : {}),
      annotations: {
        "autoscaling.knative.dev/minScale": String(t.scaling.minInstanceCount),
        "autoscaling.knative.dev/maxScale": String(t.scaling.maxInstanceCount),
        ...mounts.annotations,
        ...sidecars.annotations,
        ...(t.sessionAffinity ? { [SESSION_AFFINITY_ANNOTATION]: "true" } : {}),
      },
    },
    spec: {
      containerConcurrency: t.maxInstanceRequestConcurrency,
      timeoutSeconds: t.timeout,
      ...serviceAccountName(t),
      containers: [container, ...sidecars.containers],
      ...(mounts.volumes.length > 0 ? { volumes: mounts.volumes } : {}),
    },
  };
}

/**
 * Printed only when set: gcloud prints the default compute account, but writing it back through
 * `services replace` would pin it and make a new revision of an unchanged service.
 */
function serviceAccountName(t: { serviceAccount?: string }): KnativeObject {
  return t.serviceAccount ? { serviceAccountName: t.serviceAccount } : {};
}

/**
 * The object's path in the v1 API, as Cloud Run fills metadata.selfLink: gcloud's `list --uri`
 * prints the endpoint with it (command_lib/run/commands.py) and `--format export` drops it.
 */
function selfLink(apiVersion: string, namespace: string, collection: string, name: string): string {
  return `/apis/${apiVersion}/namespaces/${namespace}/${collection}/${name}`;
}

function condition(type: string, ready: boolean | undefined, time: string, message?: string, reason?: string): KnativeObject {
  return {
    type,
    status: ready === undefined ? "Unknown" : ready ? "True" : "False",
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    lastTransitionTime: time,
  };
}

/** `latestCreated`, when given, says whether the newest revision is still starting or failed. */
export function serviceToKnative(s: Service, latestCreated?: Revision): KnativeObject {
  const ready =
    s.latestReadyRevision === undefined
      ? latestCreated?.status === "FAILED"
        ? false
        : undefined
      : s.latestCreatedRevision === s.latestReadyRevision
        ? true
        : latestCreated?.status === "FAILED"
          ? false
          : undefined;
  const message = ready === false ? latestCreated?.error : undefined;
  return {
    apiVersion: SERVING,
    kind: "Service",
    metadata: {
      name: s.name,
      namespace: s.project,
      selfLink: selfLink(SERVING, s.project, "services", s.name),
      generation: s.generation,
      creationTimestamp: s.createTime,
      labels: s.labels,
      annotations: {
        "run.googleapis.com/ingress": s.ingress,
        "run.googleapis.com/ingress-status": s.ingress,
        ...(s.customAudiences?.length ? { [CUSTOM_AUDIENCES_ANNOTATION]: JSON.stringify(s.customAudiences) } : {}),
        ...(s.description ? { [DESCRIPTION_ANNOTATION]: s.description } : {}),
        ...(s.defaultUriDisabled ? { [DEFAULT_URL_DISABLED_ANNOTATION]: "true" } : {}),
        ...serviceScalingAnnotations(s.serviceScaling),
      },
    },
    spec: {
      template: templateToKnative(s.template, s.latestCreatedRevision),
      traffic:
        s.traffic.length > 0
          ? s.traffic.map((t) => ({
              ...(t.type === "LATEST" ? { latestRevision: true } : { revisionName: t.revision }),
              percent: t.percent,
              ...(t.tag ? { tag: t.tag } : {}),
            }))
          : [{ latestRevision: true, percent: 100 }],
    },
    status: {
      observedGeneration: s.generation,
      conditions: [
        condition("Ready", ready, s.updateTime, message),
        condition("ConfigurationsReady", ready, s.updateTime, message),
        condition("RoutesReady", s.latestReadyRevision !== undefined, s.updateTime),
      ],
      latestCreatedRevisionName: s.latestCreatedRevision,
      latestReadyRevisionName: s.latestReadyRevision,
      traffic: s.trafficStatuses.map((t) => ({
        revisionName: t.revision,
        percent: t.percent,
        ...(t.type === "LATEST" ? { latestRevision: true } : {}),
        ...(t.tag ? { tag: t.tag } : {}),
        ...(t.url ? { url: t.url } : {}),
      })),
      // No URL when its own URLs are off, as Cloud Run's status then has none.
      ...(s.url ? { url: s.url, address: { url: s.url } } : {}),
    },
  };
}

export function revisionToKnative(r: Revision): KnativeObject {
  const ready = r.status === "READY" ? true : r.status === "FAILED" ? false : undefined;
  const template = templateToKnative(r.template);
  return {
    apiVersion: SERVING,
    kind: "Revision",
    metadata: {
      name: r.name,
      namespace: r.project,
      selfLink: selfLink(SERVING, r.project, "revisions", r.name),
      generation: 1,
      creationTimestamp: r.createTime,
      labels: {
        "serving.knative.dev/service": r.service,
        "serving.knative.dev/configuration": r.service,
        "serving.knative.dev/configurationGeneration": String(r.generation),
        ...(r.origin === "candidate" ? { "skiff.dev/origin": "candidate" } : {}),
      },
      annotations: (template.metadata as KnativeObject).annotations,
    },
    spec: template.spec,
    status: {
      observedGeneration: 1,
      conditions: [
        condition("Ready", ready, r.createTime, r.error),
        // Whether it serves a share of the traffic: gcloud's ACTIVE column (`revisions list`) reads
        // this condition's status. Knative gives it severity Info: it never makes the revision unready.
        ...(r.active === undefined ? [] : [{ ...condition("Active", r.active, r.createTime), severity: "Info" }]),
        condition("ContainerHealthy", ready, r.createTime, r.instanceError),
        condition("ResourcesAvailable", ready, r.createTime),
      ],
      imageDigest: r.imageDigest,
      containerStatuses: [{ name: "", imageDigest: r.imageDigest }],
      ...(r.scaling ? { actualReplicas: r.scaling.readyInstances, desiredReplicas: r.scaling.desired } : {}),
    },
  };
}

export function domainMappingToKnative(m: DomainMapping): KnativeObject {
  return {
    apiVersion: "domains.cloudrun.com/v1",
    kind: "DomainMapping",
    metadata: {
      name: m.domain,
      namespace: m.project,
      selfLink: selfLink("domains.cloudrun.com/v1", m.project, "domainmappings", m.domain),
      creationTimestamp: m.createTime,
    },
    spec: { routeName: m.service },
    status: { conditions: [condition("Ready", m.status === "READY", m.createTime)], mappedRouteName: m.service, url: m.url },
  };
}

/**
 * A job's (or an execution's) ExecutionSpec, and the annotations that go on the metadata above it:
 * Cloud Run's task template has no metadata, so a job's Cloud SQL instances and container
 * dependencies are annotations of its execution template (an execution's own).
 */
function jobTemplateSpec(t: Job["template"]): { spec: KnativeObject; annotations?: Record<string, string> } {
  const { container, mounts } = mainContainerToKnative(t, { image: t.image });
  container.resources = { limits: { cpu: t.resources.cpu, memory: t.resources.memory } };
  // The task's main container first, then its sidecars (the start order as the service's annotation).
  if (t.containerName) container.name = t.containerName;
  const sidecars = sidecarsToKnative(t);
  const annotations = { ...mounts.annotations, ...sidecars.annotations };
  const spec = {
    containers: [container, ...sidecars.containers],
    maxRetries: t.maxRetries,
    timeoutSeconds: String(t.timeout),
    ...serviceAccountName(t),
  };
  return {
    spec: {
      parallelism: t.parallelism,
      taskCount: t.taskCount,
      template: { spec: { ...spec, ...(mounts.volumes.length > 0 ? { volumes: mounts.volumes } : {}) } },
    },
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

export function jobToCloudRun(j: Job): KnativeObject {
  const { spec, annotations } = jobTemplateSpec(j.template);
  return {
    apiVersion: "run.googleapis.com/v1",
    kind: "Job",
    metadata: { name: j.name, namespace: j.project, generation: j.generation, creationTimestamp: j.createTime, labels: j.labels },
    // The execution template always has metadata, as Cloud Run's has (its annotations at least):
    // gcloud's `jobs describe` reads the template's annotations and crashes ("This instance is
    // spec-only") on a template without metadata.
    spec: { template: { metadata: annotations ? { annotations } : {}, spec } },
    status: {
      observedGeneration: j.generation,
      // A job is ready to run once the engine has it (gcloud waits for this after jobs create).
      conditions: [condition("Ready", true, j.updateTime)],
      executionCount: j.executionCount,
      ...(j.latestExecution
        ? {
            latestCreatedExecution: {
              name: j.latestExecution.name,
              creationTimestamp: j.latestExecution.createTime,
              completionTimestamp: j.latestExecution.completionTime,
              // What a script reads to know how the last run went (v1 ExecutionReference.completionStatus).
              completionStatus: EXECUTION_COMPLETION_STATUS[j.latestExecution.status],
            },
          }
        : {}),
    },
  };
}

export function executionToCloudRun(e: Execution): KnativeObject {
  const done = e.status !== "RUNNING";
  const { spec, annotations } = jobTemplateSpec(e.template);
  return {
    apiVersion: "run.googleapis.com/v1",
    kind: "Execution",
    metadata: {
      name: e.name,
      namespace: e.project,
      creationTimestamp: e.createTime,
      labels: { "run.googleapis.com/job": e.job },
      ...(annotations ? { annotations } : {}),
    },
    spec,
    status: {
      // Completed, ResourcesAvailable and Started, as Cloud Run's v1 Execution has them (and the v2 one
      // here). gcloud's `jobs execute` without --wait polls for Started: without it, it never returns.
      conditions: [
        // A failed or cancelled execution's Completed says why in its reason, as Cloud Run's does:
        // gcloud's `executions cancel` reports "Failed to cancel" unless that reason is Cancelled.
        condition(
          "Completed",
          done ? e.status === "SUCCEEDED" : undefined,
          e.completionTime ?? e.startTime,
          e.error,
          e.status === "CANCELLED" ? "Cancelled" : e.status === "FAILED" ? "NonZeroExitCode" : undefined,
        ),
        condition("ResourcesAvailable", true, e.startTime),
        condition("Started", true, e.startTime),
        ...(e.status === "CANCELLED" ? [condition("Cancelled", true, e.completionTime ?? e.startTime)] : []),
      ],
      startTime: e.startTime,
      ...(e.completionTime ? { completionTime: e.completionTime } : {}),
      runningCount: e.runningCount,
      succeededCount: e.succeededCount,
      failedCount: e.failedCount,
      cancelledCount: e.cancelledCount,
      retriedCount: e.retriedCount,
    },
  };
}
