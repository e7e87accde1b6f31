import { MAX_CONTAINERS } from "../../provider/model/containers";
import { envNameProblem } from "../../provider/model/template";
import { UNKNOWN, isUnknown } from "../preview-values/unknowns";
import { PathMap, Problems, at } from "./paths";
import { secretName } from "./secrets";

/**
 * pulumi-gcp's containers (`template.containers` of a Service, `template.template.containers` of a
 * Job) as the fields of skiff's template: image, command, args, env and secret env (a
 * `secretKeyRef` names a secret of skiff's Secret Manager, read when a container starts), volume
 * mounts, port, resources and the startup probe. A Service's container with `ports` is the ingress
 * container (the template's own fields, its `name` the containerName); the others are sidecars,
 * each with its `dependsOns`. A Job's first container is the task's main one, the others sidecars. Every engine field it fills is mapped back to the path the user wrote it at.
 */
export interface ContainerContext {
  problems: Problems;
  paths: Pick<PathMap, "set">;
  /** Env names the platform sets itself (PORT, K_SERVICE, ... or CLOUD_RUN_JOB, ...). */
  reservedEnv: readonly string[];
  /** A sidecar is a service's container without a port. */
  kind: "service" | "job" | "sidecar";
}

export function translateContainers(containers: unknown, path: string, ctx: ContainerContext): Record<string, unknown> {
  const { problems } = ctx;
  if (isUnknown(containers)) return { image: UNKNOWN };
  const list = problems.list(containers, path, "a list of containers");
  if (!list || list.length === 0) {
    problems.add(path, "must list the container to run (one, with its image)");
    return { image: UNKNOWN }; // named here already; the engine's "image is required" would repeat it
  }
  if (list.length > MAX_CONTAINERS)
    problems.add(path, `must hold at most ${MAX_CONTAINERS} containers: an instance has at most ${MAX_CONTAINERS}`);
  const ingressAt = ctx.kind === "service" ? ingressIndex(list, path, problems) : 0;
  const cpath = at(path, ingressAt);
  if (isUnknown(list[ingressAt])) return { image: UNKNOWN };
  const c = problems.object(list[ingressAt], cpath, "a container");
  if (!c) return { image: UNKNOWN };
  const out = translateOne(c, cpath, ctx);
  // A job's containers have no ports: the first is the task's main container, the others its sidecars.
  if (list.length > 1) {
    const put = (engineKey: string, value: unknown, gcpPath: string) => {
      ctx.paths.set(engineKey, gcpPath);
      if (value !== undefined && value !== null) out[engineKey] = value;
    };
    put("containerName", c.name, at(cpath, "name"));
    put("dependsOn", c.dependsOns, at(cpath, "dependsOns"));
    const sidecars: unknown[] = [];
    list.forEach((item, i) => {
      if (i === ingressAt) return;
      const spath = at(path, i);
      const k = sidecars.length;
      const prefix = `sidecars[${k}]`;
      ctx.paths.set(prefix, spath);
      const sub: ContainerContext = { ...ctx, paths: { set: (engine, gcp) => ctx.paths.set(`${prefix}.${engine}`, gcp) } };
      if (isUnknown(item)) return void sidecars.push(UNKNOWN);
      const s = problems.object(item, spath, "a container") ?? {};
      const sidecar = translateOne(s, spath, { ...sub, kind: "sidecar" });
      const sput = (engineKey: string, value: unknown, gcpPath: string) => {
        sub.paths.set(engineKey, gcpPath);
        if (value !== undefined && value !== null) sidecar[engineKey] = value;
      };
      sput("name", s.name, at(spath, "name"));
      sput("dependsOn", s.dependsOns, at(spath, "dependsOns"));
      sidecars.push(sidecar);
    });
    out.sidecars = sidecars;
  }
  return out;
}

/** Cloud Run's rule: the one container with ports is the ingress container (a single container is it anyway). */
function ingressIndex(list: unknown[], path: string, problems: Problems): number {
  if (list.length <= 1 || list.some(isUnknown)) return 0;
  const withPorts = list.flatMap((c, i) => {
    const ports = (c as Record<string, unknown> | null)?.ports;
    return ports !== undefined && ports !== null ? [i] : [];
  });
  if (withPorts.length === 1) return withPorts[0];
  problems.add(path, `exactly one container sets ports (the ingress container; the others are sidecars), got ${withPorts.length}`);
  return 0;
}

/** One container's own fields; a sidecar has no port, and its startup probe only when it sets one. */
function translateOne(c: Record<string, unknown>, cpath: string, ctx: ContainerContext) {
  const out: Record<string, unknown> = {};
  const put = (engineKey: string, value: unknown, gcpPath: string) => {
    ctx.paths.set(engineKey, gcpPath);
    if (value !== undefined && value !== null) out[engineKey] = value;
  };
  put("image", c.image, at(cpath, "image"));
  put("command", c.commands, at(cpath, "commands"));
  put("args", c.args, at(cpath, "args"));
  const envs = translateEnvs(c.envs, at(cpath, "envs"), ctx);
  put("env", envs.env, at(cpath, "envs"));
  put("secretEnv", envs.secretEnv, at(cpath, "envs"));
  put("volumeMounts", translateMounts(c.volumeMounts, at(cpath, "volumeMounts"), ctx), at(cpath, "volumeMounts"));
  put("resources", translateLimits(c.resources, at(cpath, "resources"), ctx), at(cpath, "resources.limits"));
  // The ingress container's port, and its name (h2c: HTTP/2 end to end); a sidecar has neither.
  if (ctx.kind === "service") {
    put("port", translatePorts(c.ports, at(cpath, "ports"), ctx), at(cpath, "ports.containerPort"));
    put("http2", portProtocol(c.ports, at(cpath, "ports.name"), ctx), at(cpath, "ports.name"));
  }
  if (ctx.kind !== "job") put("startupProbe", translateProbe(c.startupProbe, at(cpath, "startupProbe"), ctx), at(cpath, "startupProbe"));
  if (ctx.kind === "service")
    put("livenessProbe", translateLiveness(c.livenessProbe, at(cpath, "livenessProbe"), ctx), at(cpath, "livenessProbe"));
  return out;
}

function translatePorts(ports: unknown, path: string, ctx: ContainerContext): unknown {
  if (isUnknown(ports)) return UNKNOWN;
  if (Array.isArray(ports)) {
    ctx.problems.add(path, "must be one object {containerPort, name} in cloudrunv2.Service, not a list");
    return undefined;
  }
  return ctx.problems.object(ports, path)?.containerPort;
}

/** Cloud Run's port names: `h2c` is HTTP/2 end to end (gRPC), `http1` (or none) HTTP/1.1. */
function portProtocol(ports: unknown, path: string, ctx: ContainerContext): unknown {
  if (isUnknown(ports)) return UNKNOWN;
  if (!ports || typeof ports !== "object" || Array.isArray(ports)) return undefined; // translatePorts said why
  const name = (ports as Record<string, unknown>).name;
  if (isUnknown(name)) return UNKNOWN;
  if (name === "h2c") return true;
  if (name !== undefined && name !== null && name !== "http1")
    ctx.problems.add(path, `must be "http1" or "h2c" (HTTP/2 end to end), got ${JSON.stringify(name)}`);
  return undefined;
}

function translateLimits(resources: unknown, path: string, ctx: ContainerContext): unknown {
  if (isUnknown(resources)) return UNKNOWN;
  const limits = ctx.problems.object(resources, path)?.limits;
  if (isUnknown(limits)) return UNKNOWN;
  const l = ctx.problems.object(limits, at(path, "limits"), 'a map such as { cpu: "1", memory: "512Mi" }');
  if (!l) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of ["cpu", "memory"] as const) {
    if (l[key] === undefined) continue;
    out[key] = l[key];
    ctx.paths.set(`resources.${key}`, at(at(path, "limits"), key));
  }
  return out;
}

/** tcpSocket, httpGet and grpc are the engine's own (an HTTP probe GETs its path, a gRPC one calls the health service). */
function translateProbe(probe: unknown, path: string, ctx: ContainerContext): unknown {
  if (isUnknown(probe)) return UNKNOWN;
  const p = ctx.problems.object(probe, path);
  if (!p) return undefined;
  const out = probeTimings(p);
  const kinds = (["tcpSocket", "httpGet", "grpc"] as const).filter((k) => p[k] !== undefined && p[k] !== null);
  if (kinds.length > 1) ctx.problems.add(path, `must set one of tcpSocket, httpGet or grpc, not ${kinds.join(" and ")}`);
  const kind = kinds[0];
  if (kind === "httpGet") {
    out.httpGet = isUnknown(p.httpGet) ? UNKNOWN : translateHttpGet(p.httpGet, at(path, kind), ctx);
    ctx.paths.set("startupProbe.httpGet", at(path, kind));
  } else if (kind === "grpc") {
    out.grpc = p.grpc;
    ctx.paths.set("startupProbe.grpc", at(path, kind));
  } else if (kind !== undefined) {
    const port = isUnknown(p[kind]) ? UNKNOWN : ctx.problems.object(p[kind], at(path, kind))?.port;
    out.tcpSocket = port === undefined ? {} : { port };
    ctx.paths.set("startupProbe.tcpSocket", at(path, kind));
  }
  return out;
}

/**
 * A liveness probe: its timings and httpGet as the engine's. A tcpSocket or grpc check is passed
 * on as written, so the engine's schema refuses it by name (Cloud Run runs no TCP liveness probe).
 */
function translateLiveness(probe: unknown, path: string, ctx: ContainerContext): unknown {
  if (isUnknown(probe)) return UNKNOWN;
  const p = ctx.problems.object(probe, path);
  if (!p) return undefined;
  const out = probeTimings(p);
  if (p.httpGet !== undefined && p.httpGet !== null) {
    out.httpGet = isUnknown(p.httpGet) ? UNKNOWN : translateHttpGet(p.httpGet, at(path, "httpGet"), ctx);
    ctx.paths.set("livenessProbe.httpGet", at(path, "httpGet"));
  }
  for (const kind of ["tcpSocket", "grpc"] as const) {
    if (p[kind] === undefined || p[kind] === null) continue;
    out[kind] = p[kind];
    ctx.paths.set(`livenessProbe.${kind}`, at(path, kind));
  }
  return out;
}

/** A probe's timings as written (the engine's names are pulumi-gcp's), each left out when unset. */
function probeTimings(p: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "failureThreshold"])
    if (p[key] !== undefined) out[key] = p[key];
  return out;
}

/** httpGet {path, port, httpHeaders[{name, value}]}: the same fields as the engine's, each left out when unset. */
function translateHttpGet(httpGet: unknown, path: string, ctx: ContainerContext): Record<string, unknown> {
  const h = ctx.problems.object(httpGet, path) ?? {};
  const out: Record<string, unknown> = {};
  if (h.path !== undefined && h.path !== null) out.path = h.path;
  if (h.port !== undefined && h.port !== null) out.port = h.port;
  if (isUnknown(h.httpHeaders)) out.httpHeaders = UNKNOWN;
  else if (h.httpHeaders !== undefined && h.httpHeaders !== null) {
    const list = ctx.problems.list(h.httpHeaders, at(path, "httpHeaders"), "a list of {name, value}") ?? [];
    out.httpHeaders = list.map((item, i) => {
      const header = ctx.problems.object(item, at(at(path, "httpHeaders"), i), "an object {name, value}") ?? {};
      return { name: header.name, value: header.value ?? "" };
    });
  }
  return out;
}

/** volumeMounts[{name, mountPath}] as the engine's. */
function translateMounts(mounts: unknown, path: string, ctx: ContainerContext): unknown {
  if (isUnknown(mounts)) return UNKNOWN;
  const list = ctx.problems.list(mounts, path, "a list of {name, mountPath}");
  if (!list) return undefined;
  return list.map((item, i) => {
    // A subPath is refused by the field rules (field-rules.ts).
    const m = ctx.problems.object(item, at(path, i), "an object {name, mountPath}") ?? {};
    return { name: m.name, mountPath: m.mountPath };
  });
}

/** envs[{name, value | valueSource.secretKeyRef}] as the engine's env { NAME: value } and secretEnv { NAME: { secret, version } }. */
function translateEnvs(envs: unknown, path: string, ctx: ContainerContext): { env: unknown; secretEnv: unknown } {
  const { problems } = ctx;
  if (isUnknown(envs)) return { env: UNKNOWN, secretEnv: undefined };
  const list = problems.list(envs, path, "a list of {name, value}");
  if (!list) return { env: undefined, secretEnv: undefined };
  const env: Record<string, unknown> = {};
  const secretEnv: Record<string, unknown> = {};
  const firstIndex = new Map<string, number>();
  let unknownName = false;
  list.forEach((item, j) => {
    const epath = at(path, j);
    if (isUnknown(item)) return void (unknownName = true);
    const e = problems.object(item, epath, "an object {name, value}");
    if (!e) return;
    if (isUnknown(e.name)) return void (unknownName = true);
    if (typeof e.name !== "string") return problems.add(at(epath, "name"), "is required: the variable's name");
    const nameProblem = envNameProblem(e.name, ctx.reservedEnv);
    if (nameProblem) return problems.add(at(epath, "name"), nameProblem);
    const first = firstIndex.get(e.name);
    if (first !== undefined) return problems.add(at(epath, "name"), `duplicate variable "${e.name}": ${at(path, first)} sets it too`);
    firstIndex.set(e.name, j);
    if (e.valueSource === undefined || e.valueSource === null) {
      env[e.name] = e.value ?? "";
      ctx.paths.set(`env.${e.name}`, at(epath, "value"));
      return;
    }
    const ref = secretRef(e, epath, ctx);
    if (ref === undefined) return;
    secretEnv[e.name] = ref;
    ctx.paths.set(`secretEnv.${e.name}`, at(at(epath, "valueSource"), "secretKeyRef"));
  });
  if (unknownName) return { env: UNKNOWN, secretEnv: UNKNOWN };
  return { env, secretEnv: Object.keys(secretEnv).length > 0 ? secretEnv : undefined };
}

/** valueSource.secretKeyRef {secret, version}: `projects/P/secrets/NAME` and `NAME` are one secret; no version is `latest`. */
function secretRef(e: Record<string, unknown>, epath: string, ctx: ContainerContext): unknown {
  const { problems } = ctx;
  if (e.value !== undefined && e.value !== null) return void problems.add(epath, "must set value or valueSource, not both");
  const spath = at(epath, "valueSource");
  if (isUnknown(e.valueSource)) return UNKNOWN;
  const source = problems.object(e.valueSource, spath);
  const rpath = at(spath, "secretKeyRef");
  if (isUnknown(source?.secretKeyRef)) return UNKNOWN;
  const ref = problems.object(source?.secretKeyRef, rpath, "an object {secret, version}");
  if (!ref) {
    if (source) problems.add(rpath, "is required in valueSource: the secret to read");
    return undefined;
  }
  const secret = typeof ref.secret === "string" && !isUnknown(ref.secret) ? secretName(ref.secret) : ref.secret;
  return { secret, version: ref.version ?? "latest" };
}
