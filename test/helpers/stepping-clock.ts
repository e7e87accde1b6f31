import type { TimerHandle } from "../../provider/base/clock";
import { FakeClock } from "./fake-clock";

/**
 * Lets every promise callback that is already queued (and every one those queue) run, so code that
 * awaits a fake's promises catches up before the test looks. Nothing here waits on real time.
 */
export async function flush(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A FakeClock for code that awaits between timers (the instance controller awaits its runtime): run()
 * moves time forward one due time at a time and flushes promise callbacks after each, as Node's event
 * loop runs microtasks between timers. advance() on its own would fire a whole stretch of timers
 * without letting any awaited continuation run in between.
 */
export class SteppingClock extends FakeClock {
  private readonly due = new Map<TimerHandle, number>();

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const handle: TimerHandle = super.setTimeout(() => {
      this.due.delete(handle);
      fn();
    }, ms);
    this.due.set(handle, this.now() + delay);
    return handle;
  }

  override clearTimeout(handle: TimerHandle): void {
    this.due.delete(handle);
    super.clearTimeout(handle);
  }

  /** The earliest time a pending timer falls due, if any. */
  nextDueAt(): number | undefined {
    let earliest: number | undefined;
    for (const at of this.due.values()) if (earliest === undefined || at < earliest) earliest = at;
    return earliest;
  }

  /** Moves time forward by ms, stopping at every due time to let awaited work run. Ends at exactly now + ms. */
  async run(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, got ${ms} ms`);
    await this.runTo(this.now() + ms);
  }

  /** Like run(), to an absolute clock time. */
  async runTo(until: number): Promise<void> {
    if (until < this.now()) throw new RangeError(`cannot run back to ${until}: it is already ${this.now()}`);
    await flush();
    for (let next = this.nextDueAt(); next !== undefined && next <= until; next = this.nextDueAt()) {
      this.advance(next - this.now());
      await flush();
    }
    this.advance(until - this.now());
    await flush();
  }

  /**
   * Runs timer by timer until `condition` holds (checked before each step), for at most `limitMs`;
   * returns the clock time at which it held. Throws, naming `what`, if it never did.
   */
  async runUntil(condition: () => boolean, limitMs: number, what = "the condition"): Promise<number> {
    const limit = this.now() + limitMs;
    await flush();
    for (;;) {
      if (condition()) return this.now();
      const next = this.nextDueAt();
      if (next === undefined || next > limit) break;
      this.advance(next - this.now());
      await flush();
    }
    if (condition()) return this.now();
    throw new Error(`${what} did not happen within ${limitMs} ms of clock time (now ${this.now()})`);
  }
}
