import type { EngineHome } from "../base/home";
import { checkField, invalid, notFound } from "../model/errors";
import {
  impliedDatabaseType,
  mapBodySchema,
  mappedNameProblem,
  mappingKindSchema,
  parseDatabaseTarget,
  type MappingKind,
  type VolumeMapping,
} from "../model/volume-mapping";
import { parseBody } from "../model/secret";
import { checkMappableFolder } from "../platform/host-folders";
import type { Store } from "../state/store";

/** The commands that map each kind, for messages. */
const MAP_COMMAND: Record<MappingKind, string> = { bucket: "skiff buckets map", nfs: "skiff nfs map", cloudsql: "skiff cloudsql map" };

/**
 * What buckets, NFS exports and Cloud SQL instances are on this machine (model/volume-mapping.ts).
 * A folder is checked when it is mapped (it exists, and may be shown to a container) and again
 * when a container mounts it. A changed bucket or export mapping applies to containers started
 * after it; a Cloud SQL mapping to the next connection, since the engine looks it up per connection.
 */
export class MappingController {
  constructor(
    private readonly store: Store,
    private readonly home: EngineHome,
  ) {}

  list(kind?: string): VolumeMapping[] {
    return this.store.mappings.list(kind === undefined ? undefined : this.kind(kind));
  }

  map(kindText: string, name: string, body: unknown): VolumeMapping {
    const kind = this.kind(kindText);
    this.checkName(kind, name);
    const { path, target, type } = parseBody(mapBodySchema, body);
    const mapping: VolumeMapping = { kind, name, createTime: new Date().toISOString() };
    if (kind === "cloudsql") {
      if (target === undefined) throw invalid("target", "is required: HOST:PORT or the path of a unix socket");
      const parsed = parseDatabaseTarget(target);
      if (!parsed.target) throw invalid("target", `"${target}" ${parsed.problem}`);
      const databaseType = type ?? impliedDatabaseType(parsed.target);
      if (!databaseType)
        throw invalid("type", `cannot tell from "${target}" whether it is PostgreSQL or MySQL; say which with postgres or mysql`);
      Object.assign(mapping, { target, type: databaseType });
    } else {
      if (path === undefined) throw invalid("path", "is required: the folder that stands for it");
      mapping.path = checkMappableFolder(path, this.home);
    }
    this.store.mappings.put(mapping);
    return mapping;
  }

  unmap(kindText: string, name: string): void {
    const kind = this.kind(kindText);
    this.checkName(kind, name);
    if (!this.store.mappings.delete(kind, name)) throw notFound(`${kind} mapping`, name, undefined, `map it with: ${MAP_COMMAND[kind]}`);
  }

  private kind(text: string): MappingKind {
    checkField("kind", mappingKindSchema, text);
    return text as MappingKind;
  }

  private checkName(kind: MappingKind, name: string): void {
    const problem = mappedNameProblem(kind, name);
    if (problem) throw invalid(kind, `"${name}" ${problem}`);
  }
}
