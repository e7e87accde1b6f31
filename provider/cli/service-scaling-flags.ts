import type { Command } from "commander";
import { applyServiceScalingFlags, NO_SERVICE_SCALING, type ServiceScaling, type ServiceScalingFlags } from "../model/service-scaling";
import { intFlag } from "./flags";
import { UsageError } from "./output";

/**
 * gcloud's service-level scaling flags of deploy and services update: `--min` and `--max` (a count
 * or `default`), `--scaling` (`auto` or a fixed count). They set the service's own scaling, not its
 * template's: a change makes no revision and applies at once (model/service-scaling.ts).
 */
export function withServiceScalingFlags(command: Command): Command {
  return command
    .option(
      "--min <n>",
      'instances kept for the whole service, divided among the revisions with traffic by their percentages (no new revision; 0 or "default": none)',
      countOrWord("--min", "default", "Instance count value"),
    )
    .option(
      "--max <n>",
      'instances at most for the revisions with traffic together, divided by their percentages (no new revision; "default": no limit)',
      countOrWord("--max", "default", "Instance count value"),
    )
    .option(
      "--scaling <mode>",
      '"auto" (autoscaling), or a fixed instance count (manual scaling: that many, whatever the load; revision min/max ignored)',
      countOrWord("--scaling", "auto", "Input value"),
    );
}

/** A count (0 or more), or gcloud's one word for the flag; gcloud's own wording for a negative one. */
function countOrWord(flag: string, word: "default" | "auto", what: string) {
  const whole = intFlag(flag);
  return (value: string): number | typeof word => {
    if (value.trim() === word) return word;
    const n = whole(value);
    if (n < 0) throw new UsageError(`${flag}: ${what} ${value} is negative; give a count of 0 or more or "${word}"`);
    return n;
  };
}

/** The service's scaling after the flags, or undefined when none of them is given (it stays as it is). */
export function serviceScalingAfterDeploy(existing: ServiceScaling | undefined, flags: ServiceScalingFlags): ServiceScaling | undefined {
  if (flags.min === undefined && flags.max === undefined && flags.scaling === undefined) return undefined;
  try {
    return applyServiceScalingFlags(existing ?? NO_SERVICE_SCALING, flags);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

/** The service's own scaling as `services describe` shows it, or undefined when it has none. */
export function serviceScalingText(s: ServiceScaling | undefined): string | undefined {
  if (!s) return undefined;
  if (s.scalingMode === "MANUAL") return `manual, ${s.manualInstanceCount ?? 0} instances (divided by the traffic split)`;
  const parts = [
    ...(s.minInstanceCount ? [`min ${s.minInstanceCount}`] : []),
    ...(s.maxInstanceCount ? [`max ${s.maxInstanceCount}`] : []),
  ];
  return parts.length ? `automatic, ${parts.join(", ")} (divided by the traffic split)` : undefined;
}
