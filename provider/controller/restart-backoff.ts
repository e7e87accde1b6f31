/**
 * How long to wait before starting another instance of a revision whose instances keep failing (a
 * crash at start, an exit or an out-of-memory kill after listening): 1 s, 2 s, 4 s … capped at
 * 30 s, so a crash loop costs little and a recovered revision is back within half a minute. An
 * instance that stayed up for longer than STABLE_AFTER_MS ends the streak.
 */
export const RESTART_BACKOFF_CAP_MS = 30_000;
export const STABLE_AFTER_MS = 60_000;

export function restartDelayMs(consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return 0;
  return Math.min(RESTART_BACKOFF_CAP_MS, 1000 * 2 ** (consecutiveFailures - 1));
}

/** The failure streak of one revision's instances. */
export class RestartBackoff {
  private failures = 0;
  private notBefore = 0;
  private lastFailureAt = -Infinity;

  /** An instance failed at `now`; `upForMs` is how long it had been ready (0 if it never was). */
  recordFailure(now: number, upForMs = 0): number {
    if (upForMs > STABLE_AFTER_MS) this.failures = 0;
    this.failures += 1;
    this.lastFailureAt = now;
    const delay = restartDelayMs(this.failures);
    this.notBefore = now + delay;
    return delay;
  }

  /** An instance ready since readyAt (after the last failure) is still up at now: past STABLE_AFTER_MS that ends the streak. */
  recordUp(now: number, readyAt: number): void {
    if (this.failures > 0 && readyAt >= this.lastFailureAt && now - readyAt > STABLE_AFTER_MS) this.reset();
  }

  /** No wait before the next start. */
  reset(): void {
    this.failures = 0;
    this.notBefore = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Milliseconds until another instance may start (0: now). */
  waitMs(now: number): number {
    return Math.max(0, this.notBefore - now);
  }
}
