import { UNKNOWN, isUnknown } from "../preview-values/unknowns";
import { PathMap, Problems, at } from "./paths";
import { secretName } from "./secrets";

/**
 * pulumi-gcp's `volumes[]` of a template as the engine's, which follow Cloud Run v2 (model/volume.ts)
 * and so differ only in details: a secret volume's secret may be its id (`projects/P/secrets/NAME`),
 * an emptyDir's medium defaults to MEMORY, a bucket's mountOptions have no local effect (field-rules),
 * a Job's NFS path defaults to the export's root. The engine's schema judges the rest, at the user's paths.
 */
export function translateVolumes(volumes: unknown, path: string, problems: Problems, paths: PathMap): unknown {
  if (isUnknown(volumes)) return UNKNOWN;
  const list = problems.list(volumes, path, "a list of volumes");
  if (!list) return undefined;
  paths.set("volumes", path);
  return list.map((item, i) => {
    const v = problems.object(item, at(path, i), "a volume {name, ...}");
    if (!v) return item;
    const out: Record<string, unknown> = { name: v.name };
    const kind = (key: string) => (isUnknown(v[key]) ? UNKNOWN : problems.object(v[key], at(at(path, i), key)));
    if (v.secret !== undefined && v.secret !== null) {
      const s = kind("secret");
      out.secret =
        s === UNKNOWN || !s
          ? s
          : {
              secret: typeof s.secret === "string" && !isUnknown(s.secret) ? secretName(s.secret) : s.secret,
              ...(s.items !== undefined && s.items !== null ? { items: s.items } : {}),
              ...(s.defaultMode !== undefined && s.defaultMode !== null ? { defaultMode: s.defaultMode } : {}),
            };
    }
    if (v.emptyDir !== undefined && v.emptyDir !== null) {
      const e = kind("emptyDir");
      out.emptyDir =
        e === UNKNOWN || !e
          ? e
          : { medium: e.medium ?? "MEMORY", ...(e.sizeLimit !== undefined && e.sizeLimit !== null ? { sizeLimit: e.sizeLimit } : {}) };
    }
    if (v.gcs !== undefined && v.gcs !== null) {
      const g = kind("gcs");
      out.gcs =
        g === UNKNOWN || !g
          ? g
          : { bucket: g.bucket, ...(g.readOnly !== undefined && g.readOnly !== null ? { readOnly: g.readOnly } : {}) };
    }
    if (v.nfs !== undefined && v.nfs !== null) {
      const n = kind("nfs");
      out.nfs =
        n === UNKNOWN || !n
          ? n
          : { server: n.server, path: n.path ?? "/", ...(n.readOnly !== undefined && n.readOnly !== null ? { readOnly: n.readOnly } : {}) };
    }
    if (v.cloudSqlInstance !== undefined && v.cloudSqlInstance !== null) {
      const c = kind("cloudSqlInstance");
      out.cloudSqlInstance = c === UNKNOWN || !c ? c : { instances: c.instances };
    }
    return out;
  });
}
