/**
 * One instance's hard concurrency limit (Cloud Run's maxInstanceRequestConcurrency), like the
 * breaker in Knative's queue-proxy but without a queue of its own: the revision's throttler does
 * the queueing, so this only counts slots and refuses when none is free.
 */
export class Breaker {
  private reserved = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`breaker capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Takes a slot if one is free; the caller must release() it exactly once. */
  tryReserve(): boolean {
    if (this.reserved >= this.capacity) return false;
    this.reserved++;
    return true;
  }

  /** Frees a slot. Never goes below zero, so a stray extra release cannot mint capacity. */
  release(): void {
    if (this.reserved > 0) this.reserved--;
  }

  get inFlight(): number {
    return this.reserved;
  }

  get free(): number {
    return this.capacity - this.reserved;
  }
}
