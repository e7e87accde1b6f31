import { containersOf, startGroups, type InstanceContainer } from "../model/containers";
import { defaultServiceAccount, memberContainerName, sharedVolumeName, taskContainerName } from "../model/derived-names";
import { taskEnv, type JobTemplate } from "../model/job";
import { parseCpuNanos, parseMemoryBytes } from "../model/quantity";
import { inMemoryVolumeBytes } from "../model/volume";
import type { ContainerMount } from "../runtime/container-runtime";
import { LABEL, taskLabels } from "../runtime/labels";
import type { ExecutionRow, TaskRow } from "../state/job-store";
import type { ExecutionRunnerDeps } from "./execution-runner-deps";
import { taskLogSource } from "./task-log-source";

/**
 * A task attempt of several containers: its main container (the template's own fields) and its
 * sidecars start in dependsOn order, each group once the one before passed its startup probes, in
 * one network namespace (the first to start holds it, the others join it) with the attempt's own
 * shared in-memory volumes, as an instance's do (instance-members.ts). The task is the main
 * container: when it exits, the sidecars are stopped (SIGTERM, grace, SIGKILL), their lines kept
 * in the job's log, and they and the volumes are removed. Everything carries the attempt's labels,
 * so a restart finds it.
 */

/** The labels of the attempt's containers and volumes; `member` names the container. */
function attemptLabels(deps: ExecutionRunnerDeps, row: ExecutionRow, task: TaskRow, member?: string): Record<string, string> {
  const sa = row.template.serviceAccount ?? defaultServiceAccount(row.project);
  const labels = taskLabels(deps.engineId, row.project, row.job, row.name, task.index, task.attempt, sa);
  return member === undefined ? labels : { ...labels, [LABEL.container]: member };
}

/** The labels that find every container and volume of one attempt. */
export function attemptSelector(deps: ExecutionRunnerDeps, row: ExecutionRow, task: Pick<TaskRow, "index" | "attempt">) {
  return {
    [LABEL.engine]: deps.engineId,
    [LABEL.execution]: row.name,
    [LABEL.task]: String(task.index),
    [LABEL.attempt]: String(task.attempt),
  };
}

/** The main container's name in the template (its containerName). */
export function mainContainerName(t: JobTemplate): string {
  return containersOf(t)[0].name;
}

/**
 * Starts the attempt's containers; resolves with the main container's id once all have started.
 * On failure, what was started is removed and the error names the container.
 */
export async function startTaskContainers(deps: ExecutionRunnerDeps, row: ExecutionRow, task: TaskRow, name: string): Promise<string> {
  const { runtime } = deps;
  const t = row.template;
  const containers = containersOf(t);
  const memoryOf = (c: InstanceContainer) => parseMemoryBytes(c.resources.memory)!;
  const total = containers.reduce((sum, c) => sum + memoryOf(c), 0);
  const shared = new Map<string, string>();
  const started: { c: InstanceContainer; id: string }[] = [];
  try {
    const mounted = new Set(containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
    for (const volume of t.volumes ?? []) {
      if (!volume.emptyDir || !mounted.has(volume.name)) continue;
      const volumeName = sharedVolumeName(name, volume.name);
      const sizeBytes = inMemoryVolumeBytes(volume.emptyDir, total);
      await runtime.createSharedVolume({ name: volumeName, sizeBytes, labels: attemptLabels(deps, row, task) });
      shared.set(volume.name, volumeName);
    }
    for (const group of startGroups(containers)) {
      for (const c of group) {
        const member = memberContainerName(name, c.name, c.ingress);
        const prepared = await deps.volumes.prepare(
          member,
          row.project,
          { secretEnv: c.secretEnv, volumes: t.volumes, volumeMounts: c.volumeMounts },
          total,
        );
        const { containerId } = await runtime.start({
          name: member,
          image: c.image,
          command: c.command,
          args: c.args,
          env: { ...c.env, ...prepared.env, ...taskEnv(row.job, row.name, task.index, task.attempt, t.taskCount) },
          memoryBytes: memoryOf(c),
          mounts: sharedMounts(prepared.mounts, c, shared),
          nanoCpus: Math.min(parseCpuNanos(c.resources.cpu)!, deps.hostCpus * 1e9),
          labels: attemptLabels(deps, row, task, c.name),
          networkOf: started[0]?.id,
        });
        started.push({ c, id: containerId });
        const source = taskLogSource(row.project, row.job, row.name, task.index, task.attempt);
        // The main container is attached by the runner, as a task of one container is.
        if (!c.ingress) deps.logs.attach(containerId, { ...source, container: c.name });
      }
      await Promise.all(
        group.map(async (c) => {
          const id = started.find((s) => s.c === c)!.id;
          if (c.probePort !== undefined) return runtime.waitListening(id, c.probePort, c.startupDeadlineMs);
          const state = await runtime.inspect(id);
          if (!c.ingress && !state?.running) throw new Error(`it exited with code ${state?.exitCode ?? "unknown"} while starting`);
        }),
      ).catch((error: unknown) => {
        const failed = group.find((c) => (error as Error).message.includes(`port ${c.probePort}`)) ?? group[0];
        throw new Error(`container ${failed.name}: ${(error as Error).message}`, { cause: error });
      });
    }
    return started.find((s) => s.c.ingress)!.id;
  } catch (error) {
    await Promise.all(started.map(({ id }) => deps.logs.collect(id).then(() => runtime.remove(id)))).catch(() => undefined);
    for (const c of containers) deps.volumes.release(memberContainerName(name, c.name, c.ingress));
    for (const volume of shared.values()) await runtime.removeSharedVolume(volume).catch(() => undefined);
    throw error;
  }
}

/** After the main container exited: its sidecars stopped together (SIGTERM, grace, SIGKILL), their lines kept, them and the volumes removed. */
export async function stopTaskSidecars(
  deps: ExecutionRunnerDeps,
  row: ExecutionRow,
  task: Pick<TaskRow, "index" | "attempt">,
  mainId: string,
  graceSeconds: number,
): Promise<void> {
  const { runtime } = deps;
  const selector = attemptSelector(deps, row, task);
  const sidecars = (await runtime.list(selector)).filter((c) => c.containerId !== mainId);
  await Promise.all(
    sidecars.map(async (c) => {
      await runtime.stop(c.containerId, graceSeconds).catch(() => undefined);
      await deps.logs.collect(c.containerId);
      await runtime.remove(c.containerId);
    }),
  );
  for (const v of await runtime.listSharedVolumes(selector)) await runtime.removeSharedVolume(v.name).catch(() => undefined);
  const name = taskContainerName(row.project, row.name, task.index, task.attempt);
  for (const s of row.template.sidecars ?? []) deps.volumes.release(memberContainerName(name, s.name, false));
}

function sharedMounts(mounts: ContainerMount[], c: InstanceContainer, shared: Map<string, string>): ContainerMount[] {
  if (shared.size === 0) return mounts;
  return mounts.map((m, i) => {
    const volume = shared.get(c.volumeMounts?.[i]?.name ?? "");
    return volume === undefined ? m : { kind: "volume", volume, target: m.target };
  });
}
