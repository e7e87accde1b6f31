import type { CheckFailure } from "../preview-values/validate";
import { isUnknown } from "../preview-values/unknowns";

/**
 * Paths as the user wrote them (`template.containers[0].ports.containerPort`) and the way back to
 * them from a path of the engine's model (`port`), so a failure of the engine's own validation
 * names the field of the pulumi-gcp program, not skiff's spelling of it.
 */
export function at(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export class PathMap {
  private readonly entries: [engine: string, gcp: string][] = [];

  /** Failures at `enginePath` or inside it are reported at `gcpPath` (plus what follows the prefix). */
  set(enginePath: string, gcpPath: string): void {
    this.entries.push([enginePath, gcpPath]);
  }

  toGcp(enginePath: string, fallback: string): string {
    let best: [string, string] | undefined;
    for (const entry of this.entries) {
      const [prefix] = entry;
      const inside = enginePath === prefix || enginePath.startsWith(`${prefix}.`) || enginePath.startsWith(`${prefix}[`);
      if (inside && (!best || prefix.length > best[0].length)) best = entry;
    }
    if (!best) return fallback;
    return best[1] + enginePath.slice(best[0].length);
  }

  /** The engine's failures, renamed to the user's paths. */
  mapFailures(failures: CheckFailure[], fallback: string): CheckFailure[] {
    return failures.map((f) => ({ property: this.toGcp(f.property === "(input)" ? "" : f.property, fallback), reason: f.reason }));
  }
}

/** Collects failures at the user's paths while a translation walks the program's arguments. */
export class Problems {
  readonly failures: CheckFailure[] = [];

  add(property: string, reason: string): void {
    this.failures.push({ property, reason });
  }

  /** A plain object (or unknown at preview, or absent); anything else is a failure and reads as absent. */
  object(value: unknown, path: string, shape = "an object"): Record<string, unknown> | undefined {
    if (value === undefined || value === null || isUnknown(value)) return undefined;
    if (typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    this.add(path, `must be ${shape}`);
    return undefined;
  }

  list(value: unknown, path: string, shape = "a list"): unknown[] | undefined {
    if (value === undefined || value === null || isUnknown(value)) return undefined;
    if (Array.isArray(value)) return value;
    this.add(path, `must be ${shape}`);
    return undefined;
  }
}
