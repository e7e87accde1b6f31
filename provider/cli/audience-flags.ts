import type { Command } from "commander";
import { applyCustomAudiencesChange, customAudiencesSchema, type CustomAudiencesChange } from "../model/custom-audiences";
import { UsageError } from "./output";

/**
 * gcloud's custom audience flags of deploy and services update: at most one of --set (replace),
 * --add (append), --remove (take out) and --clear (empty), as gcloud's help says; each a comma list.
 * The service's custom audiences are its own, not its template's: a change makes no revision.
 */
export interface AudienceFlags {
  setCustomAudiences?: string;
  addCustomAudiences?: string;
  removeCustomAudiences?: string;
  clearCustomAudiences?: boolean;
}

const FLAGS = {
  setCustomAudiences: "--set-custom-audiences",
  addCustomAudiences: "--add-custom-audiences",
  removeCustomAudiences: "--remove-custom-audiences",
  clearCustomAudiences: "--clear-custom-audiences",
} as const;

export function withAudienceFlags(command: Command): Command {
  return command
    .option(
      `${FLAGS.setCustomAudiences} <audiences>`,
      "replace the service's custom audiences (token audiences a private service takes besides its URLs) with these, comma-separated",
    )
    .option(`${FLAGS.addCustomAudiences} <audiences>`, "add these custom audiences, comma-separated")
    .option(`${FLAGS.removeCustomAudiences} <audiences>`, "remove these custom audiences, comma-separated")
    .option(FLAGS.clearCustomAudiences, "remove all custom audiences");
}

/** The change the flags ask for, or undefined when none is given; two of them are a usage error. */
export function customAudiencesChange(flags: AudienceFlags): CustomAudiencesChange | undefined {
  const given = (Object.keys(FLAGS) as (keyof typeof FLAGS)[]).filter((k) => flags[k] !== undefined && flags[k] !== false);
  if (given.length === 0) return undefined;
  if (given.length > 1) throw new UsageError(`${given.map((k) => FLAGS[k]).join(", ")}: at most one of these can be specified`);
  if (flags.clearCustomAudiences) return { clear: true };
  const list = (value: string) =>
    value
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== "");
  if (flags.setCustomAudiences !== undefined) return { set: list(flags.setCustomAudiences) };
  if (flags.addCustomAudiences !== undefined) return { add: list(flags.addCustomAudiences) };
  return { remove: list(flags.removeCustomAudiences!) };
}

/** The audiences to send: undefined when no flag is given (the engine keeps them), else the list after the change, checked. */
export function customAudiencesAfterDeploy(current: readonly string[] | undefined, flags: AudienceFlags): string[] | undefined {
  const change = customAudiencesChange(flags);
  if (change === undefined) return undefined;
  const after = applyCustomAudiencesChange(current ?? [], change);
  const parsed = customAudiencesSchema.safeParse(after);
  if (!parsed.success) {
    const flag = FLAGS[(Object.keys(FLAGS) as (keyof typeof FLAGS)[]).find((k) => flags[k] !== undefined)!];
    throw new UsageError(`${flag}: the list of custom audiences ${parsed.error.issues[0]?.message ?? "is not valid"}`);
  }
  return parsed.data;
}
