import type { MemberContainer } from "./instance-members";
import type { Clock } from "../base/clock";
import { startupDeadlineMs } from "../model/template";
import { Autoscaler, type AutoscalerSettings, type ScaleReason } from "../scaling/autoscaler";
import type { RevisionBounds } from "../scaling/service-allocation";
import { Throttler } from "../scaling/throttler";
import type { InstanceRow, RevisionRow } from "../state/store";
import { RestartBackoff } from "./restart-backoff";

/** How long a request waits for a slot once the revision has instances: 10 s, or the average startup time when longer. */
export const MIN_QUEUE_WAIT_MS = 10_000;
const STARTUP_SAMPLES = 10;

export type InstanceState = "starting" | "ready" | "draining";

/** One container of a revision, as the engine tracks it while the daemon runs. */
export interface LiveInstance {
  row: InstanceRow;
  state: InstanceState;
  /** When it became ready (clock time), for the restart back-off. */
  readyAt?: number;
  /** Cancels a start in progress (the revision was deleted). */
  readonly abort: AbortController;
  /** Docker reported an out-of-memory kill in it. */
  oomKilled?: boolean;
  /** Lets go of its log without collecting it (the revision or service is deleted; the engine stops). */
  detachLogs: () => void;
  /** Its containers, the one holding its network (row.containerId) among them; none recorded: that one alone. */
  members?: MemberContainer[];
  /** Stops its containers' liveness probes (set while they run); called as it leaves "ready". */
  stopLiveness?: () => void;
}

/** The last scaling decision, as `services describe` shows it. */
export interface ScaleDecisionRecord {
  desired: number;
  reason: ScaleReason | "manual";
  panicking: boolean;
  at: number;
}

/** What the reconciler should do now for one revision. */
export interface ScalePlan {
  /** Instances to start now. */
  start: number;
  /** Ready instances to drain and stop. */
  drain: LiveInstance[];
  /** When starts are held back by the restart back-off: wait this long, then reconcile again. */
  retryInMs?: number;
}

/**
 * One revision's scaling state: its throttler (which the ingress reads through RevisionThrottlers),
 * its autoscaler, its instances and the desired count. It decides; the instance controller acts.
 *
 * While the revision has no ready instance, the activator's rule sets the count: a burst of N
 * requests at concurrency C asks for ceil(N/C) instances at once (bounded by max), never one per
 * request. The autoscaler is told (activateFromZero), so that once an instance is ready its
 * decisions carry on from that count instead of provisioning the same burst again at its target.
 */
export class RevisionScaler {
  readonly throttler: Throttler;
  /** Its instances by id; changed only through addInstance and removeInstance. */
  readonly instances: ReadonlyMap<string, LiveInstance> = new Map<string, LiveInstance>();
  readonly backoff = new RestartBackoff();
  /** Reachable by traffic or a tag: only a serving revision keeps instances. */
  private servingNow = false;
  private desiredCount = 0;
  /**
   * Its bounds now: its own template's, until the service's scaling (service-allocation.ts) gives
   * it a share of a service minimum or maximum, or a fixed count under manual scaling.
   */
  private bounds: RevisionBounds;
  lastDecision: ScaleDecisionRecord | undefined;
  private readonly autoscaler: Autoscaler;
  private readonly startupMs: number[] = [];

  constructor(
    readonly rev: RevisionRow,
    private readonly clock: Clock,
    settings: AutoscalerSettings,
    /** Called when requests queue and more instances are wanted at once. */
    private readonly onScaleUp: () => void,
  ) {
    const t = rev.template;
    this.bounds = { min: t.scaling.minInstanceCount, max: t.scaling.maxInstanceCount };
    this.throttler = new Throttler({
      revision: rev.name,
      concurrency: t.maxInstanceRequestConcurrency,
      clock,
      queueTimeoutMs: () => this.queueTimeoutMs(),
      atMaxScale: () => this.count("ready") + this.count("starting") >= this.bounds.max,
      onDemand: (demand) => this.onDemand(demand),
    });
    this.autoscaler = new Autoscaler(settings, {
      concurrency: t.maxInstanceRequestConcurrency,
      minInstances: t.scaling.minInstanceCount,
      maxInstances: t.scaling.maxInstanceCount,
    });
  }

  count(state: InstanceState): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.state === state) n++;
    return n;
  }

  /** A start took this long from create to listening: the average feeds the queue timeout. */
  recordStartup(ms: number): void {
    this.autoscaler.instanceReady(this.clock.now());
    this.startupMs.push(ms);
    if (this.startupMs.length > STARTUP_SAMPLES) this.startupMs.shift();
  }

  get averageStartupMs(): number | undefined {
    if (this.startupMs.length === 0) return undefined;
    return this.startupMs.reduce((a, b) => a + b, 0) / this.startupMs.length;
  }

  /**
   * From zero, a request is held until an instance listens (the startup deadline); with instances
   * running it waits while scale-out happens: 10 s, or the average startup time when longer.
   */
  private queueTimeoutMs(): number {
    // No share of the service's instances (a manual count or a maximum smaller than the split): no instance is coming.
    if (this.bounds.max === 0) return MIN_QUEUE_WAIT_MS;
    if (this.count("ready") === 0) return startupDeadlineMs(this.rev.template) + MIN_QUEUE_WAIT_MS;
    return Math.max(MIN_QUEUE_WAIT_MS, this.averageStartupMs ?? 0);
  }

  get serving(): boolean {
    return this.servingNow;
  }

  /** The count the revision is brought to while it serves (0 once it does not). */
  get desired(): number {
    return this.servingNow ? this.desiredCount : 0;
  }

  /**
   * Whether traffic or a tag reaches the revision now. One that starts serving keeps what runs (and
   * at least its minimum) until its autoscaler has seen some traffic; one that stops scales to zero.
   */
  /** An instance the controller is starting or has taken back: counted from now on. */
  addInstance(live: LiveInstance): void {
    (this.instances as Map<string, LiveInstance>).set(live.row.id, live);
  }

  removeInstance(id: string): void {
    (this.instances as Map<string, LiveInstance>).delete(id);
  }

  setServing(serves: boolean): void {
    if (serves && !this.servingNow) {
      this.desiredCount = Math.max(this.desiredCount, this.count("ready") + this.count("starting"), this.bounds.min);
    }
    this.servingNow = serves;
    this.applyBounds();
  }

  /** The bounds the service's scaling gives it now (a change of split or setting applies at once). */
  setBounds(bounds: RevisionBounds): void {
    this.bounds = bounds;
    this.applyBounds();
  }

  get currentBounds(): RevisionBounds {
    return this.bounds;
  }

  private applyBounds(): void {
    const { min, max, fixed } = this.bounds;
    if (fixed !== undefined) this.desiredCount = fixed;
    else this.desiredCount = Math.min(max, Math.max(min, this.desiredCount));
  }

  private onDemand(demand: number): void {
    // Manual scaling: the count stays what it is set to, whatever the load.
    if (this.bounds.fixed !== undefined) return;
    // At once, not at the next tick: with a 2 s tick the burst's instances may all be ready by then.
    if (this.count("ready") === 0) this.autoscaler.activateFromZero(this.clock.now(), this.instancesAtHardLimit(demand));
    const wanted = this.burstCount(demand);
    if (wanted > this.desiredCount) {
      this.desiredCount = wanted;
      this.lastDecision = {
        desired: wanted,
        reason: wanted === this.bounds.max ? "max" : "panic",
        panicking: true,
        at: this.clock.now(),
      };
      this.onScaleUp();
    }
  }

  /** ceil(demand / concurrency): the instances that serve the demand with every slot taken. */
  private instancesAtHardLimit(demand: number): number {
    return Math.ceil(demand / this.rev.template.maxInstanceRequestConcurrency);
  }

  /** instancesAtHardLimit, bounded by the revision's min and max. */
  private burstCount(demand: number): number {
    return Math.min(this.bounds.max, Math.max(this.bounds.min, this.instancesAtHardLimit(demand)));
  }

  /** One autoscaler tick: record the concurrency since the last tick and decide the count. */
  tick(): void {
    const now = this.clock.now();
    for (const i of this.instances.values()) if (i.state === "ready" && i.readyAt !== undefined) this.backoff.recordUp(now, i.readyAt);
    this.autoscaler.record(now, this.throttler.takeConcurrencySample());
    if (!this.servingNow) {
      this.desiredCount = 0;
      return;
    }
    const ready = this.count("ready");
    if (this.bounds.fixed !== undefined) {
      this.desiredCount = this.bounds.fixed;
      this.lastDecision = { desired: this.desiredCount, reason: "manual", panicking: false, at: now };
      return;
    }
    // Activating from zero: the burst rule, not the utilisation target, decides how many start.
    if (ready === 0 && this.throttler.demand > 0) this.autoscaler.activateFromZero(now, this.instancesAtHardLimit(this.throttler.demand));
    const decision = this.autoscaler.decide(now, ready);
    let { desired, reason } = decision;
    if (this.throttler.queued > 0 && this.burstCount(this.throttler.demand) > desired) {
      // Requests are waiting now: a sample that barely covers the burst must not scale below what they need.
      desired = this.burstCount(this.throttler.demand);
      reason = desired === this.bounds.max ? "max" : "panic";
    }
    // The service's scaling may bound it tighter than its own template (its autoscaler holds to those).
    if (desired < this.bounds.min) [desired, reason] = [this.bounds.min, "min"];
    else if (desired > this.bounds.max) [desired, reason] = [this.bounds.max, "max"];
    // At zero with nothing to do, the revision stays scaled to zero; say so rather than "stable".
    if (desired === 0 && reason === "stable") reason = "scale-to-zero";
    this.desiredCount = desired;
    this.lastDecision = { desired, reason, panicking: decision.panicking, at: now };
  }

  /** Starts and drains that bring the revision to its desired count. */
  plan(): ScalePlan {
    const target = this.servingNow ? this.desiredCount : 0;
    const ready = [...this.instances.values()].filter((i) => i.state === "ready");
    const starting = this.count("starting");
    const have = ready.length + starting;
    if (have < target) {
      const wait = this.backoff.waitMs(this.clock.now());
      if (wait > 0) return { start: 0, drain: [], retryInMs: wait };
      // Draining instances still exist: never run more containers than the maximum.
      const room = this.bounds.max - have - this.count("draining");
      // While instances keep failing, try one at a time.
      const wanted = this.backoff.consecutiveFailures > 0 ? Math.min(1, target - have) - starting : target - have;
      return { start: Math.max(0, Math.min(wanted, room)), drain: [] };
    }
    // Only ready instances beyond the target drain; never a ready one to make room for one still starting.
    if (ready.length > target) {
      // Drain the least busy first: they finish soonest.
      const drain = ready
        .sort((a, b) => this.throttler.inFlightOf(a.row.id) - this.throttler.inFlightOf(b.row.id))
        .slice(0, ready.length - target);
      return { start: 0, drain };
    }
    return { start: 0, drain: [] };
  }
}
