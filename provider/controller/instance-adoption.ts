import { containersOf } from "../model/containers";
import { containerName, memberContainerName } from "../model/derived-names";
import { parseMemoryBytes } from "../model/quantity";
import type { ContainerSummary } from "../runtime/container-runtime";
import { instanceOfLabels, LABEL } from "../runtime/labels";
import type { InstanceRow, RevisionRow } from "../state/store";
import type { InstanceActions } from "./instance-actions";
import type { InstanceControllerDeps } from "./instance-deps";
import { instanceMemoryBytes, mountedBy, type MemberContainer } from "./instance-members";
import type { LiveInstance, RevisionScaler } from "./revision-scaler";

/**
 * After a restart: instances of this engine whose row and revision are known and ready, with every
 * one of their containers running, are taken back (with their host port); every other container
 * labelled with this engine is removed, and so are the shared volumes of instances not taken back.
 * That also finishes any stop a crash interrupted (deleted services leave no rows), and an instance
 * of several containers that lost one while the engine was down is replaced, as one that dies is.
 */
export async function adoptInstances(
  deps: InstanceControllerDeps,
  actions: InstanceActions,
  scalerFor: (rev: RevisionRow) => RevisionScaler,
): Promise<void> {
  const { store, runtime, engineId } = deps;
  const rows = new Map(store.listInstances().map((r) => [r.id, r]));
  // Task containers of jobs carry an execution label instead of an instance: the job controller's.
  const containers = (await runtime.list({ [LABEL.engine]: engineId })).filter((c) => c.labels[LABEL.execution] === undefined);
  const byInstance = new Map<string, ContainerSummary[]>();
  for (const c of containers) {
    const key = instanceOfLabels(c.labels)?.instance ?? `\0${c.containerId}`;
    byInstance.set(key, [...(byInstance.get(key) ?? []), c]);
  }
  const adopted = new Set<string>();
  await Promise.all(
    [...byInstance].map(async ([instance, group]) => {
      const row = rows.get(instance);
      rows.delete(instance);
      if (row && (await adoptOne(deps, actions, scalerFor, row, group))) adopted.add(instance);
      else await removeStrays(deps, actions, row, group);
    }),
  );
  for (const row of rows.values()) store.deleteInstance(row.id);
  for (const v of await runtime.listSharedVolumes({ [LABEL.engine]: engineId }).catch(() => [])) {
    if (!adopted.has(v.labels[LABEL.instance] ?? "")) await runtime.removeSharedVolume(v.name).catch(() => undefined);
  }
}

/** Takes the instance back when its revision is ready and all of its containers run; false otherwise. */
async function adoptOne(
  deps: InstanceControllerDeps,
  actions: InstanceActions,
  scalerFor: (rev: RevisionRow) => RevisionScaler,
  row: InstanceRow,
  group: ContainerSummary[],
): Promise<boolean> {
  const { store, runtime, log, logs } = deps;
  const rev = store.getRevision(row.project, row.revision);
  const holder = group.find((c) => c.containerId === row.containerId);
  const expected = rev ? containersOf(rev.template) : [];
  if (!rev || rev.status !== "READY" || !holder || group.length !== expected.length || group.some((c) => !c.running)) return false;
  const state = await runtime.inspect(holder.containerId);
  if (!state?.running || !state.hostPort) return false;
  const several = expected.length > 1;
  const members: MemberContainer[] = group.map((c) => {
    const name = several ? (c.labels[LABEL.container] ?? "") : expected[0].name;
    return { name, containerId: c.containerId, ingress: expected.find((e) => e.name === name)?.ingress ?? false };
  });
  if (several && !expected.every((e) => members.some((m) => m.name === e.name))) return false;
  const taken: InstanceRow = { ...row, hostPort: state.hostPort };
  const last = await logs.lastTimeOf(row.project, row.service, row.id);
  const detachers = members.map((m) => actions.attachLogs(taken, m.containerId, several ? m.name : undefined, last));
  const scaler = scalerFor(rev);
  const live: LiveInstance = {
    row: taken,
    state: "ready",
    readyAt: deps.clock.now(),
    abort: new AbortController(),
    detachLogs: () => detachers.forEach((detach) => detach()),
    members,
  };
  scaler.addInstance(live);
  for (const m of members) actions.byContainer.set(m.containerId, { scaler, live });
  scaler.throttler.addInstance(actions.endpointOf(row.id, holder.containerId, state.hostPort, state.address, rev));
  // Its startup probe passed before the restart: its liveness probes go on from now.
  actions.watchLiveness(scaler, live, new Map(), (port) => actions.probeTarget(rev, state.address, state.hostPort, port));
  // Its Cloud SQL sockets are this engine's now, and its files that follow a secret's `latest` are followed again.
  const name = containerName(row.project, row.revision, row.id);
  for (const c of expected) {
    await deps.volumes
      .prepare(
        memberContainerName(name, c.name, c.ingress),
        row.project,
        mountedBy(rev.template, c),
        several ? instanceMemoryBytes(rev.template) : parseMemoryBytes(c.resources.memory)!,
      )
      .catch((error: unknown) =>
        log.warn("an adopted instance's volumes could not be renewed", { instance: row.id, error: (error as Error).message }),
      );
  }
  log.info("re-adopted instance", { revision: rev.name, instance: row.id });
  return true;
}

/**
 * Containers not taken back: an instance of a revision that still exists (it died, or its revision
 * failed, while the engine was down; or the engine died before recording it) has its lines kept.
 * Their labels say whose they are, row or not.
 */
async function removeStrays(
  deps: InstanceControllerDeps,
  actions: InstanceActions,
  row: InstanceRow | undefined,
  group: ContainerSummary[],
) {
  const { store, runtime, log, logs } = deps;
  await Promise.all(
    group.map(async (c) => {
      log.info("removing stray container", { container: c.containerId.slice(0, 12), revision: c.labels[LABEL.revision] });
      const source = instanceOfLabels(c.labels);
      if (source && store.getRevision(source.project, source.revision)) {
        const last = await logs.lastTimeOf(source.project, source.service, source.instance);
        const container = c.labels[LABEL.container];
        logs.attach(c.containerId, container ? { ...source, container } : source, last);
        await actions.stopCollectRemove(c.containerId, 0);
      } else {
        await runtime.stopAndRemove(c.containerId, 0).catch(() => undefined);
      }
    }),
  );
  if (row) store.deleteInstance(row.id);
}
