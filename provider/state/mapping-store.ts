import type { MappingKind, VolumeMapping } from "../model/volume-mapping";
import type { Database } from "./db";

/** Buckets, NFS exports and Cloud SQL instances mapped to what stands for them on this machine. */
export class MappingStore {
  constructor(private readonly db: Database) {}

  get(kind: MappingKind, name: string): VolumeMapping | undefined {
    const row = this.db.prepare("SELECT * FROM volume_mappings WHERE kind = ? AND name = ?").get(kind, name);
    return row ? toMapping(row) : undefined;
  }

  list(kind?: MappingKind): VolumeMapping[] {
    const rows =
      kind === undefined
        ? this.db.prepare("SELECT * FROM volume_mappings ORDER BY kind, name").all()
        : this.db.prepare("SELECT * FROM volume_mappings WHERE kind = ? ORDER BY name").all(kind);
    return rows.map(toMapping);
  }

  put(m: VolumeMapping): void {
    const { kind, name, createTime, ...target } = m;
    this.db
      .prepare(
        `INSERT INTO volume_mappings (kind, name, target, create_time) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, name) DO UPDATE SET target = excluded.target, create_time = excluded.create_time`,
      )
      .run(kind, name, JSON.stringify(target), createTime);
  }

  delete(kind: MappingKind, name: string): boolean {
    return Number(this.db.prepare("DELETE FROM volume_mappings WHERE kind = ? AND name = ?").run(kind, name).changes) > 0;
  }
}

function toMapping(row: unknown): VolumeMapping {
  const r = row as Record<string, any>;
  return { kind: r.kind, name: r.name, ...JSON.parse(r.target), createTime: r.create_time };
}
