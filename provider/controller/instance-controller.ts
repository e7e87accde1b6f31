import type { TimerHandle } from "../base/clock";
import { scopedKey } from "../model/derived-names";
import { LABEL } from "../runtime/labels";
import type { RevisionRow } from "../state/store";
import { InstanceActions } from "./instance-actions";
import type { InstanceControllerDeps } from "./instance-deps";
import { adoptInstances } from "./instance-adoption";
import { InstanceDeaths } from "./instance-deaths";
import type { RevisionBounds } from "../scaling/service-allocation";
import { RevisionScaler } from "./revision-scaler";

export type { InstanceControllerDeps, ScalingSettings } from "./instance-deps";

/** A full pass over Docker's containers: the safety net behind the event stream. */
const SWEEP_EVERY_MS = 5_000;

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

/** One revision's instances as the metrics see them. */
export interface RevisionSnapshot {
  project: string;
  service: string;
  revision: string;
  instances: { id: string; state: "starting" | "ready" | "draining"; inFlight: number }[];
  queued: number;
}

/**
 * Runs each revision's instances: brings a revision to its desired count (from its autoscaler, or
 * at once when requests queue), drains and stops instances no longer wanted, replaces instances that
 * die (noticed from Docker's event stream, with back-off), and re-adopts its containers after an
 * engine restart. It never holds a service's lock: starts and stops run on their own.
 */
export class InstanceController {
  private readonly scalers = new Map<string, RevisionScaler>();
  private readonly actions: InstanceActions;
  private readonly deaths: InstanceDeaths;
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
    this.actions = new InstanceActions(
      deps,
      (scaler) => this.reconcile(scaler),
      (scaler, live, container, reason) => void this.track(this.deaths.replaceUnhealthy(scaler, live, container, reason), scaler),
    );
    this.deaths = new InstanceDeaths(deps, this.actions, {
      scalerOf: (project, revision) => this.scalers.get(scopedKey(project, revision)),
      allScalers: () => this.scalers.values(),
      reconcile: (scaler) => this.reconcile(scaler),
      track: (work, scaler) => this.track(work, scaler),
    });
    deps.throttlers.onUnreachable((project, revision, instanceId) =>
      this.track(this.deaths.checkUnreachable(project, revision, instanceId)),
    );
  }

  // ---- what the service controller asks ----

  /**
   * Which revisions of a service serve now (ready, reached by traffic or a tag). Those keep their
   * instances and scale on demand; every other revision of the service scales to zero. `bounds`
   * are what the service's own scaling makes of each one's (service-allocation.ts); a revision not
   * in it keeps its template's.
   */
  serve(project: string, service: string, serving: RevisionRow[], bounds: ReadonlyMap<string, RevisionBounds> = new Map()): void {
    const wanted = new Set(serving.map((r) => r.name));
    for (const rev of serving) this.scalerFor(rev);
    for (const scaler of this.scalers.values()) {
      if (scaler.rev.project !== project || scaler.rev.service !== service) continue;
      const { scaling } = scaler.rev.template;
      scaler.setBounds(bounds.get(scaler.rev.name) ?? { min: scaling.minInstanceCount, max: scaling.maxInstanceCount });
      scaler.setServing(wanted.has(scaler.rev.name));
      this.reconcile(scaler);
    }
  }

  /** Starts the first instance of a new revision and waits until it listens; throws with its log tail otherwise. */
  async startFirst(rev: RevisionRow): Promise<void> {
    const scaler = this.scalerFor(rev);
    await this.track(this.actions.startInstance(scaler), scaler);
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
    scaler.setServing(false);
    scaler.throttler.close(`revision ${revision} was deleted`);
    const retry = this.retryTimers.get(scaler);
    if (retry !== undefined) this.deps.clock.clearTimeout(retry);
    for (const live of scaler.instances.values()) {
      // Its log goes with the service or revision: nothing of it is collected.
      live.detachLogs();
      if (live.state === "starting") live.abort.abort();
      else if (live.state === "ready") void this.track(this.actions.drainAndStop(scaler, live), scaler);
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
      desired: scaler.desired,
      reason: decision?.reason,
      decidedAt: decision ? new Date(decision.at).toISOString() : undefined,
    };
  }

  /** Every revision with instances or requests now: what the metrics show (telemetry/metrics.ts). */
  *snapshot(): Generator<RevisionSnapshot> {
    for (const scaler of this.scalers.values()) {
      const { project, service, name } = scaler.rev;
      const instances = [...scaler.instances.values()].map((live) => ({
        id: live.row.id,
        state: live.state,
        inFlight: scaler.throttler.inFlightOf(live.row.id),
      }));
      yield { project, service, revision: name, instances, queued: scaler.throttler.queued };
    }
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
      void this.track(this.deaths.sweep().catch((error) => this.deps.log.error("sweep failed", { error: (error as Error).message })));
      if (this.running) this.sweepTimer = clock.setTimeout(sweep, SWEEP_EVERY_MS);
    };
    this.sweepTimer = clock.setTimeout(sweep, SWEEP_EVERY_MS);
    for (const scaler of this.scalers.values()) this.reconcile(scaler);
    this.stopEvents = runtime.watchEvents(
      { [LABEL.engine]: engineId },
      (event) => this.deaths.onEvent(event),
      () => void this.deaths.sweep().catch(() => undefined),
    );
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
      for (const live of scaler.instances.values()) {
        live.detachLogs();
        // No probe outlives the loop: the next start adopts the instance and probes it again.
        live.stopLiveness?.();
      }
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
      this.track(this.actions.startInstance(scaler), scaler).catch((error) =>
        this.deps.log.warn("could not start an instance", { revision: scaler.rev.name, error: (error as Error).message.split("\n")[0] }),
      );
    }
    for (const live of plan.drain) void this.track(this.actions.drainAndStop(scaler, live), scaler);
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

  /** After a restart: the engine's containers taken back, or collected and removed (instance-adoption.ts). */
  adopt(): Promise<void> {
    return adoptInstances(this.deps, this.actions, (rev) => this.scalerFor(rev));
  }
}
