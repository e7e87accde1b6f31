import type { ServiceTemplate, SidecarInput } from "../model/template";
import { invalid } from "../model/errors";
import { mountsFromKnative, mountsToKnative } from "./volumes";
import { livenessProbeFromKnative, livenessProbeToKnative, startupProbeFromKnative, startupProbeToKnative } from "./startup-probe";

/**
 * A template's sidecars as Cloud Run's Knative YAML has them, both ways: more entries of
 * `spec.template.spec.containers`, each named, without `ports` (the one container with ports is
 * the ingress container), and the start order as the template annotation
 * `run.googleapis.com/container-dependencies: '{"app":["proxy"]}'` (container → the ones it waits for).
 */

export const DEPENDENCIES_ANNOTATION = "run.googleapis.com/container-dependencies";

type Obj = Record<string, unknown>;

/** The sidecars' containers (written after the ingress container) and the dependencies annotation, if any container waits. */
export function sidecarsToKnative(t: Pick<ServiceTemplate, "sidecars" | "volumes" | "containerName" | "dependsOn">): {
  containers: Obj[];
  annotations: Record<string, string>;
} {
  const containers = (t.sidecars ?? []).map((s) => {
    const c: Obj = { name: s.name, image: s.image };
    if (s.command) c.command = s.command;
    if (s.args) c.args = s.args;
    const mounts = mountsToKnative({ secretEnv: s.secretEnv, volumes: t.volumes, volumeMounts: s.volumeMounts });
    const env = [...Object.entries(s.env).map(([name, value]) => ({ name, value })), ...mounts.env];
    if (env.length > 0) c.env = env;
    if (mounts.volumeMounts.length > 0) c.volumeMounts = mounts.volumeMounts;
    c.resources = { limits: { cpu: s.resources.cpu, memory: s.resources.memory } };
    if (s.startupProbe) c.startupProbe = startupProbeToKnative(s.startupProbe, undefined);
    if (s.livenessProbe) c.livenessProbe = livenessProbeToKnative(s.livenessProbe, undefined);
    return c;
  });
  const waits: Record<string, string[]> = {};
  if (t.containerName && t.dependsOn?.length) waits[t.containerName] = t.dependsOn;
  for (const s of t.sidecars ?? []) if (s.dependsOn?.length) waits[s.name] = s.dependsOn;
  return { containers, annotations: Object.keys(waits).length > 0 ? { [DEPENDENCIES_ANNOTATION]: JSON.stringify(waits) } : {} };
}

/** Which of a file's containers is the ingress container: the one with ports (or the only one). */
export function ingressIndex(containers: unknown[]): number {
  if (containers.length === 1) return 0;
  const withPorts = containers.flatMap((c, i) => (c && typeof c === "object" && (c as Obj).ports !== undefined ? [i] : []));
  if (withPorts.length !== 1)
    throw invalid(
      "spec.template.spec.containers",
      `exactly one container has ports (the ingress container; the others are sidecars), got ${withPorts.length}`,
    );
  return withPorts[0];
}

/** The sidecars and the dependencies of a file's containers; `used` marks each path read. */
export function sidecarsFromKnative(
  containers: unknown[],
  ingress: number,
  annotation: unknown,
  used: (path: string) => void,
  /** Where the pod spec sits: a service's revision template, or a job's task template. */
  podAt = "spec.template.spec",
  annotationsAt = "spec.template.metadata.annotations",
): { sidecars?: SidecarInput[]; dependsOn?: Record<string, string[]> } {
  const sidecars: SidecarInput[] = [];
  containers.forEach((raw, i) => {
    if (i === ingress) return;
    const at = `${podAt}.containers[${i}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw invalid(at, "must be a mapping");
    const c = raw as Obj;
    const take = (key: string) => (used(`${at}.${key}`), c[key]);
    const s: SidecarInput = { name: take("name") as string, image: take("image") as string };
    if (c.command !== undefined) s.command = takeList(`${at}.command`, c.command, used);
    if (c.args !== undefined) s.args = takeList(`${at}.args`, c.args, used);
    const envList = Array.isArray(c.env) ? (c.env as Obj[]) : [];
    const plain = envList.flatMap((e, j) => {
      if (e.valueFrom !== undefined) return [];
      used(`${at}.env[${j}].name`);
      used(`${at}.env[${j}].value`);
      return [[String(e.name), String(e.value ?? "")]];
    });
    if (plain.length > 0) s.env = Object.fromEntries(plain);
    const mounts = mountsFromKnative({
      env: envList,
      volumeMounts: c.volumeMounts,
      volumes: undefined,
      cloudSqlAnnotation: undefined,
      containerAt: at,
      podAt,
      used,
    });
    if (mounts.secretEnv) s.secretEnv = mounts.secretEnv;
    if (mounts.volumeMounts) s.volumeMounts = mounts.volumeMounts as SidecarInput["volumeMounts"];
    const limits = ((c.resources as Obj | undefined)?.limits ?? {}) as Obj;
    if (limits.cpu !== undefined || limits.memory !== undefined) {
      s.resources = {};
      if (limits.cpu !== undefined) s.resources.cpu = String((used(`${at}.resources.limits.cpu`), limits.cpu));
      if (limits.memory !== undefined) s.resources.memory = String((used(`${at}.resources.limits.memory`), limits.memory));
    }
    if (c.startupProbe !== undefined)
      s.startupProbe = startupProbeFromKnative(
        c.startupProbe as Obj,
        `${at}.startupProbe`,
        used,
        undefined,
      ) as SidecarInput["startupProbe"];
    if (c.livenessProbe !== undefined)
      s.livenessProbe = livenessProbeFromKnative(
        c.livenessProbe as Obj,
        `${at}.livenessProbe`,
        used,
        undefined,
      ) as SidecarInput["livenessProbe"];
    sidecars.push(s);
  });
  let dependsOn: Record<string, string[]> | undefined;
  if (annotation !== undefined) {
    const where = `${annotationsAt}.${DEPENDENCIES_ANNOTATION}`;
    try {
      dependsOn = JSON.parse(String(annotation)) as Record<string, string[]>;
    } catch {
      throw invalid(where, `must be JSON such as {"app":["proxy"]}, got ${String(annotation)}`);
    }
    if (!dependsOn || typeof dependsOn !== "object" || Array.isArray(dependsOn))
      throw invalid(where, "must map container names to lists of container names");
  }
  return { ...(sidecars.length > 0 ? { sidecars } : {}), ...(dependsOn ? { dependsOn } : {}) };
}

/** A list of strings, each element marked as read (the paths of what is ignored are the leaves). */
export function takeList(at: string, value: unknown, used: (path: string) => void): string[] {
  used(at);
  if (Array.isArray(value)) value.forEach((_, i) => used(`${at}[${i}]`));
  return value as string[];
}
