/** Times of log lines as Docker writes them (RFC 3339 with nanoseconds), compared as strings. */

/** Docker's RFC 3339 times drop trailing zeros; pad the fraction so they compare as strings. */
export function normalizeTime(time: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-].*)$/.exec(time);
  if (!match) return time;
  return `${match[1]}.${(match[2] ?? "").padEnd(9, "0")}${match[3]}`;
}

/**
 * A test for lines in the order Docker sends them: false for those at or before `after` (a
 * normalised time: they are kept already), true from the first one after it on (all later ones
 * are new too).
 */
export function linesAfter(after: string | undefined): (time: string) => boolean {
  let skipping = after !== undefined;
  return (time) => {
    if (skipping && normalizeTime(time) <= after!) return false;
    skipping = false;
    return true;
  };
}

/** A time as milliseconds since the epoch and the nanoseconds below the millisecond, for comparing to the nanosecond. */
export type TimeParts = [ms: number, subMsNanos: number];

const RFC3339 = /^(\d{4}-\d\d-\d\d)(?:[Tt ](\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?)?([Zz]|[+-]\d\d:?\d\d)?$/;

/**
 * An RFC 3339 time as Cloud Logging's filters take it (`timestamp>="2026-12-07T05:00:00Z"`; a
 * date alone is its midnight, no zone is UTC), or undefined for text that is none. Docker's lines
 * (nanoseconds) and the ingress's (milliseconds) compare as times, not as text: as text,
 * "05:00:00.5Z" sorts before "05:00:00Z".
 */
export function timeParts(text: string): TimeParts | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, date, clock = "00:00:00", fraction = "", zone = "Z"] = match;
  const ms = Date.parse(`${date}T${clock.length === 5 ? `${clock}:00` : clock}${zone.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const nanos = Number(fraction.padEnd(9, "0"));
  return [ms + Math.floor(nanos / 1e6), nanos % 1e6];
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function timeOrder(a: TimeParts, b: TimeParts): number {
  return a[0] - b[0] || a[1] - b[1];
}
