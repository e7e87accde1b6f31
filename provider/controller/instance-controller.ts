import type { Clock, TimerHandle } from "../base/clock";
import type { Logger } from "../base/logger";
import { containerName, defaultServiceAccount, instanceId, scopedKey } from "../model/derived-names";
import { parseCpuNanos, parseMemoryBytes } from "../model/quantity";
import { platformEnv, startupDeadlineMs } from "../model/template";
import { ReadinessError, type ContainerEvent, type ContainerRuntime, type InstanceAddressing } from "../runtime/container-runtime";
import { instanceLabels, instanceOfLabels, LABEL } from "../runtime/labels";
import { isListening } from "../runtime/readiness";
import type { ContainerLogs } from "../logs/container-logs";
import type { AutoscalerSettings } from "../scaling/autoscaler";
import type { RevisionThrottlers } from "../scaling/revision-throttlers";
import type { InstanceRow, RevisionRow, Store } from "../state/store";
import { RevisionScaler, type LiveInstance } from "./revision-scaler";

/** SIGTERM, then this long before SIGKILL, as Cloud Run gives a container it stops. */
export const STOP_GRACE_SECONDS = 10;
const LOG_TAIL_LINES = 20;
/** A full pass over Docker's containers: the safety net behind the event stream. */
const SWEEP_EVERY_MS = 5_000;

export interface ScalingSettings extends AutoscalerSettings {
  /** How often each revision's autoscaler decides. */
  tickMs: number;
}

export interface InstanceControllerDeps {
  store: Store;
  runtime: ContainerRuntime;
  /** How the router reaches instances; "published" when not given. */
  addressing?: InstanceAddressing;
  engineId: string;
  logs: ContainerLogs;
  log: Logger;
  throttlers: RevisionThrottlers;
  clock: Clock;
  scaling: ScalingSettings;
  hostCpus: number;
}

/** What `describe` shows about one revision's instances and its last scaling decision. */
export interface RevisionScaleStatus {
  readyInstances: number;
  startingInstances: number;
  inFlight: number;
  queued: number;
  desired: number;
  reason?: string;
  decidedAt?: string;
}

/**
 * Runs each revision's instances: brings a revision to its desired count (from its autoscaler, or
 * at once when requests queue), drains and stops instances no longer wanted, replaces instances that
 * die (noticed from Docker's event stream, with back-off), and re-adopts its containers after an
 * engine restart. It never holds a service's lock: starts and stops run on their own.
 */
export class InstanceController {
  private readonly scalers = new Map<string, RevisionScaler>();
  private readonly byContainer = new Map<string, { scaler: RevisionScaler; live: LiveInstance }>();
  private readonly retryTimers = new Map<RevisionScaler, TimerHandle>();
  private tickTimer: TimerHandle | undefined;
  private sweepTimer: TimerHandle | undefined;
  private stopEvents: (() => void) | undefined;
  private running = false;
  /** Background work (stops, starts) that tests and shutdown may wait for. */
  private readonly pending = new Set<Promise<unknown>>();
  /** The same, per revision: removeRevision() settles once its revision's work is done. */
  private readonly work = new Map<RevisionScaler, Set<Promise<unknown>>>();

  constructor(private readonly deps: InstanceControllerDeps) {
    deps.throttlers.onUnreachable((project, revision, instanceId) => this.track(this.checkUnreachable(project, revision, instanceId)));
  }

  // ---- what the service controller asks ----

  /**
   * Which revisions of a service serve now (ready, reached by traffic or a tag). Those keep their
   * instances and scale on demand; every other revision of the service scales to zero.
   */
  serve(project: string, service: string, serving: RevisionRow[]): void {
    const wanted = new Set(serving.map((r) => r.name));
    for (const rev of serving) this.scalerFor(rev);
    for (const scaler of this.scalers.values()) {
      if (scaler.rev.project !== project || scaler.rev.service !== service) continue;
      const serves = wanted.has(scaler.rev.name);
      if (serves && !scaler.serving) {
        // Keep what runs until the autoscaler has seen some traffic.
        scaler.desired = Math.max(scaler.desired, scaler.count("ready") + scaler.count("starting"), scaler.rev.template.scaling.minInstanceCount);
      }
      scaler.serving = serves;
      this.reconcile(scaler);
    }
  }

  /** Starts the first instance of a new revision and waits until it listens; throws with its log tail otherwise. */
  async startFirst(rev: RevisionRow): Promise<void> {
    const scaler = this.scalerFor(rev);
    await this.track(this.startInstance(scaler), scaler);
  }

  /**
   * The revision is gone: requests waiting for it fail, a start in progress is cancelled, and its
   * instances drain (for at most the request timeout) and stop in the background. Nothing routes to
   * it once this returns; the returned promise settles when its containers are gone.
   */
  removeRevision(project: string, revision: string): Promise<void> {
    const key = scopedKey(project, revision);
    const scaler = this.scalers.get(key);
    if (!scaler) return Promise.resolve();
    this.scalers.delete(key);
    this.deps.throttlers.delete(project, revision);
    scaler.serving = false;
    scaler.throttler.close(`revision ${revision} was deleted`);
    const retry = this.retryTimers.get(scaler);
    if (retry !== undefined) this.deps.clock.clearTimeout(retry);
    for (const live of scaler.instances.values()) {
      // Its log goes with the service or revision: nothing of it is collected.
      live.detachLogs();
      if (live.state === "starting") live.abort.abort();
      else if (live.state === "ready") this.track(this.drainAndStop(scaler, live), scaler);
    }
    // Starts being cancelled, drains (new and earlier ones) and replacements all end with their container gone.
    return this.track(this.workDone(scaler));
  }

  status(project: string, revision: string): RevisionScaleStatus | undefined {
    const scaler = this.scalers.get(scopedKey(project, revision));
    if (!scaler) return undefined;
    const decision = scaler.lastDecision;
    return {
      readyInstances: scaler.count("ready"),
      startingInstances: scaler.count("starting"),
      inFlight: scaler.throttler.inFlight,
      queued: scaler.throttler.queued,
      desired: scaler.serving ? scaler.desired : 0,
      reason: decision?.reason,
      decidedAt: decision ? new Date(decision.at).toISOString() : undefined,
    };
  }

  // ---- the loop ----

  start(): void {
    const { clock, scaling, runtime, engineId } = this.deps;
    this.running = true;
    const tick = () => {
      for (const scaler of this.scalers.values()) {
        scaler.tick();
        this.reconcile(scaler);
      }
      if (this.running) this.tickTimer = clock.setTimeout(tick, scaling.tickMs);
    };
    this.tickTimer = clock.setTimeout(tick, scaling.tickMs);
    const sweep = () => {
      this.track(this.sweep().catch((error) => this.deps.log.error("sweep failed", { error: (error as Error).message })));
      if (this.running) this.sweepTimer = clock.setTimeout(sweep, SWEEP_EVERY_MS);
    };
    this.sweepTimer = clock.setTimeout(sweep, SWEEP_EVERY_MS);
    for (const scaler of this.scalers.values()) this.reconcile(scaler);
    this.stopEvents = runtime.watchEvents({ [LABEL.engine]: engineId }, (event) => this.onEvent(event), () => void this.sweep().catch(() => undefined));
  }

  /** Stops deciding; containers keep running for the next start to adopt. */
  stop(): void {
    this.running = false;
    const { clock } = this.deps;
    if (this.tickTimer !== undefined) clock.clearTimeout(this.tickTimer);
    if (this.sweepTimer !== undefined) clock.clearTimeout(this.sweepTimer);
    for (const timer of this.retryTimers.values()) clock.clearTimeout(timer);
    this.stopEvents?.();
    for (const scaler of this.scalers.values()) {
      scaler.throttler.close("the engine is stopping");
      for (const live of scaler.instances.values()) live.detachLogs();
    }
  }

  /** Resolves once background starts and stops have finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track<T>(work: Promise<T>, scaler?: RevisionScaler): Promise<T> {
    this.pending.add(work);
    let ofScaler: Set<Promise<unknown>> | undefined;
    if (scaler) {
      ofScaler = this.work.get(scaler);
      if (!ofScaler) this.work.set(scaler, (ofScaler = new Set()));
      ofScaler.add(work);
    }
    void work
      .finally(() => {
        this.pending.delete(work);
        ofScaler?.delete(work);
      })
      .catch(() => undefined);
    return work;
  }

  private async workDone(scaler: RevisionScaler): Promise<void> {
    for (let set = this.work.get(scaler); set && set.size > 0; set = this.work.get(scaler)) await Promise.allSettled([...set]);
    this.work.delete(scaler);
  }

  private scalerFor(rev: RevisionRow): RevisionScaler {
    const key = scopedKey(rev.project, rev.name);
    let scaler = this.scalers.get(key);
    if (!scaler) {
      const created: RevisionScaler = new RevisionScaler(rev, this.deps.clock, this.deps.scaling, () => this.reconcile(created));
      scaler = created;
      this.scalers.set(key, scaler);
      this.deps.throttlers.set(rev.project, rev.name, scaler.throttler);
    }
    return scaler;
  }

  /** Acts on the scaler's plan: starts and drains run in the background. */
  private reconcile(scaler: RevisionScaler): void {
    if (!this.running || this.scalers.get(scopedKey(scaler.rev.project, scaler.rev.name)) !== scaler) return;
    const plan = scaler.plan();
    for (let i = 0; i < plan.start; i++) {
      this.track(this.startInstance(scaler), scaler).catch((error) =>
        this.deps.log.warn("could not start an instance", { revision: scaler.rev.name, error: (error as Error).message.split("\n")[0] }),
      );
    }
    for (const live of plan.drain) this.track(this.drainAndStop(scaler, live), scaler);
    if (plan.retryInMs !== undefined && !this.retryTimers.has(scaler)) {
      this.retryTimers.set(
        scaler,
        this.deps.clock.setTimeout(() => {
          this.retryTimers.delete(scaler);
          this.reconcile(scaler);
        }, plan.retryInMs),
      );
    }
  }

  // ---- one instance ----

  /** Starts an instance and waits until it listens; on failure the container is gone and the error carries its log tail. */
  private async startInstance(scaler: RevisionScaler): Promise<LiveInstance> {
    const { store, runtime, engineId, clock } = this.deps;
    const rev = scaler.rev;
    const t = rev.template;
    const id = instanceId();
    const row: InstanceRow = { id, project: rev.project, service: rev.service, revision: rev.name, containerId: "", createTime: new Date().toISOString() };
    const live: LiveInstance = { row, state: "starting", abort: new AbortController(), detachLogs: () => undefined };
    scaler.instances.set(id, live);
    const startedAt = clock.now();
    let address: string | undefined;
    try {
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
        labels: instanceLabels(engineId, rev.project, rev.service, rev.name, id, t.serviceAccount ?? defaultServiceAccount(rev.project)),
      });
      row.containerId = started.containerId;
      row.hostPort = started.hostPort;
      address = started.address;
      store.insertInstance(row);
      this.byContainer.set(row.containerId, { scaler, live });
      if (!live.abort.signal.aborted) live.detachLogs = this.attachLogs(row);
      // The startup probe's TCP port when it names one (Cloud Run's default: the container's port).
      await runtime.waitListening(row.containerId, t.startupProbe.tcpSocket?.port ?? t.port, startupDeadlineMs(t), live.abort.signal);
      const state = row.hostPort === undefined || address === undefined ? await runtime.inspect(row.containerId) : undefined;
      const hostPort = row.hostPort ?? state?.hostPort;
      address ??= state?.address;
      if (!hostPort) throw new ReadinessError("Docker reported no published port for the container");
      if (live.abort.signal.aborted) throw new ReadinessError("the start was cancelled");
      row.hostPort = hostPort;
    } catch (error) {
      // The back-off first: dropping the instance reconciles, and that must already wait.
      if (!live.abort.signal.aborted) scaler.backoff.recordFailure(clock.now());
      const tail = row.containerId ? await runtime.logTail(row.containerId, LOG_TAIL_LINES) : "";
      await this.dropInstance(scaler, live, 0);
      const why = error instanceof ReadinessError ? error.message : `the container could not be started: ${(error as Error).message}`;
      throw new ReadinessError(tail ? `${why}. Last log lines:\n${tail}` : `${why}. The container wrote no logs.`);
    }
    live.state = "ready";
    live.readyAt = clock.now();
    scaler.recordStartup(clock.now() - startedAt);
    const endpoint = this.endpointOf(id, row.containerId, row.hostPort, address, rev);
    scaler.throttler.addInstance(endpoint);
    this.deps.log.info("instance ready", { revision: rev.name, instance: id, address: `${endpoint.host}:${endpoint.port}` });
    return live;
  }

  /** Where the router sends the instance's requests: its bridge address where the host routes there, else its published port. */
  private endpointOf(instanceId: string, containerId: string, hostPort: number, address: string | undefined, rev: RevisionRow) {
    const maxConnections = rev.template.maxInstanceRequestConcurrency;
    if (this.deps.addressing === "bridge" && address) return { instanceId, host: address, port: rev.template.port, maxConnections };
    // Docker's userland proxy accepts on the published port whether or not the app listens: the
    // proxy asks the container's own socket table when a new connection is reset.
    const listening = async () => {
      const state = await this.deps.runtime.inspect(containerId);
      return state?.running === true && (await isListening(state.pid, rev.template.port, hostPort));
    };
    return { instanceId, host: "127.0.0.1", port: hostPort, maxConnections, listening };
  }

  /** Stops routing to the instance, lets its requests finish (up to the request timeout), then stops and removes it. */
  private async drainAndStop(scaler: RevisionScaler, live: LiveInstance): Promise<void> {
    if (live.state === "draining") return;
    live.state = "draining";
    const { throttler } = scaler;
    throttler.removeInstance(live.row.id);
    const maxDrainMs = scaler.rev.template.timeout * 1000;
    let timer: TimerHandle | undefined;
    await Promise.race([
      throttler.drained(live.row.id),
      new Promise<void>((resolve) => (timer = this.deps.clock.setTimeout(resolve, maxDrainMs))),
    ]);
    if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    throttler.forget(live.row.id);
    await this.dropInstance(scaler, live, STOP_GRACE_SECONDS);
    this.deps.log.info("instance stopped", { revision: scaler.rev.name, instance: live.row.id });
  }

  private async dropInstance(scaler: RevisionScaler, live: LiveInstance, graceSeconds: number): Promise<void> {
    scaler.throttler.forget(live.row.id);
    // Still counted (as draining) until its container is gone: a stopping container counts against maxInstanceCount.
    live.state = "draining";
    if (live.row.containerId) {
      this.byContainer.delete(live.row.containerId);
      await this.stopCollectRemove(live.row.containerId, graceSeconds);
      this.deps.store.deleteInstance(live.row.id);
    }
    scaler.instances.delete(live.row.id);
    live.detachLogs();
    // A start held back by the maximum may go now.
    this.reconcile(scaler);
  }

  private attachLogs(row: InstanceRow, after?: string): () => void {
    return this.deps.logs.attach(row.containerId, { project: row.project, service: row.service, revision: row.revision, instance: row.id }, after);
  }

  /** Stops the container (SIGTERM, grace, SIGKILL), keeps what it wrote (also during its grace) in its service's log, then removes it. */
  private async stopCollectRemove(containerId: string, graceSeconds: number): Promise<void> {
    const { runtime, logs, log } = this.deps;
    await runtime
      .stopAndRemove(containerId, graceSeconds, () => logs.collect(containerId))
      .catch((error) => log.warn("could not remove a container", { container: containerId.slice(0, 12), error: (error as Error).message }));
  }

  // ---- deaths ----

  private onEvent(event: ContainerEvent): void {
    const entry = this.byContainer.get(event.containerId);
    if (!entry) return;
    if (event.kind === "oom") {
      entry.live.oomKilled = true;
      return;
    }
    if (entry.live.state === "ready") this.track(this.replaceDead(entry.scaler, entry.live, event.exitCode), entry.scaler);
  }

  /** An instance died on its own: out of routing at once, its failure recorded, a replacement after back-off. */
  private async replaceDead(scaler: RevisionScaler, live: LiveInstance, exitCode?: number): Promise<void> {
    const { clock, runtime, store, log, logs } = this.deps;
    live.state = "draining";
    scaler.throttler.forget(live.row.id);
    // Before any await: a reconcile meanwhile must already see the back-off, not start a replacement at once.
    const delay = scaler.backoff.recordFailure(clock.now(), clock.now() - (live.readyAt ?? clock.now()));
    const state = await runtime.inspect(live.row.containerId).catch(() => undefined);
    const oom = live.oomKilled === true || state?.oomKilled === true;
    const code = state?.exitCode ?? exitCode;
    const rev = scaler.rev;
    const what = oom
      ? `memory limit exceeded: instance ${live.row.id} used more than its ${rev.template.resources.memory} and was killed`
      : `instance ${live.row.id} exited with code ${code ?? "unknown"}`;
    const message = `${what}; a new instance starts in ${delay / 1000} s if requests need one`;
    log.warn("instance died", { revision: rev.name, instance: live.row.id, exitCode: code, oomKilled: oom, restartInMs: delay });
    logs.append(rev.project, rev.service, { time: new Date().toISOString(), stream: "engine", text: message, revision: rev.name, instance: live.row.id });
    store.setRevisionInstanceError(rev.project, rev.name, `${new Date().toISOString()} ${message}`);
    await this.dropInstance(scaler, live, 0);
    this.reconcile(scaler);
  }

  /**
   * The proxy could not reach an instance and took it out of routing: if its container is gone or
   * stopped, it died (Docker's event may still be on its way); if it runs, it takes requests again.
   */
  private async checkUnreachable(project: string, revision: string, instanceId: string): Promise<void> {
    const scaler = this.scalers.get(scopedKey(project, revision));
    const live = scaler?.instances.get(instanceId);
    if (!scaler || !live || live.state !== "ready") return;
    const state = await this.deps.runtime.inspect(live.row.containerId).catch(() => undefined);
    if (live.state !== "ready") return; // the die event got there first
    if (state?.running) scaler.throttler.resume(instanceId);
    else await this.replaceDead(scaler, live, state?.exitCode);
  }

  /** What the event stream may have missed: containers that died, or vanished, while nobody listened. */
  private async sweep(): Promise<void> {
    const { runtime, engineId } = this.deps;
    const running = new Set((await runtime.list({ [LABEL.engine]: engineId })).filter((c) => c.running).map((c) => c.containerId));
    for (const [containerId, entry] of [...this.byContainer]) {
      if (entry.live.state !== "ready" || running.has(containerId)) continue;
      await this.track(this.replaceDead(entry.scaler, entry.live), entry.scaler);
    }
    for (const scaler of this.scalers.values()) this.reconcile(scaler);
  }

  // ---- restart ----

  /**
   * After a restart: containers of this engine whose instance and revision are known and ready are
   * taken back (with their host port); everything else labelled with this engine is removed, which
   * also finishes any stop that a crash interrupted (deleted services leave no rows).
   */
  async adopt(): Promise<void> {
    const { store, runtime, engineId, log, logs } = this.deps;
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
          const scaler = this.scalerFor(rev);
          const live: LiveInstance = {
            row: adopted, state: "ready", readyAt: this.deps.clock.now(), abort: new AbortController(),
            detachLogs: this.attachLogs(adopted, last),
          };
          scaler.instances.set(row.id, live);
          this.byContainer.set(c.containerId, { scaler, live });
          scaler.throttler.addInstance(this.endpointOf(row.id, c.containerId, state.hostPort, state.address, rev));
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
            await this.stopCollectRemove(c.containerId, 0);
          } else {
            await runtime.stopAndRemove(c.containerId, 0).catch(() => undefined);
          }
          if (row) store.deleteInstance(row.id);
        }
      }),
    );
    for (const row of rows.values()) store.deleteInstance(row.id);
  }
}

