import { containerName } from "../model/derived-names";
import { parseMemoryBytes } from "../model/quantity";
import type { InstanceRow, RevisionRow } from "../state/store";
import { instanceOfLabels, LABEL } from "../runtime/labels";
import type { InstanceActions } from "./instance-actions";
import type { InstanceControllerDeps } from "./instance-deps";
import type { LiveInstance, RevisionScaler } from "./revision-scaler";

/**
 * After a restart: containers of this engine whose instance and revision are known and ready are
 * taken back (with their host port); everything else labelled with this engine is removed, which
 * also finishes any stop that a crash interrupted (deleted services leave no rows).
 */
export async function adoptInstances(
  deps: InstanceControllerDeps,
  actions: InstanceActions,
  scalerFor: (rev: RevisionRow) => RevisionScaler,
): Promise<void> {
  const { store, runtime, engineId, log, logs } = deps;
  const rows = new Map(store.listInstances().map((r) => [r.containerId, r]));
  // Task containers of jobs carry an execution label instead of an instance: the job controller's.
  const containers = (await runtime.list({ [LABEL.engine]: engineId })).filter((c) => c.labels[LABEL.execution] === undefined);
  await Promise.all(
    containers.map(async (c) => {
      const row = rows.get(c.containerId);
      rows.delete(c.containerId);
      const rev = row ? store.getRevision(row.project, row.revision) : undefined;
      const state = row && rev?.status === "READY" && c.running ? await runtime.inspect(c.containerId) : undefined;
      if (row && rev && state?.running && state.hostPort) {
        const adopted: InstanceRow = { ...row, hostPort: state.hostPort };
        const last = await logs.lastTimeOf(row.project, row.service, row.id);
        const scaler = scalerFor(rev);
        const live: LiveInstance = {
          row: adopted,
          state: "ready",
          readyAt: deps.clock.now(),
          abort: new AbortController(),
          detachLogs: actions.attachLogs(adopted, last),
        };
        scaler.addInstance(live);
        actions.byContainer.set(c.containerId, { scaler, live });
        scaler.throttler.addInstance(actions.endpointOf(row.id, c.containerId, state.hostPort, state.address, rev));
        // Its Cloud SQL sockets are this engine's now, and its files that follow a secret's `latest` are followed again.
        await deps.volumes
          .prepare(
            containerName(row.project, row.revision, row.id),
            row.project,
            rev.template,
            parseMemoryBytes(rev.template.resources.memory)!,
          )
          .catch((error: unknown) =>
            log.warn("an adopted instance's volumes could not be renewed", { instance: row.id, error: (error as Error).message }),
          );
        log.info("re-adopted instance", { revision: rev.name, instance: row.id });
      } else {
        log.info("removing stray container", { container: c.containerId.slice(0, 12), revision: c.labels[LABEL.revision] });
        // An instance of a revision that still exists (it died, or its revision failed, while the
        // engine was down; or the engine died before recording it): its lines are kept. Its labels
        // say whose it is, row or not.
        const source = instanceOfLabels(c.labels);
        if (source && store.getRevision(source.project, source.revision)) {
          const last = await logs.lastTimeOf(source.project, source.service, source.instance);
          logs.attach(c.containerId, source, last);
          await actions.stopCollectRemove(c.containerId, 0);
        } else {
          await runtime.stopAndRemove(c.containerId, 0).catch(() => undefined);
        }
        if (row) store.deleteInstance(row.id);
      }
    }),
  );
  for (const row of rows.values()) store.deleteInstance(row.id);
}
