import type { z } from "zod";
import { parseCpuNanos, parseMemoryBytes } from "./quantity";
import type { SecretRef } from "./secret";
import { checkMounts, type Volume, type VolumeMount } from "./volume";

/**
 * The containers of one instance: the ingress container (the template's own image, port and
 * limits) and its sidecars. Here are the rules across them (names, dependsOn, the limits' sum, each
 * sidecar's mounts) and the order they start in, as pure functions.
 */

/** Cloud Run's bound: at most this many containers in an instance. */
export const MAX_CONTAINERS = 10;
/** Cloud Run bounds the sum of an instance's containers' limits as it bounds one container's. */
export const MAX_INSTANCE_CPU_NANOS = 8e9;
export const MAX_INSTANCE_MEMORY_BYTES = 32 * 1024 ** 3;
/** The ingress container's name when a template of one container does not give one (Cloud Run leaves it empty). */
export const DEFAULT_INGRESS_NAME = "ingress";

/** One container of an instance, the ingress container and sidecars alike. */
export interface InstanceContainer {
  name: string;
  /** True for the ingress container: it alone has the port, PORT and the requests. */
  ingress: boolean;
  image: string;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  resources: { cpu: string; memory: string };
  /** The port its startup probe connects to; undefined: it has started once it runs. */
  probePort?: number;
  /** An HTTP startup probe's request and schedule (on probePort); undefined: the probe is a TCP connect. */
  httpProbe?: HttpProbe;
  /** How long its startup may take (its probe's deadline). */
  startupDeadlineMs: number;
  /** Its liveness probe, checked from the moment its startup probe passed; undefined: it is never checked. */
  liveness?: LivenessCheck;
  dependsOn: string[];
  secretEnv?: Record<string, SecretRef>;
  volumeMounts?: VolumeMount[];
}

/**
 * A container's fields as template.ts's schemas give them, written out here rather than imported
 * (template.ts uses the checks below: importing its types back would tie the two in a circle).
 */
export interface ProbeFields {
  tcpSocket?: { port?: number };
  httpGet?: { path: string; port?: number; httpHeaders?: { name: string; value: string }[] };
  grpc?: { port?: number; service?: string };
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}
/** A liveness probe as template.ts's schema gives it (an HTTP GET; Cloud Run runs no TCP liveness probe). */
export interface LivenessFields {
  httpGet?: { path: string; port?: number; httpHeaders?: { name: string; value: string }[] };
  grpc?: { port?: number; service?: string };
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}
interface OwnContainerFields {
  image: string;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  resources: { cpu: string; memory: string };
  dependsOn?: string[];
  secretEnv?: Record<string, SecretRef>;
  volumeMounts?: VolumeMount[];
  livenessProbe?: LivenessFields;
}
/** A sidecar (template.ts's sidecarSchema). */
interface SidecarFields extends OwnContainerFields {
  name: string;
  startupProbe?: ProbeFields;
}
/** A service's template, or a job's (whose main container has no port and no startup probe). */
interface ContainerFields extends OwnContainerFields {
  containerName?: string;
  sidecars?: SidecarFields[];
  port?: number;
  startupProbe?: ProbeFields;
}

/**
 * What an HTTP (or gRPC) probe asks, and when: first after initialDelayMs, then every periodMs,
 * each check given timeoutMs. With `grpc`, a check is a gRPC Health/Check call of its service
 * instead of a GET (path and headers unused).
 */
export interface HttpProbe {
  path: string;
  headers: { name: string; value: string }[];
  grpc?: { service: string };
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
}

function httpProbeOf(p: ProbeFields | undefined): HttpProbe | undefined {
  if (p?.grpc !== undefined)
    return {
      path: "",
      headers: [],
      grpc: { service: p.grpc.service ?? "" },
      initialDelayMs: p.initialDelaySeconds * 1000,
      periodMs: p.periodSeconds * 1000,
      timeoutMs: p.timeoutSeconds * 1000,
    };
  if (p?.httpGet === undefined) return undefined;
  return {
    path: p.httpGet.path,
    headers: p.httpGet.httpHeaders ?? [],
    initialDelayMs: p.initialDelaySeconds * 1000,
    periodMs: p.periodSeconds * 1000,
    timeoutMs: p.timeoutSeconds * 1000,
  };
}

/**
 * What a liveness probe asks, on which port and how often: the first check once the startup probe
 * passed and initialDelayMs after the container's start, then one every periodMs; failureThreshold
 * failed checks in a row and the container is dead.
 */
export interface LivenessCheck extends HttpProbe {
  port: number;
  failureThreshold: number;
}

function livenessOf(p: LivenessFields | undefined, fallbackPort: number | undefined): LivenessCheck | undefined {
  const http = p?.httpGet;
  const port = http?.port ?? p?.grpc?.port ?? fallbackPort;
  if (p === undefined || (http === undefined && p.grpc === undefined) || port === undefined) return undefined;
  return {
    path: http?.path ?? "",
    headers: http?.httpHeaders ?? [],
    ...(p.grpc ? { grpc: { service: p.grpc.service ?? "" } } : {}),
    port,
    initialDelayMs: p.initialDelaySeconds * 1000,
    periodMs: p.periodSeconds * 1000,
    timeoutMs: p.timeoutSeconds * 1000,
    failureThreshold: p.failureThreshold,
  };
}

/** The port a probe checks: the one it names (tcpSocket or httpGet), else `fallback`. */
function probePortOf(p: ProbeFields | undefined, fallback: number | undefined): number | undefined {
  return p?.tcpSocket?.port ?? p?.httpGet?.port ?? p?.grpc?.port ?? fallback;
}

/** Cloud Run's default startup deadline (the default TCP probe: 240 s). */
const DEFAULT_STARTUP_DEADLINE_MS = 240_000;

/** The instance's containers, the ingress container (a job's main container) first. */
export function containersOf(t: ContainerFields): InstanceContainer[] {
  const p = t.startupProbe;
  const ingress: InstanceContainer = {
    name: t.containerName ?? DEFAULT_INGRESS_NAME,
    ingress: true,
    image: t.image,
    command: t.command,
    args: t.args,
    env: t.env,
    resources: t.resources,
    probePort: probePortOf(p, t.port),
    httpProbe: httpProbeOf(p),
    startupDeadlineMs: p ? (p.initialDelaySeconds + p.periodSeconds * p.failureThreshold) * 1000 : DEFAULT_STARTUP_DEADLINE_MS,
    liveness: livenessOf(t.livenessProbe, t.port),
    dependsOn: t.dependsOn ?? [],
    secretEnv: t.secretEnv,
    volumeMounts: t.volumeMounts,
  };
  return [ingress, ...(t.sidecars ?? []).map(sidecarContainer)];
}

function sidecarContainer(s: SidecarFields): InstanceContainer {
  const p = s.startupProbe;
  return {
    name: s.name,
    ingress: false,
    image: s.image,
    command: s.command,
    args: s.args,
    env: s.env,
    resources: s.resources,
    // A sidecar's probe names its port (checked below); an httpGet one without a port is refused there too.
    probePort: probePortOf(p, undefined),
    httpProbe: httpProbeOf(p),
    // Cloud Run's default deadline (240 s) when the sidecar has no probe of its own: it is only waited for to run.
    startupDeadlineMs: p ? (p.initialDelaySeconds + p.periodSeconds * p.failureThreshold) * 1000 : DEFAULT_STARTUP_DEADLINE_MS,
    // Its port is required (checked below), as its startup probe's.
    liveness: livenessOf(s.livenessProbe, undefined),
    dependsOn: s.dependsOn ?? [],
    secretEnv: s.secretEnv,
    volumeMounts: s.volumeMounts,
  };
}

/**
 * The order containers start in: groups, each starting once every container of the groups before
 * it passed its startup probe. A container is in the first group after all it depends on, so the
 * ingress container of a template without dependsOn is always in the first group. Assumes the
 * names were checked (no unknown name, no cycle).
 */
export function startGroups(containers: readonly InstanceContainer[]): InstanceContainer[][] {
  const level = new Map<string, number>();
  const byName = new Map(containers.map((c) => [c.name, c]));
  const levelOf = (c: InstanceContainer, seen: Set<string>): number => {
    const known = level.get(c.name);
    if (known !== undefined) return known;
    if (seen.has(c.name)) throw new Error(`dependsOn cycle through ${c.name}`);
    seen.add(c.name);
    const deps = c.dependsOn.map((d) => byName.get(d)).filter((d): d is InstanceContainer => d !== undefined);
    const l = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => levelOf(d, seen)));
    level.set(c.name, l);
    return l;
  };
  const groups: InstanceContainer[][] = [];
  for (const c of containers) (groups[levelOf(c, new Set())] ??= []).push(c);
  return groups.filter((g) => g !== undefined);
}

/** The cycle among dependsOn, as names in order (the first repeated at the end), or undefined. */
export function dependsOnCycle(containers: readonly { name: string; dependsOn: readonly string[] }[]): string[] | undefined {
  const byName = new Map(containers.map((c) => [c.name, c]));
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(name);
    if (at >= 0) return [...path.slice(at), name];
    if (done.has(name)) return undefined;
    const c = byName.get(name);
    if (!c) return undefined;
    for (const d of c.dependsOn) {
      const cycle = visit(d, [...path, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const c of containers) {
    const cycle = visit(c.name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The rules across a template's containers: unique names, a name for the ingress container once
 * there are sidecars, dependsOn naming other containers without a cycle, a sidecar's startup probe
 * naming its port, each sidecar's mounts and secret env as the template's own, and the limits' sum
 * within Cloud Run's bound for an instance.
 */
export function checkContainers(t: ContainerFields & { volumes?: Volume[] }, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const sidecars = t.sidecars ?? [];
  if (sidecars.length > 0 && t.containerName === undefined)
    issue(["containerName"], "is required once the template has sidecars: each container of an instance is named");
  const names = new Map<string, (string | number)[]>();
  if (t.containerName !== undefined) names.set(t.containerName, ["containerName"]);
  sidecars.forEach((s, i) => {
    const first = names.get(s.name);
    if (first) issue(["sidecars", i, "name"], `"${s.name}" is the name of ${fieldName(first)} too: container names are unique`);
    else names.set(s.name, ["sidecars", i, "name"]);
  });
  const dependsOn = (path: (string | number)[], own: string | undefined, deps: readonly string[] | undefined) =>
    (deps ?? []).forEach((d, j) => {
      if (d === own) issue([...path, j], `"${d}" is this container itself: a container cannot wait for itself`);
      else if (!names.has(d)) issue([...path, j], `names no container: "${d}" is not among the template's containers`);
    });
  dependsOn(["dependsOn"], t.containerName, t.dependsOn);
  sidecars.forEach((s, i) => {
    dependsOn(["sidecars", i, "dependsOn"], s.name, s.dependsOn);
    const probe = s.startupProbe;
    if (probe && probePortOf(probe, undefined) === undefined)
      issue(
        ["sidecars", i, "startupProbe", probe.httpGet ? "httpGet" : probe.grpc ? "grpc" : "tcpSocket", "port"],
        "is required: a sidecar has no port of its own for the probe to connect to",
      );
    const live = s.livenessProbe;
    const liveCheck = live?.httpGet ?? live?.grpc;
    if (liveCheck !== undefined && liveCheck.port === undefined)
      issue(
        ["sidecars", i, "livenessProbe", live?.httpGet ? "httpGet" : "grpc", "port"],
        "is required: a sidecar has no port of its own for the probe to connect to",
      );
    // A sidecar's mounts name the template's volumes; its secret and plain variables, as the template's.
    const sub: z.RefinementCtx = {
      ...ctx,
      addIssue: (i2: z.core.$ZodRawIssue) => ctx.addIssue({ ...i2, path: ["sidecars", i, ...(i2.path ?? [])] } as z.core.$ZodRawIssue),
    } as z.RefinementCtx;
    if (s.volumeMounts || s.secretEnv)
      checkMounts({ env: s.env, secretEnv: s.secretEnv, volumes: t.volumes, volumeMounts: s.volumeMounts }, sub);
  });
  // A container naming itself was said above: the cycle is among the others.
  const all = containersOf({ ...t, containerName: t.containerName ?? "\0ingress" });
  const cycle = dependsOnCycle(all.map((c) => ({ name: c.name, dependsOn: c.dependsOn.filter((d) => d !== c.name) })));
  if (cycle) issue(["dependsOn"], `forms a cycle: ${cycle.join(" -> ")}`);
  if (sidecars.length === 0) return;
  const cpu = all.reduce((sum, c) => sum + (parseCpuNanos(c.resources.cpu) ?? 0), 0);
  const memory = all.reduce((sum, c) => sum + (parseMemoryBytes(c.resources.memory) ?? 0), 0);
  if (cpu > MAX_INSTANCE_CPU_NANOS)
    issue(["sidecars"], `the containers' CPU limits add up to ${cpu / 1e9}: an instance's containers may have at most 8 CPUs together`);
  if (memory > MAX_INSTANCE_MEMORY_BYTES)
    issue(
      ["sidecars"],
      `the containers' memory limits add up to ${memory / 1024 ** 2}Mi: an instance's containers may have at most 32Gi together`,
    );
}

function fieldName(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** A container's own fields in a template written as a list of containers; the rest are the template's. */
const CONTAINER_KEYS = [
  "image",
  "command",
  "args",
  "env",
  "port",
  "resources",
  "startupProbe",
  "livenessProbe",
  "secretEnv",
  "volumeMounts",
] as const;

/**
 * A template written as a list of containers (skiff.Service's `template.containers`, Cloud Run's
 * own shape) as the engine's: the container with a `port` (or the only one) is the ingress
 * container, its fields the template's and its `name` the containerName; the others are sidecars.
 * `pathOf` takes a failure's path in the engine's shape back to the list.
 */
export function templateFromContainerList(t: Record<string, unknown>): {
  template: Record<string, unknown>;
  problem?: string;
  pathOf: (enginePath: string) => string;
} {
  const { containers, ...rest } = t;
  const same = { template: t, pathOf: (p: string) => p };
  if (!Array.isArray(containers)) return same;
  const list = containers as Record<string, unknown>[];
  const withPort = list.flatMap((c, i) => (c && typeof c === "object" && c.port !== undefined ? [i] : []));
  const ingressAt = list.length === 1 ? 0 : withPort.length === 1 ? withPort[0] : -1;
  if (list.length === 0 || ingressAt < 0)
    return {
      ...same,
      problem: `exactly one container has a port (the ingress container; the others are sidecars), got ${list.length === 0 ? "no container" : withPort.length}`,
    };
  const { name, dependsOn, ...own } = list[ingressAt] ?? {};
  const template: Record<string, unknown> = { ...rest, ...own };
  if (name !== undefined) template.containerName = name;
  if (dependsOn !== undefined) template.dependsOn = dependsOn;
  const sidecarAt = list.flatMap((_, i) => (i === ingressAt ? [] : [i]));
  if (sidecarAt.length > 0) template.sidecars = sidecarAt.map((i) => list[i]);
  const pathOf = (p: string) => {
    const sidecar = /^template\.sidecars\[(\d+)\](.*)$/.exec(p);
    if (sidecar) return `template.containers[${sidecarAt[Number(sidecar[1])]}]${sidecar[2]}`;
    const own = /^template\.(\w+)(.*)$/.exec(p);
    if (own && (CONTAINER_KEYS as readonly string[]).includes(own[1])) return `template.containers[${ingressAt}].${own[1]}${own[2]}`;
    if (own && own[1] === "containerName") return `template.containers[${ingressAt}].name${own[2]}`;
    if (own && own[1] === "dependsOn") return `template.containers[${ingressAt}].dependsOn${own[2]}`;
    return p;
  };
  return { template, pathOf };
}
