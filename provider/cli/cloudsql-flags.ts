import type { Command } from "commander";
import { DEFAULT_REGION } from "../base/defaults";
import { listFlag } from "./flags";
import { UsageError } from "./output";
import type { Mounted } from "./volume-flags";

/**
 * gcloud's Cloud SQL flags of deploy and jobs create|update|deploy: `--add-cloudsql-instances
 * P:R:I,...`, `--set-cloudsql-instances`, `--remove-cloudsql-instances`, `--clear-cloudsql-instances`.
 * On Cloud Run they set the template's run.googleapis.com/cloudsql-instances, whose sockets appear
 * under /cloudsql; here that is the template's cloudsql volume, mounted at /cloudsql in the
 * ingress (main) container, as `services replace` reads the annotation (knative/volumes.ts). The
 * engine serves each instance's socket from the database `skiff cloudsql map` names. As in gcloud
 * (config_changes.py CloudSQLChanges): an instance given by its plain name is the deploy's
 * project's in its region (`--project`, `--region` or us-central1), and removing one the template
 * does not have is no error.
 */
export interface CloudSqlFlags {
  addCloudsqlInstances?: string[];
  setCloudsqlInstances?: string[];
  removeCloudsqlInstances?: string[];
  clearCloudsqlInstances?: boolean;
  /** The command's own --project and --region, for instances given by their plain name. */
  project?: string;
  region?: string;
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

  const full = (flag: string, instances: string[]) => instances.map((i) => connectionName(flag, i, flags));
  const add = flags.addCloudsqlInstances && full("--add-cloudsql-instances", flags.addCloudsqlInstances);
  const set = flags.setCloudsqlInstances && full("--set-cloudsql-instances", flags.setCloudsqlInstances);
  const remove = flags.removeCloudsqlInstances && full("--remove-cloudsql-instances", flags.removeCloudsqlInstances);
  const existing = template.volumes?.find((v) => v.cloudSqlInstance !== undefined);
  const current = existing?.cloudSqlInstance?.instances ?? [];
  let next: string[];
  if (set) next = unique(set);
  else if (add) next = unique([...current, ...add]);
  else if (remove) next = current.filter((i) => !remove.includes(i));
  else next = [];

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

/** PROJECT:REGION:INSTANCE as written, or a plain INSTANCE completed as gcloud completes it; anything else refused in gcloud's words. */
function connectionName(flag: string, instance: string, flags: CloudSqlFlags): string {
  const parts = instance.split(":");
  if (parts.length === 3) return instance;
  if (parts.length === 1) return `${flags.project ?? "default"}:${flags.region ?? DEFAULT_REGION}:${instance}`;
  throw new UsageError(
    `${flag}: Malformed CloudSQL instance string: ${instance} (give PROJECT:REGION:INSTANCE, or the instance's plain name)`,
  );
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
