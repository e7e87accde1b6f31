/**
 * A time-weighted record of one revision's observed concurrency (requests in flight plus queued), so
 * the average over any trailing window is exact rather than a mean of samples taken at uneven times.
 *
 * Each record says "the average concurrency since the previous record was c": it adds a bucket
 * covering (previous record time, now]. Averages count only covered time: time before the first record
 * or after the last one is absent, not zero, so a young revision's short history is not diluted.
 */
interface Bucket {
  start: number;
  end: number;
  concurrency: number;
}

export class ConcurrencyWindow {
  private buckets: Bucket[] = [];
  private lastRecordAt: number | undefined;
  private lastConcurrency: number | undefined;
  private lastNonZeroAt: number | undefined;

  /** @param retentionMs the longest window ever asked for; older buckets are dropped so memory stays bounded. */
  constructor(readonly retentionMs: number) {
    if (!(retentionMs > 0)) throw new RangeError(`retentionMs must be positive, got ${retentionMs}`);
  }

  record(now: number, averageConcurrency: number): void {
    if (!Number.isFinite(now)) throw new RangeError(`now must be a finite time, got ${now}`);
    if (!(averageConcurrency >= 0) || !Number.isFinite(averageConcurrency)) {
      throw new RangeError(`concurrency must be a finite number >= 0, got ${averageConcurrency}`);
    }
    if (this.lastRecordAt !== undefined && now < this.lastRecordAt) {
      throw new RangeError(`records must not go back in time: ${now} < ${this.lastRecordAt}`);
    }
    // The first record has no previous time, so its bucket covers no time yet (see average()).
    const start = this.lastRecordAt ?? now;
    this.buckets.push({ start, end: now, concurrency: averageConcurrency });
    this.lastRecordAt = now;
    this.lastConcurrency = averageConcurrency;
    // The bucket's end is the last moment the revision is known to have had demand.
    if (averageConcurrency > 0) this.lastNonZeroAt = now;
    this.prune(now);
  }

  /**
   * Time-weighted mean concurrency over (now - windowMs, now], counting covered time only; 0 when the
   * window holds no record. A record that covers no time yet (the very first one) is a reading of the
   * current demand, so when a window holds nothing else its latest such reading is the average: a burst
   * reported at a revision's first record must not average to zero.
   */
  average(now: number, windowMs: number): number {
    const windowStart = now - windowMs;
    let weighted = 0;
    let covered = 0;
    let latestReading: number | undefined;
    for (const bucket of this.buckets) {
      if (bucket.start === bucket.end) {
        if (bucket.end > windowStart && bucket.end <= now) latestReading = bucket.concurrency;
        continue;
      }
      const overlap = Math.min(bucket.end, now) - Math.max(bucket.start, windowStart);
      if (overlap <= 0) continue;
      weighted += overlap * bucket.concurrency;
      covered += overlap;
    }
    if (covered > 0) return weighted / covered;
    return latestReading ?? 0;
  }

  /** When the revision last had concurrency above zero (end of that bucket), or undefined if never. Kept past pruning. */
  lastNonZero(): number | undefined {
    return this.lastNonZeroAt;
  }

  /** The most recent record's concurrency, or undefined before the first record. */
  latest(): number | undefined {
    return this.lastConcurrency;
  }

  /** How many buckets are held; bounded by the retention divided by the record interval. */
  get size(): number {
    return this.buckets.length;
  }

  private prune(now: number): void {
    const oldestNeeded = now - this.retentionMs;
    let drop = 0;
    while (drop < this.buckets.length && this.buckets[drop].end <= oldestNeeded) drop++;
    this.buckets.splice(0, drop);
  }
}
