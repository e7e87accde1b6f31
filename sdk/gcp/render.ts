import type { JobTemplate } from "../../provider/model/job";
import type { Ingress } from "../../provider/model/service";
import type { ServiceTemplate } from "../../provider/model/template";
import type { NormalizedTrafficTarget } from "../../provider/model/traffic";
import { durationString } from "./duration";
import { INGRESS } from "./service-spec";
import { gcpTrafficType } from "./traffic";

/**
 * The way back, for `pulumi refresh` after a change made outside the stack (e.g. `skiff deploy`):
 * what the engine now runs, written in pulumi-gcp's shape over the user's own arguments, so the
 * refreshed state shows the drift as the fields that drifted and the next `up` puts them back.
 * Secret envs the user declared stay secretKeyRefs: a refresh never writes a secret's value.
 */
type Obj = Record<string, unknown>;

function container(
  user: Obj | undefined,
  engine: Pick<ServiceTemplate, "image" | "env" | "secretEnv" | "command" | "args" | "volumeMounts">,
): Obj {
  const envs: Obj[] = [
    ...Object.entries(engine.env).map(([name, value]) => ({ name, value })),
    ...Object.entries(engine.secretEnv ?? {}).map(([name, ref]) => ({
      name,
      valueSource: { secretKeyRef: { secret: ref.secret, version: ref.version } },
    })),
  ];
  const out: Obj = { ...user, image: engine.image, envs };
  if (engine.command) out.commands = engine.command;
  else delete out.commands;
  if (engine.args) out.args = engine.args;
  else delete out.args;
  if (engine.volumeMounts) out.volumeMounts = engine.volumeMounts;
  else delete out.volumeMounts;
  return out;
}

/**
 * The rest of a service's or a job's main container as the engine has it: its resource limits over
 * the program's resources, its name when it has one, and the containers it waits for (dependsOns).
 */
function applyLimitsNameAndDependsOn(
  c: Obj,
  userContainer: Obj | undefined,
  engine: Pick<ServiceTemplate, "resources" | "containerName" | "dependsOn">,
): void {
  c.resources = {
    ...(userContainer?.resources as Obj | undefined),
    limits: { cpu: engine.resources.cpu, memory: engine.resources.memory },
  };
  if (engine.containerName !== undefined) c.name = engine.containerName;
  if (engine.dependsOn) c.dependsOns = engine.dependsOn;
  else delete c.dependsOns;
}

/** The sidecars in pulumi-gcp's shape, each over the program's container of its name. */
function sidecarContainers(sidecars: ServiceTemplate["sidecars"], userContainers: Obj[]): Obj[] {
  return (sidecars ?? []).map((s) => {
    const u = userContainers.find((x) => x.name === s.name);
    const out = container(u, s);
    out.name = s.name;
    out.resources = { ...(u?.resources as Obj | undefined), limits: { cpu: s.resources.cpu, memory: s.resources.memory } };
    if (s.dependsOn) out.dependsOns = s.dependsOn;
    else delete out.dependsOns;
    return out;
  });
}

/** The engine's volumes in pulumi-gcp's shape (the same but for gcs.mountOptions, which have no local effect). */
function withVolumes(template: Obj, volumes: ServiceTemplate["volumes"]): Obj {
  if (volumes) template.volumes = volumes;
  else delete template.volumes;
  return template;
}

function firstContainer(template: unknown, ...path: string[]): Obj | undefined {
  let at: unknown = template;
  for (const key of path) at = (at as Obj | undefined)?.[key];
  return Array.isArray(at) ? (at[0] as Obj) : undefined;
}

export function gcpServiceTemplate(engine: ServiceTemplate, user: unknown): Obj {
  const userContainers = (((user as Obj | undefined)?.containers as Obj[] | undefined) ?? []).filter((c) => c && typeof c === "object");
  const several = (engine.sidecars?.length ?? 0) > 0;
  const userContainer = several ? (userContainers.find((u) => u.name === engine.containerName) ?? userContainers[0]) : userContainers[0];
  const c = container(userContainer, engine);
  c.ports = { ...(userContainer?.ports as Obj | undefined), containerPort: engine.port, ...(engine.http2 ? { name: "h2c" } : {}) };
  applyLimitsNameAndDependsOn(c, userContainer, engine);
  const sidecars = sidecarContainers(engine.sidecars, userContainers);
  // In the order the program lists them, so a refresh of an unchanged service shows no reordering.
  const order = (x: Obj) => {
    const i = userContainers.findIndex((u) => u.name === x.name);
    return i < 0 ? userContainers.length : i;
  };
  const containers = several ? [c, ...sidecars].sort((a, b) => order(a) - order(b)) : [c];
  return withServiceAccount(
    withVolumes(
      {
        ...(user as Obj | undefined),
        containers,
        scaling: { ...((user as Obj | undefined)?.scaling as Obj | undefined), ...engine.scaling },
        maxInstanceRequestConcurrency: engine.maxInstanceRequestConcurrency,
        timeout: durationString(engine.timeout),
        // As the program wrote it when the engine agrees (false and absent are both "off").
        ...(engine.sessionAffinity
          ? { sessionAffinity: true }
          : (user as Obj | undefined)?.sessionAffinity === false
            ? { sessionAffinity: false }
            : {}),
      },
      engine.volumes,
    ),
    engine.serviceAccount,
  );
}

/** The template's serviceAccount as the engine has it (none: the project's default account, as written by leaving it out). */
function withServiceAccount(template: Obj, serviceAccount: string | undefined): Obj {
  if (serviceAccount !== undefined) template.serviceAccount = serviceAccount;
  else delete template.serviceAccount;
  return template;
}

export function gcpJobTemplate(engine: JobTemplate, user: unknown): Obj {
  const outer = (user as Obj | undefined) ?? {};
  const inner = (outer.template as Obj | undefined) ?? {};
  const userContainer = firstContainer(inner, "containers");
  const c = container(userContainer, engine);
  applyLimitsNameAndDependsOn(c, userContainer, engine);
  const userContainers = ((inner.containers as Obj[] | undefined) ?? []).filter((u) => u && typeof u === "object");
  const sidecars = sidecarContainers(engine.sidecars, userContainers);
  return {
    ...outer,
    taskCount: engine.taskCount,
    parallelism: engine.parallelism,
    template: withServiceAccount(
      withVolumes(
        { ...inner, containers: [c, ...sidecars], maxRetries: engine.maxRetries, timeout: durationString(engine.timeout) },
        engine.volumes,
      ),
      engine.serviceAccount,
    ),
  };
}

export function gcpIngress(ingress: Ingress): string {
  return Object.entries(INGRESS).find(([, v]) => v === ingress)?.[0] ?? "INGRESS_TRAFFIC_ALL";
}

export function gcpTraffics(traffic: readonly NormalizedTrafficTarget[]): Obj[] {
  return traffic.map((t) => {
    const entry: Obj = { type: gcpTrafficType(t.type), percent: t.percent };
    if (t.revision !== undefined) entry.revision = t.revision;
    if (t.tag !== undefined) entry.tag = t.tag;
    return entry;
  });
}
