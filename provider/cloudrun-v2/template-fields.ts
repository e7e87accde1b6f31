import type { FieldViolation } from "../model/errors";
import { getPath, pathParts, setPath } from "./field-paths";

/**
 * Where each field of skiff's templates sits in Cloud Run v2's messages, as data: one table per
 * template, each row an engine path and a wire path, with a conversion where the two differ (env as
 * a map or a list of EnvVar, a timeout as seconds or a Duration). The same rows translate requests
 * in, answers out, and the engine's error paths back into the paths the client sent.
 */

export interface FieldMapping {
  /** The field in skiff's template (`resources.memory`). */
  engine: string;
  /** The field in the v2 message (`containers[0].resources.limits.memory`). */
  wire: string;
  toEngine?: (value: unknown, at: string, violations: FieldViolation[]) => unknown;
  toWire?: (value: unknown) => unknown;
  /** Another spelling of the same setting, read but never written (a probe's httpGet.port). */
  inboundOnly?: boolean;
  /** A list another row also fills (env: plain values and secrets): written after it, not over it. */
  appends?: boolean;
}

/** Cloud Run's bound on an instance's containers: the tables below name this many sidecars at most. */
const MAX_SIDECARS = 9;

/** The container fields services and jobs share, for the container at wire path `c` and engine path prefix `e` ("" or "sidecars[0]."). */
function containerRows(c: string, e: string): FieldMapping[] {
  return [
    { engine: `${e}image`, wire: `${c}.image` },
    { engine: `${e}command`, wire: `${c}.command` },
    { engine: `${e}args`, wire: `${c}.args` },
    { engine: `${e}env`, wire: `${c}.env`, toEngine: envFromWire, toWire: envToWire },
    { engine: `${e}secretEnv`, wire: `${c}.env`, toEngine: secretEnvFromWire, toWire: secretEnvToWire, appends: true },
    { engine: `${e}resources.cpu`, wire: `${c}.resources.limits.cpu` },
    { engine: `${e}resources.memory`, wire: `${c}.resources.limits.memory` },
    { engine: `${e}volumeMounts`, wire: `${c}.volumeMounts` },
    { engine: `${e}dependsOn`, wire: `${c}.dependsOn` },
  ];
}

/** A startup probe's fields: a TCP connect, an HTTP GET (path, port, headers) or a gRPC health check (port, service). */
function probeRows(c: string, e: string): FieldMapping[] {
  return [
    { engine: `${e}startupProbe.initialDelaySeconds`, wire: `${c}.startupProbe.initialDelaySeconds` },
    { engine: `${e}startupProbe.timeoutSeconds`, wire: `${c}.startupProbe.timeoutSeconds` },
    { engine: `${e}startupProbe.periodSeconds`, wire: `${c}.startupProbe.periodSeconds` },
    { engine: `${e}startupProbe.failureThreshold`, wire: `${c}.startupProbe.failureThreshold` },
    { engine: `${e}startupProbe.tcpSocket.port`, wire: `${c}.startupProbe.tcpSocket.port` },
    // `httpGet: {}` is an HTTP probe of / on the container's port: the group first, its fields into it.
    { engine: `${e}startupProbe.httpGet`, wire: `${c}.startupProbe.httpGet`, toEngine: () => ({}), inboundOnly: true },
    { engine: `${e}startupProbe.httpGet.path`, wire: `${c}.startupProbe.httpGet.path` },
    { engine: `${e}startupProbe.httpGet.port`, wire: `${c}.startupProbe.httpGet.port` },
    { engine: `${e}startupProbe.httpGet.httpHeaders`, wire: `${c}.startupProbe.httpGet.httpHeaders` },
    { engine: `${e}startupProbe.grpc`, wire: `${c}.startupProbe.grpc`, toEngine: () => ({}), inboundOnly: true },
    { engine: `${e}startupProbe.grpc.port`, wire: `${c}.startupProbe.grpc.port` },
    { engine: `${e}startupProbe.grpc.service`, wire: `${c}.startupProbe.grpc.service` },
  ];
}

/**
 * A liveness probe's fields: an HTTP GET (path, port, headers) or a gRPC health check (port,
 * service). A tcpSocket check is read as written, so the engine's model refuses it by name (Cloud
 * Run runs no TCP liveness probe).
 */
function livenessRows(c: string, e: string): FieldMapping[] {
  const probe = (field: string, extra: Partial<FieldMapping> = {}): FieldMapping => ({
    engine: `${e}livenessProbe.${field}`,
    wire: `${c}.livenessProbe.${field}`,
    ...extra,
  });
  return [
    probe("initialDelaySeconds"),
    probe("timeoutSeconds"),
    probe("periodSeconds"),
    probe("failureThreshold"),
    probe("httpGet", { toEngine: () => ({}), inboundOnly: true }),
    probe("httpGet.path"),
    probe("httpGet.port"),
    probe("httpGet.httpHeaders"),
    probe("grpc", { toEngine: () => ({}), inboundOnly: true }),
    probe("grpc.port"),
    probe("grpc.service"),
    // Never in the engine's template (refused there), so never written; mapped both ways so the refusal names the path sent.
    probe("tcpSocket"),
  ];
}

/** The sidecars: engine `sidecars[i]` is the wire's container `wireIndexes[i]`. */
function sidecarRows(wireIndexes: readonly number[], prefix: string): FieldMapping[] {
  return wireIndexes.flatMap((j, i) => {
    const c = `${prefix}containers[${j}]`;
    const e = `sidecars[${i}].`;
    return [{ engine: `${e}name`, wire: `${c}.name` }, ...containerRows(c, e), ...probeRows(c, e), ...livenessRows(c, e)];
  });
}

const afterFirst = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The template's volumes (model/volume.ts follows v2's Volume, so only a few details differ). */
const VOLUMES: FieldMapping = { engine: "volumes", wire: "volumes", toEngine: volumesFromWire, toWire: volumesToWire };

/**
 * RevisionTemplate ↔ a service's template, the ingress container (the one with a port) at
 * `containers[ingressAt]` and the sidecars at `sidecarsAt`, in order.
 */
export function serviceTemplateFields(ingressAt: number, sidecarsAt: readonly number[]): FieldMapping[] {
  const C = `containers[${ingressAt}]`;
  return [
    { engine: "containerName", wire: `${C}.name` },
    ...containerRows(C, ""),
    { engine: "port", wire: `${C}.ports[0].containerPort` },
    // Cloud Run's name for the port says the protocol (as in Knative YAML): h2c is HTTP/2 end to end; the ingress container's.
    { engine: "http2", wire: `${C}.ports[0].name`, toEngine: http2FromPortName, toWire: () => "h2c" },
    ...probeRows(C, ""),
    ...livenessRows(C, ""),
    ...sidecarRows(sidecarsAt, ""),
    { engine: "maxInstanceRequestConcurrency", wire: "maxInstanceRequestConcurrency" },
    { engine: "scaling.minInstanceCount", wire: "scaling.minInstanceCount" },
    { engine: "scaling.maxInstanceCount", wire: "scaling.maxInstanceCount" },
    { engine: "timeout", wire: "timeout", toEngine: wholeSeconds, toWire: durationText },
    { engine: "serviceAccount", wire: "serviceAccount" },
    { engine: "sessionAffinity", wire: "sessionAffinity" },
    { engine: "labels", wire: "labels" },
    VOLUMES,
  ];
}

/** A service's template as skiff writes it: the ingress container first, then its sidecars in order. */
export const SERVICE_TEMPLATE_FIELDS: FieldMapping[] = serviceTemplateFields(0, afterFirst(MAX_SIDECARS));

/**
 * ExecutionTemplate (with its TaskTemplate) ↔ a job's template: the task's main container is the
 * first of `template.containers` (a job has no ingress container to tell it by), the others its sidecars.
 */
export const JOB_TEMPLATE_FIELDS: FieldMapping[] = [
  { engine: "containerName", wire: "template.containers[0].name" },
  ...containerRows("template.containers[0]", ""),
  ...sidecarRows(afterFirst(MAX_SIDECARS), "template."),
  { engine: "taskCount", wire: "taskCount" },
  { engine: "parallelism", wire: "parallelism" },
  { engine: "maxRetries", wire: "template.maxRetries" },
  { engine: "timeout", wire: "template.timeout", toEngine: wholeSeconds, toWire: durationText },
  { engine: "serviceAccount", wire: "template.serviceAccount" },
  { ...VOLUMES, wire: "template.volumes" },
];

/** RunJobRequest.Overrides ↔ an execution's overrides: the main container's override (`containerOverrides[at]`) gives args and env. */
export function overrideFields(at: number): FieldMapping[] {
  return [
    { engine: "args", wire: `containerOverrides[${at}].args` },
    { engine: "env", wire: `containerOverrides[${at}].env`, toEngine: envFromWire, toWire: envToWire },
    { engine: "taskCount", wire: "taskCount" },
    { engine: "timeout", wire: "timeout", toEngine: wholeSeconds, toWire: durationText },
  ];
}

/** Reads the engine's template out of a decoded v2 message; `at` is the message's own path. */
export function fromWire(
  fields: readonly FieldMapping[],
  wire: unknown,
  at: string,
  violations: FieldViolation[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of fields) {
    const value = getPath(wire, m.wire);
    if (value === undefined) continue;
    const read = m.toEngine ? m.toEngine(value, `${at}.${m.wire}`, violations) : value;
    if (read !== undefined) setPath(out, m.engine, read);
  }
  return out;
}

/** Writes the engine's template as a v2 message. */
export function toWire(fields: readonly FieldMapping[], engine: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of fields) {
    if (m.inboundOnly) continue;
    const value = getPath(engine, m.engine);
    if (value === undefined) continue;
    const written = m.toWire ? m.toWire(value) : value;
    const before = m.appends ? getPath(out, m.wire) : undefined;
    setPath(out, m.wire, Array.isArray(before) && Array.isArray(written) ? [...(before as unknown[]), ...written] : written);
  }
  return out;
}

/**
 * The path the client sent for a path the engine's checks named: `template.timeout` →
 * `service.template.timeout`, `template.env.PORT` → `service.template.containers[0].env`.
 * `engineRoot` is where the table's template sits in the engine's input (`template`, `overrides`).
 */
export function wirePathOf(fields: readonly FieldMapping[], engineRoot: string, wireRoot: string, enginePath: string): string | undefined {
  const inTemplate = enginePath.startsWith(`${engineRoot}.`) ? enginePath.slice(engineRoot.length + 1) : undefined;
  if (inTemplate === undefined) return undefined;
  let best: FieldMapping | undefined;
  for (const m of fields) {
    if (m.inboundOnly) continue;
    const within = inTemplate === m.engine || inTemplate.startsWith(`${m.engine}.`) || inTemplate.startsWith(`${m.engine}[`);
    if (within && (!best || m.engine.length > best.engine.length)) best = m;
  }
  if (!best) {
    // A whole group (`scaling`, `startupProbe`): the wire field that holds its first mapped field.
    const first = fields.find((m) => !m.inboundOnly && m.engine.startsWith(`${inTemplate}.`));
    if (!first) return undefined;
    const wire = first.wire.split(".");
    const depth = pathParts(inTemplate).length;
    return `${wireRoot}.${wire.slice(0, wire.length - (pathParts(first.engine).length - depth)).join(".")}`;
  }
  // A map key under env is a name in the wire's list: the list is as near as a path can point.
  const rest = best.toEngine === envFromWire || best.toEngine === secretEnvFromWire ? "" : inTemplate.slice(best.engine.length);
  return `${wireRoot}.${best.wire}${rest}`;
}

/** `h2c`: HTTP/2 end to end; `http1` or none: HTTP/1.1 (left out of the template); another name is refused by name. */
function http2FromPortName(value: unknown, at: string, violations: FieldViolation[]): true | undefined {
  if (value === "h2c") return true;
  if (value !== "http1" && value !== "")
    violations.push({ field: at, reason: `must be http1 or h2c (HTTP/2 end to end), got ${JSON.stringify(value)}` });
  return undefined;
}

interface WireEnvVar {
  name?: string;
  value?: string;
  valueSource?: { secretKeyRef?: { secret?: string; version?: string } };
}

/** The plain variables of a v2 env list (those with a valueSource are secretEnv's); names checked once, here. */
function envFromWire(value: unknown, at: string, violations: FieldViolation[]): Record<string, string> {
  const env: Record<string, string> = {};
  const seen = new Set<string>();
  (value as WireEnvVar[]).forEach((entry, i) => {
    const name = entry.name ?? "";
    if (name === "") violations.push({ field: `${at}[${i}].name`, reason: "is required: the variable's name" });
    else if (seen.has(name)) violations.push({ field: `${at}[${i}].name`, reason: `duplicate variable "${name}"` });
    seen.add(name);
    if (entry.valueSource === undefined) env[name] = entry.value ?? "";
  });
  return env;
}

function envToWire(value: unknown): { name: string; value: string }[] {
  return Object.entries(value as Record<string, string>).map(([name, v]) => ({ name, value: v }));
}

/** The variables of a v2 env list whose value is a secret's version: `valueSource.secretKeyRef {secret, version}`. */
function secretEnvFromWire(value: unknown, at: string, violations: FieldViolation[]): Record<string, unknown> | undefined {
  const secretEnv: Record<string, unknown> = {};
  (value as WireEnvVar[]).forEach((entry, i) => {
    if (entry.valueSource === undefined || !entry.name) return;
    const ref = entry.valueSource.secretKeyRef;
    if (ref?.secret === undefined) {
      violations.push({ field: `${at}[${i}].valueSource.secretKeyRef`, reason: "is required: the secret whose version is the value" });
      return;
    }
    if (entry.value !== undefined && entry.value !== "")
      violations.push({ field: `${at}[${i}].value`, reason: "give a value or a valueSource, not both" });
    secretEnv[entry.name] = { secret: secretNameOf(ref.secret), version: ref.version ?? "latest" };
  });
  return Object.keys(secretEnv).length > 0 ? secretEnv : undefined;
}

function secretEnvToWire(value: unknown): WireEnvVar[] {
  return Object.entries(value as Record<string, { secret: string; version: string }>).map(([name, ref]) => ({
    name,
    valueSource: { secretKeyRef: { secret: ref.secret, version: ref.version } },
  }));
}

/** A secret named by its id (`projects/P/secrets/NAME`, as Cloud Run takes it) or by its name: the engine's secrets are the project's. */
function secretNameOf(secret: string): string {
  const match = /^projects\/[^/]+\/secrets\/([^/]+)$/.exec(secret);
  return match ? match[1] : secret;
}

type WireVolume = Record<string, Record<string, unknown> | string | undefined>;

/**
 * v2's volumes as the engine's: a secret named by its id becomes its name, an emptyDir's medium
 * left unset is MEMORY (the only kind Cloud Run has), a bucket's mountOptions have no local effect
 * (the folder is mounted as it is). The engine's schema judges the rest, at the paths sent.
 */
function volumesFromWire(value: unknown): unknown[] {
  return (value as WireVolume[]).map((v) => {
    const out: WireVolume = { ...v };
    if (typeof v.secret === "object" && typeof v.secret.secret === "string")
      out.secret = { ...v.secret, secret: secretNameOf(v.secret.secret) };
    if (typeof v.emptyDir === "object") out.emptyDir = { ...v.emptyDir, medium: v.emptyDir.medium ?? "MEMORY" };
    if (typeof v.gcs === "object") {
      const { mountOptions: _noLocalEffect, ...gcs } = v.gcs;
      out.gcs = gcs;
    }
    return out;
  });
}

function volumesToWire(value: unknown): unknown[] {
  return value as unknown[];
}

const DURATION = /^(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * A Duration as whole seconds: the engine counts whole seconds, so a fraction is refused rather
 * than rounded (a timeout that silently changed would not be a rehearsal of production).
 */
function wholeSeconds(value: unknown, at: string, violations: FieldViolation[]): number | undefined {
  const match = DURATION.exec(String(value));
  if (!match) {
    violations.push({ field: at, reason: `must be a duration in seconds such as "300s", got ${JSON.stringify(value)}` });
    return undefined;
  }
  if (match[2] !== undefined && Number(match[2]) !== 0) {
    violations.push({ field: at, reason: `must be a whole number of seconds (the engine counts whole seconds), got "${String(value)}"` });
    return undefined;
  }
  return Number(match[1]);
}

export function durationText(seconds: unknown): string {
  return `${String(seconds)}s`;
}
