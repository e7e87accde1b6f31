import type { Command } from "commander";
import type { MountedTemplate } from "../model/template";
import type { Volume } from "../model/volume";
import { collect, listFlag } from "./flags";
import { UsageError } from "./output";
import { applySecretFlags, secretFlagsProblem, secretListFlag, type SecretFlags, type WithSecrets } from "./secret-flags";
import { applyVolumeFlags, type VolumeFlags } from "./volume-flags";
import { applyCloudSqlFlags, withCloudSqlFlags, type CloudSqlFlags } from "./cloudsql-flags";

/**
 * The secret and volume flags `deploy` and `jobs create|update|deploy` share (gcloud's). The
 * volumes are the template's; the secrets and mounts are a container's, and come in its
 * `--container` group (container-flags.ts), those before any group the ingress container's.
 */
export type MountFlags = SecretFlags & VolumeFlags & CloudSqlFlags;

export function withMountFlags(command: Command): Command {
  return withCloudSqlFlags(command)
    .option(
      "--set-secrets <KEY=SECRET:VERSION,...>",
      "the container's secrets as env vars (ENV=...) or files (/path/file=...); replaces every secret of the container",
      secretListFlag("--set-secrets"),
    )
    .option("--update-secrets <KEY=SECRET:VERSION,...>", "the container's secrets to add or change", secretListFlag("--update-secrets"))
    .option("--remove-secrets <KEY,...>", "the container's secrets to remove, by env var or file path", listFlag)
    .option("--clear-secrets", "remove every secret of the container")
    .option("--add-volume <name=N,type=T,...>", "a volume: type=in-memory|cloud-storage|nfs|cloudsql; may be repeated", collect)
    .option("--remove-volume <NAME,...>", "volumes to remove, with their mounts", listFlag)
    .option("--clear-volumes", "remove every volume (secret volumes too) and mount")
    .option("--add-volume-mount <volume=N,mount-path=P>", "mount a volume in the container; may be repeated", collect)
    .option("--remove-volume-mount <PATH,...>", "mounts to remove, by path", listFlag)
    .option("--clear-volume-mounts", "remove every mount");
}

/** Volumes first (--clear-volumes drops secret volumes too), then Cloud SQL's, then secrets. */
export function applyMountFlags<T extends WithSecrets>(template: T, flags: MountFlags): T {
  const problem = secretFlagsProblem(flags);
  if (problem) throw new UsageError(problem);
  return applySecretFlags(applyCloudSqlFlags(applyVolumeFlags(template, flags), flags), flags);
}

/** API field paths these flags fill, for errors the engine reports. */
export const MOUNT_FLAG_OF_FIELD: Record<string, string> = {
  "template.secretEnv": "--set-secrets",
  "template.volumes": "--add-volume",
  "template.volumeMounts": "--add-volume-mount",
};

/** The secrets (by name and version, never their values) and volumes of a template, for `describe`: its ingress (main) container's mounts. */
export function describeMounts(t: MountedTemplate, width: number): string[] {
  const { secrets, volumes } = mountsText(t);
  return [`  ${"Secrets:".padEnd(width)}${secrets.join(" ") || "-"}`, `  ${"Volumes:".padEnd(width)}${volumes.join(", ") || "-"}`];
}

/** One container's secrets (`ENV=secret:version`, `/path/file=secret:version`) and other mounts, as describe writes them. */
export function mountsText(t: MountedTemplate): { secrets: string[]; volumes: string[] } {
  const secrets = Object.entries(t.secretEnv ?? {}).map(([name, r]) => `${name}=${r.secret}:${r.version}`);
  const volumes: string[] = [];
  for (const m of t.volumeMounts ?? []) {
    const v = t.volumes?.find((x) => x.name === m.name);
    if (v?.secret)
      for (const i of v.secret.items ?? [{ path: v.secret.secret, version: "latest" }])
        secrets.push(`${m.mountPath}/${i.path}=${v.secret.secret}:${i.version}`);
    else if (v) volumes.push(`${m.mountPath} (${volumeText(v)})`);
  }
  return { secrets, volumes };
}

function volumeText(v: Volume): string {
  if (v.emptyDir) return `in-memory${v.emptyDir.sizeLimit ? ` ${v.emptyDir.sizeLimit}` : ""}`;
  if (v.gcs) return `bucket ${v.gcs.bucket}${v.gcs.readOnly ? ", read-only" : ""}`;
  if (v.nfs) return `nfs ${v.nfs.server}:${v.nfs.path}${v.nfs.readOnly ? ", read-only" : ""}`;
  if (v.cloudSqlInstance) return `cloudsql ${v.cloudSqlInstance.instances.join(";")}`;
  return v.name;
}
