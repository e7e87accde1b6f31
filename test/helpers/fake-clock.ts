import type { Clock, TimerHandle } from "../../provider/base/clock";

interface PendingTimer {
  handle: TimerHandle;
  dueAt: number;
  /** Scheduling order: timers due at the same time fire in the order they were set. */
  sequence: number;
  fn: () => void;
}

/**
 * A clock that only moves when a test says so. Timers wait in a queue until advance() reaches their
 * due time; they then fire in time order with now() equal to their due time, so code under test sees
 * exactly the time it would have seen on a real clock.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextSequence = 0;
  private timers: PendingTimer[] = [];

  constructor(startAt = 0) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    // Like Node, a negative or missing delay means "as soon as possible", here: at the current time.
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const handle = { fakeTimer: this.nextSequence } as unknown as TimerHandle;
    this.timers.push({ handle, dueAt: this.current + delay, sequence: this.nextSequence++, fn });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.handle !== handle);
  }

  /**
   * Moves time forward by ms, firing every timer that falls due on the way, earliest first, including
   * timers that fired timers set. Time ends at exactly now + ms.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, got ${ms} ms`);
    const until = this.current + ms;
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.timers = this.timers.filter((timer) => timer !== next);
      this.current = next.dueAt;
      next.fn();
    }
    this.current = until;
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  private nextDue(until: number): PendingTimer | undefined {
    let earliest: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (timer.dueAt > until) continue;
      if (!earliest || timer.dueAt < earliest.dueAt || (timer.dueAt === earliest.dueAt && timer.sequence < earliest.sequence)) {
        earliest = timer;
      }
    }
    return earliest;
  }
}
