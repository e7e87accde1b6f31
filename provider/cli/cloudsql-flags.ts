import type { Command } from "commander";
import { listFlag } from "./flags";
import { UsageError } from "./output";
import type { Mounted } from "./volume-flags";

/**
 * gcloud's Cloud SQL flags of deploy and jobs create|update|deploy: `--add-cloudsql-instances
 * P:R:I,...`, `--set-cloudsql-instances`, `--remove-cloudsql-instances`, `--clear-cloudsql-instances`.
 * On Cloud Run they set the template's run.googleapis.com/cloudsql-instances, whose sockets appear
 * under /cloudsql; here that is the template's cloudsql volume, mounted at /cloudsql in the
 * ingress (main) container, as `services replace` reads the annotation (knative/volumes.ts). The
 * engine serves each instance's socket from the database `skiff cloudsql map` names.
 */
export interface CloudSqlFlags {
  addCloudsqlInstances?: string[];
  setCloudsqlInstances?: string[];
  removeCloudsqlInstances?: string[];
  clearCloudsqlInstances?: boolean;
}

const VOLUME = "cloudsql";
const MOUNT_PATH = "/cloudsql";

export function withCloudSqlFlags(command: Command): Command {
  return command
    .option(
      "--add-cloudsql-instances <P:R:I,...>",
      "Cloud SQL instances whose sockets appear under /cloudsql (see skiff cloudsql map)",
      listFlag,
    )
    .option("--set-cloudsql-instances <P:R:I,...>", "the Cloud SQL instances, replacing the template's", listFlag)
    .option("--remove-cloudsql-instances <P:R:I,...>", "Cloud SQL instances to remove", listFlag)
    .option("--clear-cloudsql-instances", "remove every Cloud SQL instance");
}

/** The template after the flags: its cloudsql volume with the instances, mounted at /cloudsql, or none when no instance is left. */
export function applyCloudSqlFlags<T extends Mounted>(template: T, flags: CloudSqlFlags): T {
  const given = (
    [
      ["--add-cloudsql-instances", flags.addCloudsqlInstances],
      ["--set-cloudsql-instances", flags.setCloudsqlInstances],
      ["--remove-cloudsql-instances", flags.removeCloudsqlInstances],
      ["--clear-cloudsql-instances", flags.clearCloudsqlInstances],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (given.length === 0) return template;
  if (given.length > 1)
    throw new UsageError(
      `${given[0][0]}: cannot be combined with ${given
        .slice(1)
        .map(([flag]) => flag)
        .join(", ")}`,
    );

  const existing = template.volumes?.find((v) => v.cloudSqlInstance !== undefined);
  const current = existing?.cloudSqlInstance?.instances ?? [];
  let next: string[];
  if (flags.setCloudsqlInstances) next = unique(flags.setCloudsqlInstances);
  else if (flags.addCloudsqlInstances) next = unique([...current, ...flags.addCloudsqlInstances]);
  else if (flags.removeCloudsqlInstances) {
    const unknown = flags.removeCloudsqlInstances.find((i) => !current.includes(i));
    if (unknown !== undefined)
      throw new UsageError(
        `--remove-cloudsql-instances: "${unknown}" is not an instance of this template; ${current.length ? `its instances are: ${current.join(", ")}` : "it has none"}`,
      );
    next = current.filter((i) => !flags.removeCloudsqlInstances!.includes(i));
  } else next = [];

  const name = existing?.name ?? VOLUME;
  const mountPath = template.volumeMounts?.find((m) => m.name === name)?.mountPath ?? MOUNT_PATH;
  const volumes = (template.volumes ?? []).filter((v) => v.name !== name);
  const volumeMounts = (template.volumeMounts ?? []).filter((m) => m.name !== name);
  if (next.length > 0) {
    volumes.push({ name, cloudSqlInstance: { instances: next } });
    volumeMounts.push({ name, mountPath });
  }
  const out: T = { ...template, volumes, volumeMounts };
  if (volumes.length === 0) delete out.volumes;
  if (volumeMounts.length === 0) delete out.volumeMounts;
  return out;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** The Cloud SQL flag given, if any: an engine error about the template's volumes then names it (output.ts useGivenFlags). */
export function cloudSqlFlagGiven(flags: CloudSqlFlags): string | undefined {
  if (flags.addCloudsqlInstances) return "--add-cloudsql-instances";
  if (flags.setCloudsqlInstances) return "--set-cloudsql-instances";
  if (flags.removeCloudsqlInstances) return "--remove-cloudsql-instances";
  return undefined;
}
