import { invalidFromViolations, renameViolations, type FieldViolation } from "../model/errors";
import { MAX_CONTAINERS } from "../model/containers";
import { ALL_USERS } from "../model/iam";
import { parseServiceSpec, type Ingress, type ServiceSpec } from "../model/service";
import type { TrafficTargetInput } from "../model/traffic";
import { refusedFields, SERVICE_REFUSED } from "./field-rules";
import { v2KeyViolations } from "./system-keys";
import { fromWire, SERVICE_TEMPLATE_FIELDS, serviceTemplateFields, wirePathOf, type FieldMapping } from "./template-fields";

/**
 * A Cloud Run v2 Service (decoded by wire-codec.ts, enums as names) as the spec skiff's service
 * controller applies: its template through the field table, ingress and traffic through the enum
 * tables below, customAudiences as they are (the service's own, no revision's), and errors named by the paths the client sent (`service.template.timeout`).
 */

/** IngressTraffic ↔ skiff's ingress setting; INGRESS_TRAFFIC_NONE has no local counterpart. */
export const INGRESS_OF_WIRE: Readonly<Record<string, Ingress | undefined>> = {
  INGRESS_TRAFFIC_UNSPECIFIED: undefined,
  INGRESS_TRAFFIC_ALL: "all",
  INGRESS_TRAFFIC_INTERNAL_ONLY: "internal",
  INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER: "internal-and-cloud-load-balancing",
};

export const TRAFFIC_TYPE_OF_WIRE: Readonly<Record<string, "LATEST" | "REVISION" | undefined>> = {
  TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED: undefined,
  TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST: "LATEST",
  TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION: "REVISION",
};

export interface ServiceRequest {
  spec: ServiceSpec;
  /** The template's own revision name (`template.revision`), as a suffix after `<service>-`. */
  revisionSuffix?: string;
}

export interface ServiceContext {
  /** The service's name (from the path, or `serviceId`). */
  name: string;
  /** Where the message sits in the request: `service`. */
  root: string;
  /** Its invokers now, for an update; undefined when it is being created. */
  currentInvokers?: readonly string[];
}

type Wire = Record<string, unknown>;

export function serviceSpecFromV2(wire: Wire, ctx: ServiceContext): ServiceRequest {
  const { root } = ctx;
  const violations: FieldViolation[] = refusedFields(wire, SERVICE_REFUSED, root);
  const template = (wire.template ?? {}) as Wire;
  violations.push(
    ...v2KeyViolations(wire.labels, `${root}.labels`, "labels"),
    ...v2KeyViolations(wire.annotations, `${root}.annotations`, "annotations"),
    ...v2KeyViolations(template.labels, `${root}.template.labels`, "labels"),
    ...v2KeyViolations(template.annotations, `${root}.template.annotations`, "annotations"),
  );
  const layout = containerLayout((template.containers ?? []) as unknown[], `${root}.template.containers`, violations);
  const fields = serviceTemplateFields(layout.ingressAt, layout.sidecarsAt);
  const engineTemplate = fromWire(fields, template, `${root}.template`, violations);
  // Cloud Run reports the probe's port even when it is the container's; pinning it would make a
  // later change of the port leave the probe behind.
  type Checks = { tcpSocket?: { port?: number }; httpGet?: { port?: number }; grpc?: { port?: number } };
  const probe = engineTemplate.startupProbe as Checks | undefined;
  const containerPort = (engineTemplate.port as number | undefined) ?? 8080;
  if (probe?.tcpSocket?.port !== undefined && probe.tcpSocket.port === containerPort) delete probe.tcpSocket;
  for (const p of [probe, engineTemplate.livenessProbe as Checks | undefined]) {
    if (p?.httpGet?.port !== undefined && p.httpGet.port === containerPort) delete p.httpGet.port;
    if (p?.grpc?.port !== undefined && p.grpc.port === containerPort) delete p.grpc.port;
  }

  let ingress: Ingress | undefined;
  if (typeof wire.ingress === "string") {
    if (!(wire.ingress in INGRESS_OF_WIRE))
      violations.push({
        field: `${root}.ingress`,
        reason: `${wire.ingress} is not supported locally: a service with no ingress answers nobody`,
      });
    else ingress = INGRESS_OF_WIRE[wire.ingress];
  }

  const traffic = ((wire.traffic ?? []) as Wire[]).map((t) => {
    const entry: TrafficTargetInput = { percent: (t.percent as number | undefined) ?? 0 };
    const type = TRAFFIC_TYPE_OF_WIRE[t.type as string];
    if (type !== undefined) entry.type = type;
    if (t.revision) entry.revision = t.revision as string;
    if (t.tag) entry.tag = t.tag as string;
    return entry;
  });

  let revisionSuffix: string | undefined;
  const revision = template.revision as string | undefined;
  if (revision) {
    if (!revision.startsWith(`${ctx.name}-`) || revision.length === ctx.name.length + 1)
      violations.push({
        field: `${root}.template.revision`,
        reason: `a revision's name must start with the service's name and a hyphen ("${ctx.name}-..."), got "${revision}"`,
      });
    else revisionSuffix = revision.slice(ctx.name.length + 1);
  }
  if (violations.length > 0) throw invalidFromViolations(violations);

  const body = {
    template: engineTemplate,
    labels: (wire.labels as Record<string, string> | undefined) ?? {},
    ...(ingress ? { ingress } : {}),
    // As Cloud Run's Service.traffic says: empty or not provided is 100% to the latest ready
    // revision. The request is the whole service (an updateMask merged the rest in already), so
    // an update that leaves traffic out sends everything to the latest revision, pins and tags gone.
    traffic,
    invokers: invokersFor(wire.invokerIamDisabled === true, ctx.currentInvokers),
    // The request is the whole service (an updateMask merged the rest in already): none given, none kept.
    customAudiences: wire.customAudiences ?? [],
    description: (wire.description as string | undefined) ?? "",
    defaultUriDisabled: wire.defaultUriDisabled === true,
    serviceScaling: serviceScalingFromV2(wire.scaling as Wire | undefined),
    // Kept and answered, as Cloud Run's "should be preserved when modifying objects"; none given, none kept.
    annotations: (wire.annotations as Record<string, string> | undefined) ?? {},
  };
  const spec = withWirePaths(
    () => parseServiceSpec(body),
    root,
    (r, path) => serviceWirePath(r, path, fields),
  );
  return { spec, revisionSuffix };
}

/**
 * Service.scaling (ServiceScaling) as the model's service scaling: proto3's 0 is unset, and
 * SCALING_MODE_UNSPECIFIED is automatic. Checked by the model's schema (paths `scaling.<field>`).
 */
function serviceScalingFromV2(scaling: Wire | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!scaling) return out;
  for (const field of ["minInstanceCount", "maxInstanceCount", "manualInstanceCount"])
    if (scaling[field] !== undefined) out[field] = scaling[field];
  if (scaling.scalingMode === "MANUAL") out.scalingMode = "MANUAL";
  return out;
}

/**
 * Who may call the service. Cloud Run makes a service private until its IAM policy says
 * otherwise, and so does this API (skiff's own deploy makes services public). invokerIamDisabled
 * (anyone may call, without IAM) is allUsers as an invoker locally, added; turning it off leaves
 * the policy to the IAM calls, as in Cloud Run, where the two are set apart.
 */
function invokersFor(iamDisabled: boolean, current: readonly string[] | undefined): string[] | undefined {
  if (current === undefined) return iamDisabled ? [ALL_USERS] : [];
  if (!iamDisabled || current.includes(ALL_USERS)) return undefined;
  return [...current, ALL_USERS];
}

/** Engine paths outside the template, and the wire's name for each. */
const SERVICE_FIELDS: Readonly<Record<string, string>> = {
  traffic: "traffic",
  labels: "labels",
  ingress: "ingress",
  invokers: "invokerIamDisabled",
  customAudiences: "customAudiences",
  description: "description",
  defaultUriDisabled: "defaultUriDisabled",
  serviceScaling: "scaling",
  annotations: "annotations",
  revisionSuffix: "template.revision",
  expectedGeneration: "etag",
};

/**
 * Which of a RevisionTemplate's containers is the ingress container: the one with ports (Cloud
 * Run's rule once there are several; the only one otherwise); the others are sidecars, in order.
 */
function containerLayout(containers: unknown[], at: string, violations: FieldViolation[]): { ingressAt: number; sidecarsAt: number[] } {
  if (containers.length === 0) violations.push({ field: at, reason: "one container is required (its image)" });
  if (containers.length > MAX_CONTAINERS)
    violations.push({ field: at, reason: `an instance has at most ${MAX_CONTAINERS} containers, got ${containers.length}` });
  if (containers.length <= 1) return { ingressAt: 0, sidecarsAt: [] };
  const withPorts = containers.flatMap((c, i) => {
    const ports = (c as Wire | null)?.ports;
    return Array.isArray(ports) && ports.length > 0 ? [i] : [];
  });
  if (withPorts.length !== 1) {
    violations.push({
      field: at,
      reason: `exactly one container has ports (the ingress container; the others are sidecars), got ${withPorts.length}`,
    });
    return { ingressAt: 0, sidecarsAt: [] };
  }
  return { ingressAt: withPorts[0], sidecarsAt: containers.flatMap((_, i) => (i === withPorts[0] ? [] : [i])) };
}

/**
 * An engine path of a service spec as the client's path: `template.timeout` →
 * `service.template.timeout`, `template.sidecars[0].dependsOn[0]` → `service.template.containers[1].dependsOn[0]`.
 * `fields` places the containers as the client sent them (by default, as skiff writes them).
 */
export function serviceWirePath(root: string, enginePath: string, fields: readonly FieldMapping[] = SERVICE_TEMPLATE_FIELDS): string {
  const inTemplate = wirePathOf(fields, "template", `${root}.template`, enginePath);
  if (inTemplate !== undefined) return inTemplate;
  if (enginePath === "template") return `${root}.template`;
  if (enginePath === "template.sidecars") return `${root}.template.containers`;
  const head = /^[^.[]+/.exec(enginePath)?.[0] ?? enginePath;
  const wire = SERVICE_FIELDS[head];
  return wire === undefined ? enginePath : `${root}.${wire}${enginePath.slice(head.length)}`;
}

/** Runs `fn`, renaming the fields of an INVALID_ARGUMENT it throws into the client's paths. */
export function withWirePaths<T>(fn: () => T, root: string, toWire: (root: string, path: string) => string = serviceWirePath): T {
  try {
    return fn();
  } catch (error) {
    throw renameViolations(error, (field) => toWire(root, field));
  }
}
