import { isIP } from "node:net";
import { z } from "zod";
import { absolutePathProblem, bucketNameSchema, connectionNameSchema, nfsServerSchema } from "./volume";

/**
 * What a volume's outside thing is on this machine. A Cloud Storage bucket and an NFS export are a
 * local folder: the engine's own (`<home>/buckets/<bucket>`, `<home>/nfs/<server>/<path>`) unless
 * the user maps one (`skiff buckets map B --path DIR`, `skiff nfs map HOST:/path --path DIR`). A
 * Cloud SQL instance is a database the user maps (`skiff cloudsql map P:R:I --to HOST:PORT|SOCKET`):
 * without a mapping a template that names it is refused, since nothing could answer its socket.
 * Mappings belong to the engine, not a project: a bucket's name is global, as on Google Cloud.
 */

export const mappingKindSchema = z.enum(["bucket", "nfs", "cloudsql"]);
export type MappingKind = z.output<typeof mappingKindSchema>;

/** The database a Cloud SQL socket leads to; decides the socket's name (`.s.PGSQL.5432`, or MySQL's). */
export const databaseTypeSchema = z.enum(["postgres", "mysql"]);
export type DatabaseType = z.output<typeof databaseTypeSchema>;

export const volumeMappingSchema = z.object({
  kind: mappingKindSchema,
  /** The bucket, `HOST:/path` of the export, or the instance connection name. */
  name: z.string(),
  /** The folder (bucket, nfs). */
  path: z.string().optional(),
  /** `HOST:PORT` or a socket path (cloudsql). */
  target: z.string().optional(),
  type: databaseTypeSchema.optional(),
  createTime: z.string(),
});
export type VolumeMapping = z.output<typeof volumeMappingSchema>;

/** What a client sends to map something: a folder, or a database with its type. */
export const mapBodySchema = z
  .object({ path: z.string().optional(), target: z.string().optional(), type: databaseTypeSchema.optional() })
  .strict();
export type MapBody = z.input<typeof mapBodySchema>;

/** The schema a mapped name of each kind must pass. */
export function mappedNameProblem(kind: MappingKind, name: string): string | undefined {
  if (kind === "bucket") return bucketNameSchema.safeParse(name).error?.issues[0]?.message;
  if (kind === "cloudsql") return connectionNameSchema.safeParse(name).error?.issues[0]?.message;
  return parseNfsLocation(name).problem;
}

/** gcloud's `location=HOST:/path` of an NFS volume. */
export function parseNfsLocation(location: string): { server?: string; path?: string; problem?: string } {
  const colon = location.indexOf(":");
  if (colon <= 0) return { problem: "must be HOST:/path, such as nfs.example.test:/exports/data" };
  const server = location.slice(0, colon);
  const path = location.slice(colon + 1);
  const serverProblem = nfsServerSchema.safeParse(server).error?.issues[0]?.message;
  if (serverProblem) return { problem: `the server ${serverProblem}` };
  const pathProblem = absolutePathProblem(path);
  if (pathProblem) return { problem: `the path ${pathProblem}` };
  return { server, path };
}

export function nfsLocation(server: string, path: string): string {
  return `${server}:${path}`;
}

export type DatabaseTarget = { kind: "tcp"; host: string; port: number } | { kind: "socket"; path: string };

/** `127.0.0.1:5432`, `[::1]:5432`, `db.internal:3306` or a unix socket's absolute path. */
export function parseDatabaseTarget(target: string): { target?: DatabaseTarget; problem?: string } {
  if (target.startsWith("/")) {
    const problem = absolutePathProblem(target);
    return problem ? { problem } : { target: { kind: "socket", path: target } };
  }
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(target);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535)
    return { problem: "must be HOST:PORT (such as 127.0.0.1:5432) or the absolute path of a unix socket" };
  const host = match[1].replace(/^\[|\]$/g, "");
  if (match[1].startsWith("[") && isIP(host) !== 6) return { problem: `"${match[1]}" is not an IPv6 address` };
  return { target: { kind: "tcp", host, port } };
}

/** The database type a target implies: PostgreSQL's and MySQL's default ports and socket names. */
export function impliedDatabaseType(target: DatabaseTarget): DatabaseType | undefined {
  if (target.kind === "tcp") return target.port === 5432 ? "postgres" : target.port === 3306 ? "mysql" : undefined;
  const base = target.path.slice(target.path.lastIndexOf("/") + 1);
  if (base.startsWith(".s.PGSQL.")) return "postgres";
  if (base.includes("mysql")) return "mysql";
  return undefined;
}
