/**
 * Durations as the CLI and engine settings take them, gcloud style: bare seconds ("30"), one unit
 * ("500ms", "5s", "15m", "1h") or several from largest to smallest ("1m30s", "1h5m", "2s500ms").
 */
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s)/y;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const ORDER = ["h", "m", "s", "ms"];

export function parseDurationMs(input: string): number | undefined {
  const text = input.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== at) return undefined;
    const unit = ORDER.indexOf(match[2]);
    if (unit <= lastUnit) return undefined; // "5s1m" or "1m1m": not a duration anyone meant
    lastUnit = unit;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return lastUnit < 0 ? undefined : Math.round(total);
}

/** What a duration flag's error says it expects. */
export const DURATION_EXAMPLES = "a duration such as 30, 500ms, 5s, 1m30s or 15m";
