import type { VolumeInput } from "../model/volume";
import { mountPathProblem, volumeSchema } from "../model/volume";
import { parseNfsLocation } from "../model/volume-mapping";
import { splitList } from "./flags";
import { UsageError } from "./output";

/**
 * gcloud's volume flags: `--add-volume name=N,type=in-memory,size-limit=Q` (also
 * `type=cloud-storage,bucket=B[,readonly=true]`, `type=nfs,location=HOST:/path[,readonly=true]`,
 * `type=cloudsql,instances=P:R:I[;P:R:I]`), `--remove-volume N,...`, `--clear-volumes` (secret
 * volumes too), `--add-volume-mount volume=N,mount-path=P`, `--remove-volume-mount P,...`,
 * `--clear-volume-mounts`. Every error names the flag.
 */
export interface VolumeFlags {
  addVolume?: string[];
  removeVolume?: string[];
  clearVolumes?: boolean;
  addVolumeMount?: string[];
  removeVolumeMount?: string[];
  clearVolumeMounts?: boolean;
}

export interface Mounted {
  volumes?: VolumeInput[];
  volumeMounts?: { name: string; mountPath: string }[];
}

export function volumeFlagsGiven(flags: VolumeFlags): boolean {
  return [
    flags.addVolume,
    flags.removeVolume,
    flags.clearVolumes,
    flags.addVolumeMount,
    flags.removeVolumeMount,
    flags.clearVolumeMounts,
  ].some((f) => f !== undefined);
}

/** `k=v,k2=v2` into its pairs, each key once and one of `allowed`. */
function pairs(flag: string, text: string, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of splitList(text).filter(Boolean)) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq) : item;
    if (eq <= 0) throw new UsageError(`${flag}: expected KEY=VALUE pairs such as name=data,type=in-memory, got "${item}"`);
    if (!allowed.includes(key)) throw new UsageError(`${flag}: unknown key "${key}" (known: ${allowed.join(", ")})`);
    if (key in out) throw new UsageError(`${flag}: "${key}" is given twice`);
    out[key] = item.slice(eq + 1);
  }
  return out;
}

function bool(flag: string, key: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (text !== "true" && text !== "false") throw new UsageError(`${flag}: ${key} must be true or false, got "${text}"`);
  return text === "true";
}

const TYPES = ["in-memory", "cloud-storage", "nfs", "cloudsql"];

/** One `--add-volume` value as a volume of the model, checked with its schema. */
export function parseAddVolume(text: string): VolumeInput {
  const flag = "--add-volume";
  const p = pairs(flag, text, ["name", "type", "size-limit", "bucket", "readonly", "location", "instances"]);
  if (!p.name) throw new UsageError(`${flag}: name=NAME is required`);
  if (!p.type || !TYPES.includes(p.type)) throw new UsageError(`${flag}: type must be one of ${TYPES.join(", ")}, got "${p.type ?? ""}"`);
  const needs = (key: string, example: string) => {
    if (!p[key]) throw new UsageError(`${flag}: type=${p.type} needs ${key}=${example}`);
    return p[key];
  };
  const stray = (keys: string[]) => {
    const extra = Object.keys(p).find((k) => !["name", "type", ...keys].includes(k));
    if (extra) throw new UsageError(`${flag}: ${extra} does not apply to type=${p.type}`);
  };
  let volume: VolumeInput;
  if (p.type === "in-memory") {
    stray(["size-limit"]);
    volume = { name: p.name, emptyDir: { medium: "MEMORY", ...(p["size-limit"] ? { sizeLimit: p["size-limit"] } : {}) } };
  } else if (p.type === "cloud-storage") {
    stray(["bucket", "readonly"]);
    volume = { name: p.name, gcs: { bucket: needs("bucket", "BUCKET"), readOnly: bool(flag, "readonly", p.readonly) } };
  } else if (p.type === "nfs") {
    stray(["location", "readonly"]);
    const location = parseNfsLocation(needs("location", "HOST:/path"));
    if (location.problem) throw new UsageError(`${flag}: location ${location.problem}`);
    volume = { name: p.name, nfs: { server: location.server!, path: location.path!, readOnly: bool(flag, "readonly", p.readonly) } };
  } else {
    stray(["instances"]);
    volume = { name: p.name, cloudSqlInstance: { instances: needs("instances", "PROJECT:REGION:INSTANCE").split(";").filter(Boolean) } };
  }
  const checked = volumeSchema.safeParse(volume);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = issue.path.filter((k) => typeof k === "string").at(-1);
    throw new UsageError(`${flag}: ${field ? `${String(field)} ` : ""}"${String(pickAt(volume, issue.path))}" ${issue.message}`);
  }
  return volume;
}

function pickAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = (at as Record<PropertyKey, unknown> | undefined)?.[key];
  return typeof at === "object" ? JSON.stringify(at) : at;
}

export function parseAddVolumeMount(text: string): { name: string; mountPath: string } {
  const flag = "--add-volume-mount";
  const p = pairs(flag, text, ["volume", "mount-path"]);
  if (!p.volume) throw new UsageError(`${flag}: volume=NAME is required`);
  if (!p["mount-path"]) throw new UsageError(`${flag}: mount-path=PATH is required`);
  const problem = mountPathProblem(p["mount-path"]);
  if (problem) throw new UsageError(`${flag}: mount-path "${p["mount-path"]}" ${problem}`);
  return { name: p.volume, mountPath: p["mount-path"] };
}

/** The template's volumes after the flags, in gcloud's order: clear, remove, add; then the same for mounts. */
export function applyVolumeFlags<T extends Mounted>(template: T, flags: VolumeFlags): T {
  if (!volumeFlagsGiven(flags)) return template;
  let volumes = flags.clearVolumes ? [] : [...(template.volumes ?? [])];
  let mounts = flags.clearVolumes ? [] : [...(template.volumeMounts ?? [])];
  for (const name of flags.removeVolume ?? []) {
    if (!volumes.some((v) => v.name === name)) throw new UsageError(`--remove-volume: "${name}" is not a volume of this template`);
    volumes = volumes.filter((v) => v.name !== name);
    mounts = mounts.filter((m) => m.name !== name);
  }
  for (const added of (flags.addVolume ?? []).map(parseAddVolume)) {
    const at = volumes.findIndex((v) => v.name === added.name);
    if (at >= 0) volumes[at] = added;
    else volumes.push(added);
  }
  if (flags.clearVolumeMounts) mounts = [];
  for (const path of flags.removeVolumeMount ?? []) {
    if (!mounts.some((m) => m.mountPath === path)) throw new UsageError(`--remove-volume-mount: nothing is mounted at "${path}"`);
    mounts = mounts.filter((m) => m.mountPath !== path);
  }
  for (const mount of (flags.addVolumeMount ?? []).map(parseAddVolumeMount)) {
    if (!volumes.some((v) => v.name === mount.name))
      throw new UsageError(
        `--add-volume-mount: "${mount.name}" is not a volume of this template; add it with --add-volume name=${mount.name},type=...`,
      );
    mounts = [...mounts.filter((m) => m.mountPath !== mount.mountPath), mount];
  }
  const out: T = { ...template, volumes, volumeMounts: mounts };
  if (volumes.length === 0) delete out.volumes;
  if (mounts.length === 0) delete out.volumeMounts;
  return out;
}
