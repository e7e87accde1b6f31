/**
 * The per-request traffic split: nginx's smooth weighted round-robin. Each pick adds every entry's
 * weight to its running score, takes the highest score (the earliest entry on a tie) and subtracts
 * the total from the winner. It is deterministic and exact: after `total` picks every score is back
 * to zero, so each window of `total` consecutive picks from the start (or from any multiple of
 * `total`) matches the weights exactly, and the picks interleave (50/50 alternates) instead of
 * coming in runs. Random picking would only be within a few points over thousands of requests.
 *
 * Weights are reduced by their greatest common divisor first (90/10 → 9/1), so exact windows are
 * as short as they can be. The split is per request: every request asks the one picker of its
 * service, whoever the client is. A traffic change builds a new picker.
 */

export interface WeightedEntry {
  revision: string;
  percent: number;
}

export class WeightedPicker {
  private readonly revisions: string[];
  private readonly weights: number[];
  private readonly scores: number[];
  private readonly total: number;

  /** Entries with 0 % (or less) are ignored; the same revision listed twice adds up. */
  constructor(entries: readonly WeightedEntry[]) {
    const merged = new Map<string, number>();
    for (const { revision, percent } of entries) {
      if (Number.isFinite(percent) && percent > 0) merged.set(revision, (merged.get(revision) ?? 0) + percent);
    }
    this.revisions = [...merged.keys()];
    const divisor = [...merged.values()].reduce(gcd, 0) || 1;
    this.weights = [...merged.values()].map((w) => w / divisor);
    this.scores = this.weights.map(() => 0);
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }

  /** The revision for the next request; undefined when nothing has traffic. */
  pick(): string | undefined {
    const n = this.revisions.length;
    if (n <= 1) return this.revisions[0];
    let best = 0;
    for (let i = 0; i < n; i++) {
      this.scores[i] += this.weights[i];
      if (this.scores[i] > this.scores[best]) best = i;
    }
    this.scores[best] -= this.total;
    return this.revisions[best];
  }

  /** The revisions this picker can answer, in the order given. */
  get targets(): readonly string[] {
    return this.revisions;
  }
}

/** Euclid's algorithm; for non-integer weights it still terminates and the pick stays proportional. */
function gcd(a: number, b: number): number {
  if (!Number.isInteger(a) || !Number.isInteger(b)) return 1;
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
