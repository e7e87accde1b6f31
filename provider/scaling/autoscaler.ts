/**
 * The per-revision scaling decision, in the shape of Knative's KPA: scale on the average concurrency
 * (in-flight plus queued requests) over a 60 s stable window, switch to a 6 s panic window when a burst
 * doubles the need, limit how fast the count moves, and scale to zero only after an idle grace period.
 * A burst that wakes the revision from zero is provisioned at the instances' hard limit instead, for as
 * long as the panic it starts lasts (see activateFromZero).
 *
 * Pure apart from its own memory (recorded concurrency, panic state): time is always passed in, so a
 * caller's tick loop owns the clock and tests run the rules exactly.
 */
import { ConcurrencyWindow } from "./concurrency-window";

export interface AutoscalerSettings {
  /** Share of an instance's concurrency limit to aim for, leaving headroom for bursts. */
  targetUtilization: number;
  stableWindowMs: number;
  panicWindowMs: number;
  /** Panic when the panic window asks for this many times the ready instances. */
  panicThreshold: number;
  /** Each decision keeps at least ready / this many instances. */
  maxScaleDownRate: number;
  /** Each decision asks for at most this many times the ready instances (at least one counted). */
  maxScaleUpRate: number;
  /** How long a revision must have had no concurrency before its last instance goes. */
  scaleToZeroGraceMs: number;
}

/** Cloud Run's utilization target and idle retention on Knative's windows and rates. */
export const DEFAULT_AUTOSCALER_SETTINGS: AutoscalerSettings = Object.freeze({
  targetUtilization: 0.6,
  stableWindowMs: 60_000,
  panicWindowMs: 6_000,
  panicThreshold: 2.0,
  maxScaleDownRate: 2,
  maxScaleUpRate: 1000,
  scaleToZeroGraceMs: 15 * 60_000,
});

/** How often the autoscaler decides: three times per panic window, at most every 2 s (Knative's tick). */
export function tickFor(panicWindowMs: number): number {
  return Math.min(2_000, Math.max(100, Math.round(panicWindowMs / 3)));
}

export interface RevisionScaleBounds {
  /** Hard limit of concurrent requests per instance. */
  concurrency: number;
  minInstances: number;
  maxInstances: number;
}

export type ScaleReason = "stable" | "panic" | "scale-to-zero" | "min" | "max";

export interface ScaleDecision {
  desired: number;
  reason: ScaleReason;
  panicking: boolean;
  /** Average concurrency over the stable window. */
  stableConcurrency: number;
  /** Average concurrency over the panic window. */
  panicConcurrency: number;
}

export class Autoscaler {
  private readonly window: ConcurrencyWindow;
  /**
   * The last decision at which the panic window was at or over the threshold; undefined when not
   * panicking. Renewed on every such decision, so panic ends a full stable window after the burst.
   */
  private panicRenewedAt: number | undefined;
  /** The highest count asked for during the current panic: panic only ever scales up. */
  private highestPanicDesired = 0;
  /** The current panic is the one that woke the revision from zero: it counts an instance as its hard limit. */
  private panicFromZero = false;
  /** The first time this autoscaler heard of the revision: a revision that never had demand idles from here. */
  private firstSeenAt: number | undefined;
  /** When an instance last became ready: an instance is idle from when it could first serve, not from before. */
  private instanceReadyAt: number | undefined;

  constructor(
    private readonly settings: AutoscalerSettings,
    private readonly bounds: RevisionScaleBounds,
    window?: ConcurrencyWindow,
  ) {
    validate(settings, bounds);
    this.window = window ?? new ConcurrencyWindow(Math.max(settings.stableWindowMs, settings.panicWindowMs));
    check(this.window.retentionMs >= settings.stableWindowMs, "the window must retain at least the stable window");
  }

  /** An instance became ready at `now`: the idle grace for scaling to zero starts no earlier than this. */
  instanceReady(now: number): void {
    this.instanceReadyAt = now;
  }

  /**
   * Requests are waiting at a revision with no ready instance, and the burst rule has asked for
   * `instances` = ceil(N / concurrency) of them, each to be filled to its hard limit. That begins (or
   * renews) a panic holding at least that many, and until the panic ends both windows count an
   * instance as `concurrency` requests, not concurrency × targetUtilization.
   *
   * Why: the same requests are still in the windows once the first instance is ready (queued, then in
   * flight), and at the 60 % target they would be provisioned a second time: 80 requests at
   * concurrency 10 start 8 instances, then 14. A burst is absorbed by the hard limit and the queue;
   * the utilization target is headroom for load that lasts, and applies again once the panic has
   * ended, a stable window after the panic window last asked for twice the ready instances.
   */
  activateFromZero(now: number, instances: number): void {
    this.firstSeenAt ??= now;
    this.panicRenewedAt = now;
    this.panicFromZero = true;
    this.highestPanicDesired = Math.max(this.highestPanicDesired, instances);
  }

  /** Records the average concurrency since the previous record (see ConcurrencyWindow.record). */
  record(now: number, averageConcurrency: number): void {
    this.firstSeenAt ??= now;
    this.window.record(now, averageConcurrency);
  }

  decide(now: number, readyInstances: number): ScaleDecision {
    this.firstSeenAt ??= now;
    const { settings } = this;
    const targetPerInstance = this.bounds.concurrency * settings.targetUtilization;
    const stableConcurrency = this.window.average(now, settings.stableWindowMs);
    const panicConcurrency = this.window.average(now, settings.panicWindowMs);

    // Rates count at least one instance, so a revision at zero can still scale up (and a burst there panics).
    const rateBase = Math.max(1, readyInstances);
    const maxUp = Math.ceil(settings.maxScaleUpRate * rateBase);
    const minDown = Math.floor(rateBase / settings.maxScaleDownRate);
    const withinRates = (count: number) => Math.min(Math.max(count, minDown), maxUp);

    // The threshold compares the unlimited panic need at the target, as Knative does.
    this.updatePanic(now, instancesFor(panicConcurrency, targetPerInstance) / rateBase >= settings.panicThreshold);

    let desired: number;
    let reason: ScaleReason;
    if (this.panicRenewedAt !== undefined) {
      // Provision for whichever window asks more, and never less than earlier in this panic.
      const perInstance = this.panicFromZero ? this.bounds.concurrency : targetPerInstance;
      const stableNeed = instancesFor(stableConcurrency, perInstance);
      const panicNeed = instancesFor(panicConcurrency, perInstance);
      this.highestPanicDesired = Math.max(this.highestPanicDesired, withinRates(stableNeed), withinRates(panicNeed));
      desired = this.highestPanicDesired;
      reason = "panic";
    } else {
      desired = withinRates(instancesFor(stableConcurrency, targetPerInstance));
      reason = "stable";
    }

    // Requests waiting at a revision with no ready instance are demand even before they cover any time.
    if (desired === 0 && readyInstances === 0 && (this.window.latest() ?? 0) > 0) desired = 1;

    // The last instance stays until the revision has been idle for the whole grace period.
    if (desired === 0 && readyInstances > 0) {
      if (this.idleFor(now) < settings.scaleToZeroGraceMs) desired = 1;
      else reason = "scale-to-zero";
    }

    // The revision's own bounds win over everything above.
    if (desired < this.bounds.minInstances) {
      desired = this.bounds.minInstances;
      reason = "min";
    } else if (desired > this.bounds.maxInstances) {
      desired = this.bounds.maxInstances;
      reason = "max";
    }

    return { desired, reason, panicking: this.panicRenewedAt !== undefined, stableConcurrency, panicConcurrency };
  }

  private updatePanic(now: number, overThreshold: boolean): void {
    if (overThreshold) {
      // Begin panicking, or extend the panic while the burst lasts.
      this.panicRenewedAt = now;
    } else if (this.panicRenewedAt !== undefined && this.panicRenewedAt + this.settings.stableWindowMs <= now) {
      // A full stable window below the threshold: the burst is now part of the stable average.
      this.panicRenewedAt = undefined;
      this.highestPanicDesired = 0;
      this.panicFromZero = false;
    }
  }

  /** Time since the revision last had concurrency; a revision that never had any counts from when it was first seen. */
  private idleFor(now: number): number {
    const since = Math.max(this.window.lastNonZero() ?? -Infinity, this.instanceReadyAt ?? this.firstSeenAt ?? now);
    return now - since;
  }
}

/**
 * ceil(concurrency / target), except that a ratio within float noise of a whole number is that number:
 * 4.2 / 0.6 is 7.000000000000001 in floating point and must ask for 7 instances, not 8.
 */
function instancesFor(concurrency: number, targetPerInstance: number): number {
  const ratio = concurrency / targetPerInstance;
  const whole = Math.round(ratio);
  return whole > 0 && Math.abs(ratio - whole) < 1e-9 ? whole : Math.ceil(ratio);
}

function validate(s: AutoscalerSettings, b: RevisionScaleBounds): void {
  check(s.targetUtilization > 0 && s.targetUtilization <= 1, "targetUtilization must be in (0, 1]");
  check(s.panicWindowMs > 0, "panicWindowMs must be positive");
  check(s.stableWindowMs >= s.panicWindowMs, "stableWindowMs must be at least panicWindowMs");
  // At 1 or below a steady load would count as panic (threshold) or never scale down (down rate).
  check(s.panicThreshold > 1, "panicThreshold must be above 1");
  check(s.maxScaleDownRate > 1, "maxScaleDownRate must be above 1");
  check(s.maxScaleUpRate > 1, "maxScaleUpRate must be above 1");
  check(s.scaleToZeroGraceMs >= 0, "scaleToZeroGraceMs must not be negative");
  check(Number.isInteger(b.concurrency) && b.concurrency >= 1, "concurrency must be an integer >= 1");
  check(Number.isInteger(b.minInstances) && b.minInstances >= 0, "minInstances must be an integer >= 0");
  check(Number.isInteger(b.maxInstances) && b.maxInstances >= b.minInstances, "maxInstances must be an integer >= minInstances");
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(message);
}
