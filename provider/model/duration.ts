/**
 * Durations as the CLI and engine settings take them, gcloud style: bare seconds ("30"), one unit
 * ("500ms", "5s", "15m", "1h", "2d", "1w") or several from largest to smallest ("1m30s", "1h5m",
 * "2d12h", "2s500ms"), in either case ("10M"), or ISO 8601 ("PT10M", "P1D", "P1DT12H"). gcloud's
 * Duration reads all of these (core/util/iso_duration.py: days and weeks too, the "P"/"T" prefixes
 * optional), so a script's `--task-timeout 2d` works as it does there. An ISO month ("P1M") is
 * refused: a month has no fixed length.
 */
const PART = /(\d+(?:\.\d+)?)(w|d|h|ms|m|s)/y;
const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const ORDER = ["w", "d", "h", "m", "s", "ms"];
/** Where ISO 8601's time part starts ("T"): only hours, minutes and seconds follow it. */
const FIRST_TIME_UNIT = ORDER.indexOf("h");

export function parseDurationMs(input: string): number | undefined {
  let text = input.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const iso = text.startsWith("p");
  if (iso) text = text.slice(1);
  let total = 0;
  let lastUnit = -1;
  let timePart = !iso;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    if (iso && !timePart && text[PART.lastIndex] === "t") {
      timePart = true;
      PART.lastIndex += 1;
      continue;
    }
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== at) return undefined;
    const unit = ORDER.indexOf(match[2]);
    if (unit <= lastUnit) return undefined; // "5s1m" or "1m1m": not a duration anyone meant
    // In ISO 8601 the date part holds weeks and days ("P1M" would be a month), the time part the rest.
    if (iso && unit >= FIRST_TIME_UNIT !== timePart) return undefined;
    lastUnit = unit;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return lastUnit < 0 ? undefined : Math.round(total);
}

/** What a duration flag's error says it expects. */
export const DURATION_EXAMPLES = "a duration such as 30, 500ms, 5s, 1m30s or 15m";
