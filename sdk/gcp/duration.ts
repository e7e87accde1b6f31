import { isUnknown } from "../preview-values/unknowns";
import type { Problems } from "./paths";

/**
 * Cloud Run's durations are protobuf Durations in JSON: seconds with an "s" suffix ("300s",
 * "3.5s"). The engine counts whole seconds, so a fraction is refused rather than rounded: a
 * timeout that silently changed would not be a rehearsal of production.
 */
const DURATION = /^(\d+)(?:\.(\d{1,9}))?s$/;

/** Seconds for a duration string; `undefined` when absent, the unknown marker passes through. */
export function durationSeconds(value: unknown, path: string, problems: Problems): unknown {
  if (value === undefined || value === null || isUnknown(value)) return value ?? undefined;
  const match = typeof value === "string" ? DURATION.exec(value) : null;
  if (!match) {
    problems.add(path, `must be a duration in seconds such as "300s", got ${JSON.stringify(value)}`);
    return undefined;
  }
  if (match[2] !== undefined && Number(match[2]) !== 0) {
    problems.add(path, `must be a whole number of seconds here (skiff's engine counts whole seconds), got "${String(value)}"`);
    return undefined;
  }
  return Number(match[1]);
}

export function durationString(seconds: number): string {
  return `${seconds}s`;
}
