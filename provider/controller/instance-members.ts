import { containersOf, type InstanceContainer } from "../model/containers";
import { defaultServiceAccount, memberContainerName, sharedVolumeName } from "../model/derived-names";
import { parseCpuNanos, parseMemoryBytes } from "../model/quantity";
import { platformEnv, type ServiceTemplate } from "../model/template";
import { inMemoryVolumeBytes } from "../model/volume";
import type { PreparedVolumes } from "../platform/volume-host";
import { ReadinessError, type ContainerMount, type StartedContainer } from "../runtime/container-runtime";
import { waitHttpProbe, type ProbeTarget } from "../runtime/http-probe";
import { instanceLabels, LABEL } from "../runtime/labels";
import type { RevisionRow } from "../state/store";
import type { InstanceControllerDeps } from "./instance-deps";

/**
 * The containers of one instance as Docker runs them. The first container to start (the first of
 * its first start group: the ingress container unless it waits for a sidecar) holds the
 * instance's network namespace: it gets the published port, the engine's network and resolver,
 * and the others join it (`NetworkMode: container:<id>`), so they reach each other on localhost
 * and the instance has one address. No extra "pause" container: a template of one container runs
 * exactly as before, and the holder dying is the instance dying anyway, since an instance's
 * containers die together. In-memory volumes of an instance of several containers are Docker
 * tmpfs volumes of their own, which every container mounting them shares (a container's own
 * tmpfs could not be).
 */

/** One running container of an instance. */
export interface MemberContainer {
  /** Its name in the template (`ingress` for a template of one unnamed container). */
  name: string;
  containerId: string;
  ingress: boolean;
}

/** A container of the instance failed to start or to pass its startup probe. */
export class MemberStartError extends Error {
  constructor(
    message: string,
    readonly member: string,
    /** Its container, when it was created: its log tail says why. */
    readonly containerId: string | undefined,
    readonly notPrepared: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The labels of one container of the instance (single-container instances: as before, with no container label). */
export function memberLabels(deps: InstanceControllerDeps, rev: RevisionRow, instanceId: string, member?: string): Record<string, string> {
  const sa = rev.template.serviceAccount ?? defaultServiceAccount(rev.project);
  const labels = instanceLabels(deps.engineId, rev.project, rev.service, rev.name, instanceId, sa);
  return member === undefined ? labels : { ...labels, [LABEL.container]: member };
}

/** The sum of the containers' memory limits: an in-memory volume without a size limit takes half of it. */
export function instanceMemoryBytes(t: ServiceTemplate): number {
  return containersOf(t).reduce((sum, c) => sum + parseMemoryBytes(c.resources.memory)!, 0);
}

/** Makes the instance's shared in-memory volumes (several containers only); their names by volume. */
export async function makeSharedVolumes(
  deps: InstanceControllerDeps,
  rev: RevisionRow,
  instanceId: string,
  instanceContainer: string,
): Promise<Map<string, string>> {
  const t = rev.template;
  const shared = new Map<string, string>();
  if (!t.sidecars?.length) return shared;
  const mounted = new Set(containersOf(t).flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  for (const volume of t.volumes ?? []) {
    if (!volume.emptyDir || !mounted.has(volume.name)) continue;
    const name = sharedVolumeName(instanceContainer, volume.name);
    const sizeBytes = inMemoryVolumeBytes(volume.emptyDir, instanceMemoryBytes(t));
    await deps.runtime.createSharedVolume({ name, sizeBytes, labels: memberLabels(deps, rev, instanceId) });
    shared.set(volume.name, name);
  }
  return shared;
}

/** What one container's template says it mounts, for the volume host. */
export function mountedBy(t: ServiceTemplate, c: InstanceContainer) {
  return { secretEnv: c.secretEnv, volumes: t.volumes, volumeMounts: c.volumeMounts };
}

/**
 * Starts one container of the instance: its secrets and folders prepared, its env (PORT only for
 * the ingress container), its own limits; the holder publishes the ingress port, the others join it.
 */
export async function startMember(
  deps: InstanceControllerDeps,
  rev: RevisionRow,
  instanceId: string,
  instanceContainer: string,
  c: InstanceContainer,
  holder: string | undefined,
  shared: Map<string, string>,
): Promise<StartedContainer> {
  const t = rev.template;
  const several = (t.sidecars?.length ?? 0) > 0;
  const name = memberContainerName(instanceContainer, c.name, c.ingress);
  const memoryBytes = parseMemoryBytes(c.resources.memory)!;
  let prepared: PreparedVolumes;
  try {
    // Secrets are read now (an env secret's `latest` is the one at the container's start), before it runs.
    prepared = await deps.volumes.prepare(name, rev.project, mountedBy(t, c), several ? instanceMemoryBytes(t) : memoryBytes);
  } catch (error) {
    throw new MemberStartError((error as Error).message, c.name, undefined, true, { cause: error });
  }
  const { PORT, ...platform } = platformEnv(t.port, rev.service, rev.name);
  const image = c.ingress ? rev.imageDigest : rev.sidecarDigests?.[c.name];
  if (image === undefined) throw new MemberStartError(`no image was pinned for container ${c.name}`, c.name, undefined, false);
  try {
    return await deps.runtime.start({
      name,
      image,
      command: c.command,
      args: c.args,
      env: { ...c.env, ...prepared.env, ...(c.ingress ? { PORT, ...platform } : platform) },
      port: holder === undefined ? t.port : undefined,
      networkOf: holder,
      memoryBytes,
      mounts: withSharedVolumes(prepared.mounts, c, t, shared),
      // Docker refuses more CPUs than the host has; Cloud Run's limit is a cap, so cap it here too.
      nanoCpus: Math.min(parseCpuNanos(c.resources.cpu)!, deps.hostCpus * 1e9),
      labels: memberLabels(deps, rev, instanceId, several ? c.name : undefined),
    });
  } catch (error) {
    throw new MemberStartError(`the container could not be started: ${(error as Error).message}`, c.name, undefined, false, {
      cause: error,
    });
  }
}

/** The volume host mounts an in-memory volume as the container's own tmpfs; in an instance of several, the shared volume instead. */
function withSharedVolumes(
  mounts: ContainerMount[],
  c: InstanceContainer,
  t: ServiceTemplate,
  shared: Map<string, string>,
): ContainerMount[] {
  if (shared.size === 0) return mounts;
  // The volume host answers one mount per volumeMount, in their order.
  return mounts.map((m, i) => {
    const volume = shared.get(c.volumeMounts?.[i]?.name ?? "");
    return volume === undefined || !t.volumes?.some((v) => v.name === c.volumeMounts![i].name && v.emptyDir)
      ? m
      : { kind: "volume", volume, target: m.target };
  });
}

/**
 * Where the engine reaches `port` of the instance: as the router does (its bridge address), else
 * the port published on 127.0.0.1, which is the template's port alone; undefined: not reachable.
 */
export type ProbeTargetOf = (port: number) => ProbeTarget | undefined;

/**
 * Waits until the container passes its startup probe (a GET answered 200-399 for an HTTP probe, a
 * listener on its probe port for a TCP one), or, with no probe, until it runs.
 */
export async function waitStarted(
  deps: InstanceControllerDeps,
  c: InstanceContainer,
  containerId: string,
  signal: AbortSignal,
  targetOf: ProbeTargetOf,
): Promise<void> {
  try {
    if (c.httpProbe !== undefined && c.probePort !== undefined) {
      const target = targetOf(c.probePort);
      if (target === undefined)
        throw new ReadinessError(
          `the startup probe's port ${c.probePort} cannot be reached: the engine reaches instances at their published port, which is the container's port alone`,
        );
      return await waitHttpProbe(deps.runtime, containerId, target, c.httpProbe, c.probePort, c.startupDeadlineMs, signal);
    }
    // The ingress container is probed as requests reach it, from outside: a listener on its loopback address alone does not count.
    if (c.probePort !== undefined)
      return await deps.runtime.waitListening(containerId, c.probePort, c.startupDeadlineMs, signal, c.ingress);
    const state = await deps.runtime.inspect(containerId);
    if (!state) throw new ReadinessError("the container disappeared while starting");
    if (!state.running) throw new ReadinessError(`the container exited with code ${state.exitCode} while starting`);
  } catch (error) {
    throw new MemberStartError((error as Error).message, c.name, containerId, false, { cause: error });
  }
}

/** After every probe passed: a container that exited meanwhile fails the start (they live and die together). */
export async function checkAllRunning(deps: InstanceControllerDeps, members: readonly MemberContainer[]): Promise<void> {
  for (const m of members) {
    const state = await deps.runtime.inspect(m.containerId);
    if (!state?.running)
      throw new MemberStartError(
        `the container exited with code ${state?.exitCode ?? "unknown"} while the instance started`,
        m.name,
        m.containerId,
        false,
      );
  }
}
