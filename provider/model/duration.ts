/** Durations as the CLI and engine settings take them: "500ms", "5s", "15m", "1h", or bare seconds. */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * unitMs[match[2] ?? "s"]);
}
