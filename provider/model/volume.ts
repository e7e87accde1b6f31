import { posix } from "node:path";
import { z } from "zod";
import { parseMemoryBytes } from "./quantity";
import { secretNameSchema, versionRefSchema } from "./secret";

/**
 * Volumes of a revision or job template, in Cloud Run Admin API v2's shape (`volumes[]` beside
 * the container's `volumeMounts[]`), and the rules for where they may be mounted. Each volume is
 * one kind: a secret's versions as files, an in-memory folder (tmpfs, counted toward the
 * instance's memory), a Cloud Storage bucket or an NFS export (a local folder each, see
 * volume-mapping.ts), or the Cloud SQL socket folder (a socket per instance connection name).
 */

/** Kubernetes' rule for volume names (a DNS label), as Cloud Run applies it. */
export const volumeNameSchema = z
  .string({ error: "must be a string" })
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a volume name: lowercase letters, digits and hyphens, at most 63");

/** A name that matches `pattern` and holds no `..`, with one reason when it does not. */
function nameLike(pattern: RegExp, reason: string) {
  return z.string({ error: "must be a string" }).check((ctx) => {
    if (!pattern.test(ctx.value) || ctx.value.includes("..")) ctx.issues.push({ code: "custom", input: ctx.value, message: reason });
  });
}

/** Cloud Storage's bucket names (without the dotted 222-character form): never a path. */
export const bucketNameSchema = nameLike(
  /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/,
  "must be a bucket name: 3 to 63 lowercase letters, digits, '-', '_' and '.' (no '..')",
);

/** `PROJECT:REGION:INSTANCE`, the Cloud SQL instance connection name. */
export const connectionNameSchema = z
  .string({ error: "must be a string" })
  .regex(
    /^[a-z][a-z0-9-]{0,62}:[a-z][a-z0-9-]{0,62}:[a-z][a-z0-9-]{0,97}$/,
    "must be an instance connection name PROJECT:REGION:INSTANCE such as my-project:europe-west1:db",
  );

/** An NFS server: a host name or an IPv4 address. */
export const nfsServerSchema = nameLike(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, "must be a host name or an IP address");

/** Why `path` is not a plain absolute path (`/a/b`: no `.`, `..`, `//` or trailing `/`), or undefined. */
export function absolutePathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path such as /data";
  if (path.length > 1024) return "must be at most 1024 characters";
  if (/[\0\n\r]/.test(path)) return "must not contain control characters";
  if (path !== "/" && (path.endsWith("/") || posix.normalize(path) !== path))
    return "must be a plain path: no '.', '..', '//' or trailing '/'";
  return undefined;
}

/** A container path where Docker and the kernel put what a container needs: nothing may be mounted on or under them. */
export const RESERVED_MOUNT_PATHS = ["/dev", "/proc", "/sys"];

export function mountPathProblem(path: string): string | undefined {
  const problem = absolutePathProblem(path);
  if (problem) return problem;
  if (path === "/") return "must not be / (the container's whole filesystem)";
  const reserved = RESERVED_MOUNT_PATHS.find((r) => path === r || path.startsWith(`${r}/`));
  if (reserved) return `must not be ${reserved} or under it: the container's ${reserved} is the kernel's`;
  return undefined;
}

/** Is one path the other, or inside it? Two mounts there would hide one another. */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

const relativeFilePath = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .refine((p) => !p.startsWith("/") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."), {
    message: "must be a relative file path such as api-key (no leading '/', no '.' or '..')",
  });

const modeSchema = z.number({ error: "must be a number" }).int().min(0).max(0o777, "must be a file mode between 0 and 0777");

/** A mounted secret file's mode when neither its item nor its volume gives one: anyone in the container may read it. */
export const SECRET_FILE_MODE = 0o444;

/**
 * The mode Cloud Run gives a mounted secret file: the item's mode, else the volume's defaultMode,
 * else 0444 (a mode of 0 counts as not given), less the write bits (Cloud Run applies a umask of
 * 0222 to any mode), so 0600 is 0400 and 0777 is 0555.
 */
export function secretFileMode(itemMode: number | undefined, defaultMode: number | undefined): number {
  return (itemMode || defaultMode || SECRET_FILE_MODE) & ~0o222;
}

export const secretVolumeSchema = z
  .object({
    secret: secretNameSchema,
    /** The files: each a version of the secret at a path relative to the mount; none: the latest version, named after the secret. */
    items: z
      .array(z.object({ path: relativeFilePath, version: versionRefSchema.default("latest"), mode: modeSchema.optional() }).strict())
      .optional(),
    defaultMode: modeSchema.optional(),
  })
  .strict();

export const emptyDirSchema = z
  .object({
    medium: z.literal("MEMORY", { error: 'must be "MEMORY": in-memory volumes are the only kind of emptyDir' }).default("MEMORY"),
    /** At most this much; when not given, half the memory of the instance's containers (inMemoryVolumeBytes). */
    sizeLimit: z
      .string({ error: 'must be a quantity such as "64Mi"' })
      .refine((q) => (parseMemoryBytes(q) ?? 0) > 0, { message: 'must be a quantity such as "64Mi" or "1Gi"' })
      .optional(),
  })
  .strict();

/**
 * The size of an in-memory volume: its size limit, else half the memory limits of all the
 * instance's (or task's) containers added up, as Cloud Run sets it ("emptyDir volume size =
 * [Memory (Container A) + Memory (Container B) + ...]/2"). Its pages count toward the memory of
 * the container that writes them either way.
 */
export function inMemoryVolumeBytes(emptyDir: { sizeLimit?: string }, containersMemoryBytes: number): number {
  if (emptyDir.sizeLimit !== undefined) return parseMemoryBytes(emptyDir.sizeLimit)!;
  return Math.floor(containersMemoryBytes / 2);
}

export const gcsVolumeSchema = z.object({ bucket: bucketNameSchema, readOnly: z.boolean().default(false) }).strict();

export const nfsVolumeSchema = z
  .object({
    server: nfsServerSchema,
    path: z.string({ error: "must be a string" }).check((ctx) => {
      const problem = absolutePathProblem(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
    }),
    readOnly: z.boolean().default(false),
  })
  .strict();

export const cloudSqlVolumeSchema = z
  .object({ instances: z.array(connectionNameSchema).min(1, "must name at least one instance connection name") })
  .strict();

const KINDS = ["secret", "emptyDir", "gcs", "nfs", "cloudSqlInstance"] as const;

export const volumeSchema = z
  .object({
    name: volumeNameSchema,
    secret: secretVolumeSchema.optional(),
    emptyDir: emptyDirSchema.optional(),
    gcs: gcsVolumeSchema.optional(),
    nfs: nfsVolumeSchema.optional(),
    cloudSqlInstance: cloudSqlVolumeSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const kinds = KINDS.filter((k) => v[k] !== undefined);
    if (kinds.length !== 1)
      ctx.addIssue({
        code: "custom",
        path: [],
        message: kinds.length === 0 ? `must set one of ${KINDS.join(", ")}` : `must set one of ${kinds.join(" or ")}, not both`,
      });
  });
export type Volume = z.output<typeof volumeSchema>;
export type VolumeInput = z.input<typeof volumeSchema>;

export const volumeMountSchema = z
  .object({
    name: volumeNameSchema,
    mountPath: z.string({ error: "must be a string" }).check((ctx) => {
      const problem = mountPathProblem(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
    }),
  })
  .strict();
export type VolumeMount = z.output<typeof volumeMountSchema>;

interface MountedTemplate {
  env?: Record<string, string>;
  secretEnv?: Record<string, unknown>;
  volumes?: { name: string; secret?: { items?: { path: string }[] } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

/**
 * The rules across fields: volume names are unique, each mount names a volume, no two mounts
 * overlap, a secret volume's files have different paths, and a variable is plain or secret, not both.
 */
export function checkMounts(t: MountedTemplate, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const names = new Map<string, number>();
  (t.volumes ?? []).forEach((v, i) => {
    const first = names.get(v.name);
    if (first !== undefined) issue(["volumes", i, "name"], `"${v.name}" is the name of volumes[${first}] too`);
    else names.set(v.name, i);
    const paths = new Set<string>();
    v.secret?.items?.forEach((item, j) => {
      if (paths.has(item.path)) issue(["volumes", i, "secret", "items", j, "path"], `"${item.path}" is given twice`);
      paths.add(item.path);
    });
  });
  const mounts = t.volumeMounts ?? [];
  mounts.forEach((m, i) => {
    if (!names.has(m.name)) issue(["volumeMounts", i, "name"], `names no volume: "${m.name}" is not among the template's volumes`);
    const other = mounts.findIndex((n, j) => j < i && pathsOverlap(n.mountPath, m.mountPath));
    if (other >= 0)
      issue(["volumeMounts", i, "mountPath"], `"${m.mountPath}" overlaps volumeMounts[${other}] ("${mounts[other].mountPath}")`);
  });
  for (const name of Object.keys(t.secretEnv ?? {})) {
    if (t.env && name in t.env) issue(["secretEnv", name], `${name} is set in env too: a variable is plain or secret, not both`);
  }
}
