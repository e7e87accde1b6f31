/**
 * Billable instance time as Cloud Run bills a service whose CPU is allocated during requests: the
 * time an instance has at least one request in flight (the union of its requests' intervals), here
 * unrounded. It is learnt from requests as they complete: each instance keeps its current busy
 * period [start, end]; a request that overlaps it widens it by what it adds, one that begins after
 * it starts a new period. A long request that spans several periods of shorter ones, and completes
 * after them, counts their time again: rare (one instance, concurrency > 1, a long request among
 * short ones with idle gaps between them), and then an overcount by at most those periods.
 */
export class BusyTime {
  private readonly periods = new Map<string, { start: number; end: number }>();

  /** A request on `instance` ran from `start` to `end` (ms): the milliseconds of busy time it adds. */
  add(instance: string, start: number, end: number): number {
    const period = this.periods.get(instance);
    if (!period || start > period.end) {
      this.periods.set(instance, { start, end });
      return end - start;
    }
    if (end < period.start) return end - start;
    const before = period.end - period.start;
    period.start = Math.min(period.start, start);
    period.end = Math.max(period.end, end);
    return period.end - period.start - before;
  }

  /** Forgets instances idle since before `before` (ms): an instance that stopped leaves nothing behind. */
  forgetIdleSince(before: number): void {
    for (const [instance, period] of this.periods) if (period.end < before) this.periods.delete(instance);
  }
}
