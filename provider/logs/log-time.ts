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
