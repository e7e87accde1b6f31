import type { Logger } from "../base/logger";
import { containerName, instanceId, scopedKey } from "../model/derived-names";
import { parseCpuNanos, parseMemoryBytes } from "../model/quantity";
import { platformEnv, startupDeadlineMs } from "../model/template";
import { ReadinessError, type ContainerRuntime } from "../runtime/container-runtime";
import { instanceLabels, LABEL } from "../runtime/labels";
import type { LogStore } from "../runtime/log-store";
import { RevisionHandler } from "../scaling/revision-handler";
import type { InstanceRow, RevisionRow, Store } from "../state/store";

const RECONCILE_EVERY_MS = 2_000;
const STOP_GRACE_SECONDS = 10;
const LOG_TAIL_LINES = 20;
const DELETE_DRAIN_MS = 10_000;

interface LiveInstance {
  row: InstanceRow;
  stopFollowing: () => void;
  /** False while the instance starts: the reconciler leaves it to startInstance until it listens. */
  ready: boolean;
  stopping: boolean;
}

export interface InstanceControllerDeps {
  store: Store;
  runtime: ContainerRuntime;
  engineId: string;
  logs: LogStore;
  log: Logger;
  /** The revisions that should have an instance now: ready and reachable by traffic or a tag. */
  desiredRevisions: () => RevisionRow[];
  hostCpus: number;
}

/**
 * Runs instances for revisions: starts the first one to prove a revision ready, keeps one running
 * for every revision that serves, replaces instances that die, stops those no longer needed
 * (after their requests finish), and re-adopts its containers after an engine restart.
 */
export class InstanceController {
  private readonly live = new Map<string, LiveInstance>();
  private readonly handlers = new Map<string, RevisionHandler>();
  private readonly starting = new Set<string>();
  private reconciling: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: InstanceControllerDeps) {}

  handler(project: string, revision: string): RevisionHandler | undefined {
    return this.handlers.get(scopedKey(project, revision));
  }

  ensureHandler(rev: RevisionRow): RevisionHandler {
    const key = scopedKey(rev.project, rev.name);
    let handler = this.handlers.get(key);
    if (!handler) {
      const waitMs = Math.max(10_000, startupDeadlineMs(rev.template));
      handler = new RevisionHandler(rev.name, () => this.kick(), () => waitMs);
      this.handlers.set(key, handler);
    }
    return handler;
  }

  instancesOf(project: string, revision: string): InstanceRow[] {
    return [...this.live.values()].filter((l) => !l.stopping && l.row.project === project && l.row.revision === revision).map((l) => l.row);
  }

  /** Starts an instance and waits until it listens; on failure the container is gone and the error carries its log tail. */
  async startInstance(rev: RevisionRow): Promise<InstanceRow> {
    const { store, runtime, engineId, logs } = this.deps;
    const id = instanceId();
    const t = rev.template;
    const started = await runtime.start({
      name: containerName(rev.project, rev.name, id),
      image: rev.imageDigest,
      command: t.command,
      args: t.args,
      env: { ...t.env, ...platformEnv(t.port, rev.service, rev.name) },
      port: t.port,
      memoryBytes: parseMemoryBytes(t.resources.memory)!,
      // Docker refuses more CPUs than the host has; Cloud Run's limit is a cap, so cap it here too.
      nanoCpus: Math.min(parseCpuNanos(t.resources.cpu)!, this.deps.hostCpus * 1e9),
      labels: instanceLabels(engineId, rev.project, rev.service, rev.name, id),
    });
    const row: InstanceRow = {
      id,
      project: rev.project,
      service: rev.service,
      revision: rev.name,
      containerId: started.containerId,
      hostPort: started.hostPort,
      createTime: new Date().toISOString(),
    };
    store.insertInstance(row);
    const live: LiveInstance = { row, stopFollowing: this.follow(row, 0), ready: false, stopping: false };
    this.live.set(id, live);
    try {
      await runtime.waitListening(started.containerId, t.port, startupDeadlineMs(t));
    } catch (error) {
      const tail = await runtime.logTail(started.containerId, LOG_TAIL_LINES);
      await this.dropInstance(id, 0);
      const why = error instanceof ReadinessError ? error.message : `the container could not be started: ${(error as Error).message}`;
      throw new ReadinessError(tail ? `${why}. Last log lines:\n${tail}` : `${why}. The container wrote no logs.`);
    }
    const hostPort = started.hostPort ?? (await runtime.inspect(started.containerId))?.hostPort;
    if (!hostPort) {
      await this.dropInstance(id, 0);
      throw new ReadinessError("Docker reported no published port for the container");
    }
    row.hostPort = hostPort;
    live.ready = true;
    this.ensureHandler(rev).addEndpoint({ instanceId: id, hostPort });
    this.deps.log.info("instance ready", { revision: rev.name, instance: id, hostPort });
    return row;
  }

  /** Stops routing to the instance, lets its requests finish (up to maxDrainMs), then stops and removes it. */
  async stopInstance(id: string, maxDrainMs?: number): Promise<void> {
    const live = this.live.get(id);
    if (!live || live.stopping) return;
    live.stopping = true;
    const handler = this.handlers.get(scopedKey(live.row.project, live.row.revision));
    if (handler) {
      handler.removeEndpoint(id);
      const rev = this.deps.store.getRevision(live.row.project, live.row.revision);
      await handler.drained(id, maxDrainMs ?? (rev?.template.timeout ?? 300) * 1000);
    }
    await this.dropInstance(id, STOP_GRACE_SECONDS);
  }

  /**
   * Stops every instance of a revision and forgets its handler (the revision is being deleted). A
   * delete should not hang on a long request, so requests get DELETE_DRAIN_MS to finish.
   */
  async removeRevision(project: string, revision: string): Promise<void> {
    const ids = [...this.live.values()].filter((l) => l.row.project === project && l.row.revision === revision).map((l) => l.row.id);
    await Promise.all(ids.map((id) => this.stopInstance(id, DELETE_DRAIN_MS)));
    const key = scopedKey(project, revision);
    this.handlers.get(key)?.close();
    this.handlers.delete(key);
  }

  private async dropInstance(id: string, graceSeconds: number): Promise<void> {
    const live = this.live.get(id);
    if (!live) return;
    this.handlers.get(scopedKey(live.row.project, live.row.revision))?.removeEndpoint(id);
    await this.deps.runtime.stopAndRemove(live.row.containerId, graceSeconds);
    live.stopFollowing();
    this.deps.store.deleteInstance(id);
    this.live.delete(id);
  }

  private follow(row: InstanceRow, sinceSeconds: number, after?: string): () => void {
    return this.deps.runtime.followLogs(row.containerId, sinceSeconds, (line) => {
      if (after && normalizeTime(line.time) <= after) return;
      this.deps.logs.append(row.project, row.service, { ...line, revision: row.revision, instance: row.id });
    });
  }

  /**
   * After a restart: containers of this engine whose instance and revision are known and ready are
   * taken back (with their host port); everything else labelled with this engine is removed.
   */
  async adopt(): Promise<void> {
    const { store, runtime, engineId, log } = this.deps;
    const rows = new Map(store.listInstances().map((r) => [r.containerId, r]));
    const containers = await runtime.list({ [LABEL.engine]: engineId });
    for (const c of containers) {
      const row = rows.get(c.containerId);
      rows.delete(c.containerId);
      const rev = row ? store.getRevision(row.project, row.revision) : undefined;
      const state = row && rev?.status === "READY" && c.running ? await runtime.inspect(c.containerId) : undefined;
      if (row && rev && state?.running && state.hostPort) {
        const adopted = { ...row, hostPort: state.hostPort };
        const last = this.deps.logs.lastTimeOf(row.project, row.service, row.id);
        const since = last ? Math.floor(Date.parse(last) / 1000) : 0;
        this.live.set(row.id, { row: adopted, stopFollowing: this.follow(adopted, since, last && normalizeTime(last)), ready: true, stopping: false });
        this.ensureHandler(rev).addEndpoint({ instanceId: row.id, hostPort: state.hostPort });
        log.info("re-adopted instance", { revision: rev.name, instance: row.id });
      } else {
        log.info("removing stray container", { container: c.containerId.slice(0, 12), revision: c.labels[LABEL.revision] });
        await runtime.stopAndRemove(c.containerId, 0);
        if (row) store.deleteInstance(row.id);
      }
    }
    for (const row of rows.values()) store.deleteInstance(row.id);
    for (const rev of store.listRevisions()) {
      if (rev.status === "PENDING") store.setRevisionStatus(rev.project, rev.name, "FAILED", "the engine stopped while this revision was starting; deploy again");
    }
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), RECONCILE_EVERY_MS);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const live of this.live.values()) live.stopFollowing();
    for (const handler of this.handlers.values()) handler.close();
  }

  /** Asks for a reconcile soon; calls while one runs fold into one more pass. */
  kick(): void {
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = this.reconcile()
      .catch((error) => this.deps.log.error("reconcile failed", { error: (error as Error).message }))
      .finally(() => {
        this.reconciling = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves once the current reconcile pass (if any) is done. */
  async settled(): Promise<void> {
    while (this.reconciling) await this.reconciling;
  }

  private async reconcile(): Promise<void> {
    const { runtime, log } = this.deps;
    // One list call per pass, not one inspect per instance: cheap with many services.
    const running = new Set((await runtime.list({ [LABEL.engine]: this.deps.engineId })).filter((c) => c.running).map((c) => c.containerId));
    for (const live of [...this.live.values()]) {
      if (live.stopping || !live.ready || running.has(live.row.containerId)) continue;
      const state = await runtime.inspect(live.row.containerId);
      if (state?.running) continue;
      log.warn("instance died; replacing it", { revision: live.row.revision, instance: live.row.id, exitCode: state?.exitCode });
      await this.dropInstance(live.row.id, 0);
    }
    const desired = new Map(this.deps.desiredRevisions().map((r) => [scopedKey(r.project, r.name), r]));
    for (const [key, rev] of desired) {
      if (this.instancesOf(rev.project, rev.name).length > 0 || this.starting.has(key)) continue;
      this.starting.add(key);
      this.startInstance(rev)
        .catch((error) => log.error("could not start an instance", { revision: rev.name, error: (error as Error).message }))
        .finally(() => this.starting.delete(key));
    }
    const unwanted = [...this.live.values()].filter((l) => l.ready && !l.stopping && !desired.has(scopedKey(l.row.project, l.row.revision)));
    // Not awaited: draining waits for in-flight requests, which must not hold up the next pass.
    for (const l of unwanted) {
      this.stopInstance(l.row.id).catch((error) => log.error("could not stop an instance", { instance: l.row.id, error: (error as Error).message }));
    }
  }
}

/** Docker's RFC 3339 times drop trailing zeros; pad the fraction so they compare as strings. */
export function normalizeTime(time: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-].*)$/.exec(time);
  if (!match) return time;
  return `${match[1]}.${(match[2] ?? "").padEnd(9, "0")}${match[3]}`;
}
