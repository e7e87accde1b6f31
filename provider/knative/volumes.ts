import type { SecretRef } from "../model/secret";
import type { MountedTemplate } from "../model/template";
import type { VolumeInput } from "../model/volume";
import { invalid } from "../model/errors";

/**
 * A template's secrets and volumes as Cloud Run's Knative YAML has them, both ways
 * (`services describe --format export` and `services replace`): a secret env var is
 * `env[].valueFrom.secretKeyRef {name: SECRET, key: VERSION}`, a secret volume
 * `secret {secretName, items[{key: VERSION, path}]}`, an in-memory one `emptyDir {medium: Memory}`,
 * a bucket `csi {driver: gcsfuse.run.googleapis.com, volumeAttributes.bucketName}`, an export
 * `nfs {server, path}`. Cloud SQL has no volume there: the annotation
 * `run.googleapis.com/cloudsql-instances` on the template mounts the instances at /cloudsql, and a
 * cloudsql volume reads back as one named "cloudsql" mounted there.
 */

export const CLOUDSQL_ANNOTATION = "run.googleapis.com/cloudsql-instances";
const GCS_DRIVER = "gcsfuse.run.googleapis.com";

type Obj = Record<string, unknown>;

export interface KnativeMounts {
  env: Obj[];
  volumeMounts: Obj[];
  volumes: Obj[];
  annotations: Record<string, string>;
}

export function mountsToKnative(t: MountedTemplate): KnativeMounts {
  const env = Object.entries(t.secretEnv ?? {}).map(([name, ref]) => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.secret, key: ref.version } },
  }));
  const cloudSql = new Set<string>();
  const volumes: Obj[] = [];
  const skipped = new Set<string>();
  for (const v of t.volumes ?? []) {
    if (v.cloudSqlInstance) {
      v.cloudSqlInstance.instances.forEach((i) => cloudSql.add(i));
      skipped.add(v.name);
    } else if (v.secret) {
      const items = v.secret.items?.map((i) => ({ key: i.version, path: i.path, ...(i.mode !== undefined ? { mode: i.mode } : {}) }));
      const defaultMode = v.secret.defaultMode !== undefined ? { defaultMode: v.secret.defaultMode } : {};
      volumes.push({ name: v.name, secret: { secretName: v.secret.secret, ...(items ? { items } : {}), ...defaultMode } });
    } else if (v.emptyDir) {
      volumes.push({ name: v.name, emptyDir: { medium: "Memory", ...(v.emptyDir.sizeLimit ? { sizeLimit: v.emptyDir.sizeLimit } : {}) } });
    } else if (v.gcs) {
      volumes.push({ name: v.name, csi: { driver: GCS_DRIVER, readOnly: v.gcs.readOnly, volumeAttributes: { bucketName: v.gcs.bucket } } });
    } else if (v.nfs) {
      volumes.push({ name: v.name, nfs: { server: v.nfs.server, path: v.nfs.path, readOnly: v.nfs.readOnly } });
    }
  }
  return {
    env,
    volumeMounts: (t.volumeMounts ?? []).filter((m) => !skipped.has(m.name)).map((m) => ({ name: m.name, mountPath: m.mountPath })),
    volumes,
    annotations: cloudSql.size > 0 ? { [CLOUDSQL_ANNOTATION]: [...cloudSql].join(",") } : {},
  };
}

/** What `services replace` reads from a file, each path marked as used. */
export interface KnativeMountSources {
  env: unknown[];
  volumeMounts: unknown;
  volumes: unknown;
  cloudSqlAnnotation: unknown;
  /** `spec.template.spec.containers[0]` and `spec.template.spec`, for paths in errors. */
  containerAt: string;
  podAt: string;
  used: (path: string) => void;
}

/** The template's secretEnv, volumes and volumeMounts from a Knative file; undefined fields were not there. */
export function mountsFromKnative(k: KnativeMountSources): {
  secretEnv?: Record<string, SecretRef>;
  volumes?: VolumeInput[];
  volumeMounts?: Obj[];
} {
  const out: { secretEnv?: Record<string, SecretRef>; volumes?: VolumeInput[]; volumeMounts?: Obj[] } = {};
  k.env.forEach((entry, i) => {
    const e = entry as Obj;
    if (e.valueFrom === undefined) return;
    const at = `${k.containerAt}.env[${i}].valueFrom`;
    const ref = (e.valueFrom as Obj | null)?.secretKeyRef as Obj | undefined;
    if (!ref || typeof ref.name !== "string")
      throw invalid(at, `only secretKeyRef {name: SECRET, key: VERSION} is supported locally; give ${String(e.name)} a value or a secret`);
    for (const key of ["name", "key"]) k.used(`${at}.secretKeyRef.${key}`);
    k.used(`${k.containerAt}.env[${i}].name`);
    out.secretEnv = {
      ...out.secretEnv,
      [String(e.name)]: { secret: ref.name, version: ref.key === undefined ? "latest" : String(ref.key) },
    };
  });
  const volumes: VolumeInput[] = [];
  const mounts: Obj[] = [];
  list(k.volumes, `${k.podAt}.volumes`).forEach((raw, i) => volumes.push(volumeFrom(raw, `${k.podAt}.volumes[${i}]`, k.used)));
  list(k.volumeMounts, `${k.containerAt}.volumeMounts`).forEach((raw, i) => {
    const m = raw as Obj;
    for (const key of ["name", "mountPath"]) k.used(`${k.containerAt}.volumeMounts[${i}].${key}`);
    mounts.push({ name: m.name, mountPath: m.mountPath });
  });
  if (typeof k.cloudSqlAnnotation === "string" && k.cloudSqlAnnotation.trim() !== "") {
    const instances = k.cloudSqlAnnotation
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    volumes.push({ name: "cloudsql", cloudSqlInstance: { instances } });
    mounts.push({ name: "cloudsql", mountPath: "/cloudsql" });
  }
  if (volumes.length > 0) out.volumes = volumes;
  if (mounts.length > 0) out.volumeMounts = mounts;
  return out;
}

function list(value: unknown, at: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(at, `must be a list`);
  return value;
}

function volumeFrom(raw: unknown, at: string, used: (path: string) => void): VolumeInput {
  const v = (raw ?? {}) as Obj;
  const mark = (obj: Obj | undefined, prefix: string) => {
    for (const [key, value] of Object.entries(obj ?? {}))
      if (value && typeof value === "object" && !Array.isArray(value)) mark(value as Obj, `${prefix}.${key}`);
      else used(`${prefix}.${key}`);
  };
  used(`${at}.name`);
  const name = String(v.name);
  if (v.secret) {
    const s = v.secret as Obj;
    mark(s, `${at}.secret`);
    (Array.isArray(s.items) ? (s.items as Obj[]) : []).forEach((item, j) => mark(item, `${at}.secret.items[${j}]`));
    const items = Array.isArray(s.items)
      ? (s.items as Obj[]).map((item) => ({
          path: String(item.path),
          version: String(item.key ?? "latest"),
          ...(item.mode !== undefined ? { mode: Number(item.mode) } : {}),
        }))
      : undefined;
    return {
      name,
      secret: {
        secret: String(s.secretName),
        ...(items ? { items } : {}),
        ...(s.defaultMode !== undefined ? { defaultMode: Number(s.defaultMode) } : {}),
      },
    };
  }
  if (v.emptyDir) {
    const e = v.emptyDir as Obj;
    mark(e, `${at}.emptyDir`);
    if (e.medium !== "Memory") throw invalid(`${at}.emptyDir.medium`, `must be Memory: in-memory volumes are the only kind of emptyDir`);
    return { name, emptyDir: { medium: "MEMORY", ...(e.sizeLimit !== undefined ? { sizeLimit: String(e.sizeLimit) } : {}) } };
  }
  if (v.csi) {
    const c = v.csi as Obj;
    mark(c, `${at}.csi`);
    if (c.driver !== GCS_DRIVER)
      throw invalid(`${at}.csi.driver`, `only ${GCS_DRIVER} (Cloud Storage) is supported, got "${String(c.driver)}"`);
    const bucket = (c.volumeAttributes as Obj | undefined)?.bucketName;
    return { name, gcs: { bucket: String(bucket), readOnly: c.readOnly === true } };
  }
  if (v.nfs) {
    const n = v.nfs as Obj;
    mark(n, `${at}.nfs`);
    return { name, nfs: { server: String(n.server), path: String(n.path), readOnly: n.readOnly === true } };
  }
  throw invalid(at, `must be a secret, emptyDir, csi (Cloud Storage) or nfs volume`);
}
