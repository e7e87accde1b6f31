import { posix } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { secretNameSchema, secretPathParts, versionRefSchema, type SecretRef } from "../model/secret";
import { envNameProblem } from "../model/template";
import { mountPathProblem, type VolumeInput } from "../model/volume";
import { splitList } from "./flags";
import { UsageError } from "./output";
import type { Mounted } from "./volume-flags";

/**
 * gcloud's secret flags: `--set-secrets ENV=name:version,/path/file=name:latest` replaces every
 * secret of a container (env and mounted; the ingress container's, or the one whose `--container`
 * group they are in), `--update-secrets` adds or changes some,
 * `--remove-secrets ENV,/path/file` removes some, `--clear-secrets` all. A key is an env var, or
 * the absolute path of a file: its folder is a secret volume mounted there (one secret per
 * folder, as on Cloud Run), the file one version of it. The version is required, as in gcloud.
 */
export interface SecretFlags {
  setSecrets?: Record<string, string>;
  updateSecrets?: Record<string, string>;
  removeSecrets?: string[];
  clearSecrets?: boolean;
}

export interface WithSecrets extends Mounted {
  env?: Record<string, string>;
  secretEnv?: Record<string, { secret: string; version?: string }>;
}

/** As gcloud: at most one of --clear-secrets | --set-secrets | (--update-secrets and/or --remove-secrets). */
export function secretFlagsProblem(flags: SecretFlags): string | undefined {
  const given = [
    flags.clearSecrets ? "--clear-secrets" : undefined,
    flags.setSecrets !== undefined ? "--set-secrets" : undefined,
    flags.updateSecrets !== undefined || flags.removeSecrets !== undefined ? "--update-secrets/--remove-secrets" : undefined,
  ].filter(Boolean);
  return given.length > 1 ? `${given[0]}: cannot be combined with ${given.slice(1).join(", ")}` : undefined;
}

/** commander's parser for `--set-secrets`/`--update-secrets`: `KEY=name:version,...`, repeatable. */
export function secretListFlag(flag: string) {
  return (value: string, previous: Record<string, string> = {}): Record<string, string> => {
    const out = { ...previous };
    for (const pair of splitList(value).filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`${flag}: expected ENV=SECRET:VERSION or /path/file=SECRET:VERSION, got "${pair}"`);
      // gcloud strips the keys (flags.py StripKeys): "A =s:1" is A.
      out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
    }
    return out;
  };
}

/**
 * `name:version`, checked. The version must be written (`latest` or a number): gcloud refuses a
 * bare name for Cloud Run, "No secret version specified for KEY. Use KEY:latest to reference the
 * latest version.", and so does this, in the same words. A secret named by its full path,
 * `projects/NUMBER/secrets/NAME`, is this project's NAME (see secretPathParts).
 */
export function parseSecretValue(flag: string, key: string, text: string): SecretRef {
  // gcloud's full path, projects/NUMBER/secrets/NAME[:VERSION | /versions/VERSION]: its version may be left out (latest).
  const path = secretPathParts(text);
  const colon = text.lastIndexOf(":");
  if (!path && colon < 0)
    throw new UsageError(`${flag}: No secret version specified for ${key}. Use ${key}:latest to reference the latest version.`);
  const [secret, version] = path ? [path.secret, path.version ?? "latest"] : [text.slice(0, colon), text.slice(colon + 1)];
  const name = secretNameSchema.safeParse(secret);
  if (!name.success) throw new UsageError(`${flag}: ${key}: secret "${secret}" ${name.error.issues[0]?.message}`);
  const ref = versionRefSchema.safeParse(version);
  if (!ref.success) throw new UsageError(`${flag}: ${key}: version "${version}" ${ref.error.issues[0]?.message}`);
  return { secret, version };
}

function checkKey(flag: string, key: string): void {
  if (!key.startsWith("/")) {
    const problem = envNameProblem(key, []);
    if (problem) throw new UsageError(`${flag}: "${key}" ${problem}, or the absolute path of a file`);
    return;
  }
  const folder = posix.dirname(key);
  const problem = mountPathProblem(folder) ?? (key.endsWith("/") ? "must name a file, not a folder" : undefined);
  if (problem) throw new UsageError(`${flag}: "${key}": its folder ${folder} ${problem}`);
}

const refText = (r: { secret: string; version?: string }) => `${r.secret}:${r.version ?? "latest"}`;

/** Every secret of the template, by env name or mounted file path. */
function secretsOf(t: WithSecrets): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, ref] of Object.entries(t.secretEnv ?? {})) out.set(name, refText(ref));
  for (const mount of t.volumeMounts ?? []) {
    const secret = t.volumes?.find((v) => v.name === mount.name)?.secret;
    if (!secret) continue;
    for (const item of secret.items ?? [{ path: secret.secret, version: "latest" }])
      out.set(posix.join(mount.mountPath, item.path), refText({ secret: secret.secret, version: item.version }));
  }
  return out;
}

function secretFlagsGiven(flags: SecretFlags): boolean {
  return [flags.setSecrets, flags.updateSecrets, flags.removeSecrets, flags.clearSecrets].some((f) => f !== undefined);
}

/**
 * One container's secrets after the flags; untouched when none is given (so nothing moves in an
 * unchanged template). `template` holds that container's env, secretEnv and mounts beside the
 * template's volumes; `mountedElsewhere` names the volumes other containers of the instance mount:
 * their secret volumes stay whatever this container's flags say.
 */
export function applySecretFlags<T extends WithSecrets>(
  template: T,
  flags: SecretFlags,
  mountedElsewhere: ReadonlySet<string> = new Set(),
): T {
  const { setSecrets, updateSecrets, removeSecrets, clearSecrets } = flags;
  if (!secretFlagsGiven(flags)) return template;
  const flag = setSecrets ? "--set-secrets" : "--update-secrets";
  let wanted = clearSecrets || setSecrets ? new Map<string, string>() : secretsOf(template);
  // A name or path that is not there is no error, as in gcloud (config_changes.py's _PruneMapping): a script may remove twice.
  for (const key of removeSecrets ?? []) wanted.delete(key);
  for (const [key, value] of Object.entries(setSecrets ?? updateSecrets ?? {})) {
    checkKey(flag, key);
    wanted.set(key, value);
  }
  wanted = new Map([...wanted].map(([k, v]) => [k, refText(parseSecretValue(flag, k, v))]));
  return rebuild(template, wanted, flag, mountedElsewhere);
}

/**
 * The container's env secrets and secret volumes (one per folder) that hold exactly `wanted`; the
 * template's other volumes, and the secret volumes other containers mount, stay as they were.
 */
function rebuild<T extends WithSecrets>(template: T, wanted: Map<string, string>, flag: string, mountedElsewhere: ReadonlySet<string>): T {
  const secretEnv: Record<string, SecretRef> = {};
  const folders = new Map<string, { secret: string; items: { path: string; version: string }[] }>();
  for (const [key, text] of wanted) {
    const ref = parseSecretValue(flag, key, text);
    if (!key.startsWith("/")) {
      if (template.env && key in template.env)
        throw new UsageError(`${flag}: ${key} is a plain variable too; remove it with --remove-env-vars ${key}`);
      secretEnv[key] = ref;
      continue;
    }
    const folder = posix.dirname(key);
    const entry = folders.get(folder) ?? { secret: ref.secret, items: [] };
    if (entry.secret !== ref.secret)
      throw new UsageError(
        `${flag}: ${folder} would hold two secrets (${entry.secret} and ${ref.secret}); a folder holds one secret's versions`,
      );
    entry.items.push({ path: posix.basename(key), version: ref.version });
    folders.set(folder, entry);
  }
  const secretVolume = (name: string) => template.volumes?.find((v) => v.name === name)?.secret;
  const volumes: VolumeInput[] = (template.volumes ?? []).filter((v) => !v.secret || mountedElsewhere.has(v.name));
  const mounts = (template.volumeMounts ?? []).filter((m) => !secretVolume(m.name));
  const taken = new Set(volumes.map((v) => v.name));
  for (const [folder, { secret, items }] of folders) {
    const wantedVolume = { secret, items: items.sort((a, b) => a.path.localeCompare(b.path)) };
    // A folder that had a secret volume keeps its name, so an unchanged set makes the same template;
    // a volume another container mounts too is kept as it is while this folder wants the same in it.
    const before = template.volumeMounts?.find((m) => m.mountPath === folder && secretVolume(m.name))?.name;
    const shared = before !== undefined && mountedElsewhere.has(before);
    const same = shared && isDeepStrictEqual(normalised(secretVolume(before)!), wantedVolume);
    const name =
      before && (same || !taken.has(before)) ? before : freeName(`secret-${secret.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`, taken);
    taken.add(name);
    if (!same) volumes.push({ name, secret: wantedVolume });
    mounts.push({ name, mountPath: folder });
  }
  const out: T = { ...template, secretEnv, volumes, volumeMounts: mounts };
  if (Object.keys(secretEnv).length === 0) delete out.secretEnv;
  if (volumes.length === 0) delete out.volumes;
  if (mounts.length === 0) delete out.volumeMounts;
  return out;
}

/** A secret volume as rebuild writes one: every file listed, sorted by path. */
function normalised(v: { secret: string; items?: { path: string; version?: string }[] }) {
  const items = (v.items ?? [{ path: v.secret, version: "latest" }]).map((i) => ({ path: i.path, version: i.version ?? "latest" }));
  return { secret: v.secret, items: items.sort((a, b) => a.path.localeCompare(b.path)) };
}

/** `base`, or `base-2`, `base-3`...: a volume name not taken yet (at most 63 characters). */
function freeName(base: string, taken: Set<string>): string {
  const trimmed = base.slice(0, 58).replace(/-+$/, "");
  if (!taken.has(trimmed)) return trimmed;
  for (let n = 2; ; n++) if (!taken.has(`${trimmed}-${n}`)) return `${trimmed}-${n}`;
}
