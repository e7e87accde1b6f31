import { randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { EngineHome } from "../base/home";
import type { Logger } from "../base/logger";
import { SkiffError } from "../model/errors";
import type { MountedTemplate } from "../model/template";
import { inMemoryVolumeBytes, secretFileMode, type Volume } from "../model/volume";
import { parseDatabaseTarget, type DatabaseTarget } from "../model/volume-mapping";
import type { ContainerMount } from "../runtime/container-runtime";
import type { Store } from "../state/store";
import type { CloudSqlProxies } from "./cloudsql-proxy";
import { bucketFolder, nfsFolder } from "./host-folders";
import { accessSecret } from "./secret-values";

/** What a container gets from its template's secrets and volumes, beside its own env. */
export interface PreparedVolumes {
  /** Secret env vars with their values, resolved now. */
  env: Record<string, string>;
  mounts: ContainerMount[];
}

/** What the controllers ask of the volumes of the containers they start; volume-host.ts is the real one. */
export interface ContainerVolumes {
  /**
   * Resolves the secret env and makes the container's folders (secret files, Cloud SQL sockets;
   * again, in place, for a container adopted after a restart). Throws a SkiffError naming the
   * secret env, bucket or instance that cannot be had (a mounted secret file that cannot be read
   * is left absent instead, as on Cloud Run).
   */
  prepare(container: string, project: string, template: MountedTemplate, memoryBytes: number): Promise<PreparedVolumes>;
  /** The container is gone: its folder goes. */
  release(container: string): void;
}

/** A mounted file of a secret's version (or of what its `latest` names), kept to what that version is now. */
interface SecretFile {
  secret: string;
  version: string;
  file: string;
  mode: number;
}

/**
 * The host side of containers' volumes, each container in a folder of its own
 * (`<home>/mounts/<container>/<volume>`): secret files, written whole (a rename, so a reader never
 * sees half a value), rewritten whenever the secret's versions change (a `latest` file follows the
 * newest version) and removed while their version cannot be read (see show);
 * hard links to the Cloud SQL sockets; bucket and NFS folders (host-folders.ts); in-memory
 * volumes as a tmpfs of their size (inMemoryVolumeBytes: the size limit, else half the instance's memory).
 */
export class VolumeHost implements ContainerVolumes {
  private readonly prepared = new Map<string, { project: string; files: SecretFile[] }>();

  constructor(private readonly deps: { home: EngineHome; store: Store; proxies: CloudSqlProxies; log: Logger }) {}

  async prepare(container: string, project: string, template: MountedTemplate, memoryBytes: number): Promise<PreparedVolumes> {
    const { store } = this.deps;
    const env: Record<string, string> = {};
    for (const [name, ref] of Object.entries(template.secretEnv ?? {})) {
      const text = accessSecret(store.secrets, project, ref.secret, ref.version).value.toString("utf8");
      if (text.includes("\0"))
        throw new SkiffError("FAILED_PRECONDITION", `secret "${ref.secret}" holds a NUL byte: ${name} cannot hold it`);
      env[name] = text;
    }
    const mountsOf = template.volumeMounts ?? [];
    if (mountsOf.length === 0) return { env, mounts: [] };
    const root = join(this.deps.home.mountsDir, container);
    const files: SecretFile[] = [];
    const sources = new Map<string, ContainerMount | ((target: string) => ContainerMount)>();
    for (const volume of template.volumes ?? []) {
      if (!mountsOf.some((m) => m.name === volume.name)) continue;
      sources.set(volume.name, await this.source(volume, join(root, volume.name), project, memoryBytes, files));
    }
    this.prepared.set(container, { project, files });
    const mounts = mountsOf.map((m) => {
      const source = sources.get(m.name)!;
      return typeof source === "function" ? source(m.mountPath) : { ...source, target: m.mountPath };
    });
    return { env, mounts };
  }

  private async source(
    volume: Volume,
    folder: string,
    project: string,
    memoryBytes: number,
    followed: SecretFile[],
  ): Promise<ContainerMount | ((target: string) => ContainerMount)> {
    const { store, home } = this.deps;
    if (volume.emptyDir) {
      const sizeBytes = inMemoryVolumeBytes(volume.emptyDir, memoryBytes);
      return (target) => ({ kind: "tmpfs", target, sizeBytes });
    }
    if (volume.gcs)
      return { kind: "bind", source: bucketFolder(store, home, volume.gcs.bucket), target: "", readOnly: volume.gcs.readOnly };
    if (volume.nfs)
      return {
        kind: "bind",
        source: nfsFolder(store, home, volume.nfs.server, volume.nfs.path),
        target: "",
        readOnly: volume.nfs.readOnly,
      };
    makeFolder(folder);
    if (volume.secret) {
      const { secret, defaultMode } = volume.secret;
      for (const item of volume.secret.items ?? [{ path: secret, version: "latest", mode: undefined }]) {
        const file: SecretFile = {
          secret,
          version: item.version,
          file: join(folder, item.path),
          mode: secretFileMode(item.mode, defaultMode),
        };
        this.show(project, file);
        followed.push(file);
      }
    } else if (volume.cloudSqlInstance) {
      for (const instance of volume.cloudSqlInstance.instances) {
        const mapping = checkCloudSqlMapping(store, instance);
        const socket = await this.deps.proxies.socketFor(instance);
        // PostgreSQL's clients look for <folder>/.s.PGSQL.5432; MySQL's for the socket named after the instance.
        if (mapping.type === "mysql") linkWhole(socket, join(folder, instance));
        else {
          makeFolder(join(folder, instance));
          linkWhole(socket, join(folder, instance, ".s.PGSQL.5432"));
        }
      }
    }
    return { kind: "bind", source: folder, target: "", readOnly: true };
  }

  release(container: string): void {
    this.prepared.delete(container);
    rmSync(join(this.deps.home.mountsDir, container), { recursive: true, force: true });
  }

  /**
   * A version of `secret` was added, enabled, disabled or destroyed, or the secret was deleted:
   * every mounted file of it shows what its version is now (a `latest` file, the newest version).
   */
  secretChanged(project: string, secret: string): void {
    for (const entry of this.prepared.values()) {
      if (entry.project !== project) continue;
      for (const f of entry.files) if (f.secret === secret) this.show(project, f);
    }
  }

  /**
   * Writes a secret file's value, or, when its version cannot be read (disabled, destroyed, gone),
   * removes it, so that reading it fails: on Cloud Run every read of a mounted secret fetches it
   * from Secret Manager and fails while it is inaccessible, and an instance starts whatever state
   * its mounted versions are in (only secret env is checked at start). A destroyed value is then
   * nowhere on the host's disk either.
   */
  private show(project: string, f: SecretFile): void {
    let value: Buffer;
    try {
      value = accessSecret(this.deps.store.secrets, project, f.secret, f.version).value;
    } catch (error) {
      if (!(error instanceof SkiffError)) throw error;
      rmSync(f.file, { force: true });
      this.deps.log.warn("a mounted secret cannot be read now", { secret: f.secret, version: f.version, reason: error.message });
      return;
    }
    writeWhole(f.file, value, f.mode);
  }

  /** After a restart, once every live container is prepared again: folders of containers that are gone go too. */
  sweep(): void {
    const { mountsDir } = this.deps.home;
    for (const name of readdirSync(mountsDir))
      if (!this.prepared.has(name)) rmSync(join(mountsDir, name), { recursive: true, force: true });
  }
}

/** Refuses (412) an instance connection name that is not mapped, naming the command that maps it. */
export function checkCloudSqlMapping(store: Store, instance: string, field = "cloudsql") {
  const mapping = store.mappings.get("cloudsql", instance);
  if (!mapping?.target || !parseDatabaseTarget(mapping.target).target) {
    const reason = `Cloud SQL instance "${instance}" is not mapped to a database on this machine; map it with: skiff cloudsql map ${instance} --to HOST:PORT (or a unix socket path)`;
    throw new SkiffError("FAILED_PRECONDITION", reason, [{ field, reason }]);
  }
  return mapping;
}

/** Where a connection name's database is now, for the proxy (looked up per connection). */
export function cloudSqlTarget(store: Store, instance: string): DatabaseTarget | undefined {
  const target = store.mappings.get("cloudsql", instance)?.target;
  return target === undefined ? undefined : parseDatabaseTarget(target).target;
}

/** A deploy of a template whose Cloud SQL volumes name an unmapped instance is refused before anything is made. */
export function checkTemplateMappings(store: Store, template: MountedTemplate, prefix = "template"): void {
  (template.volumes ?? []).forEach((volume, i) =>
    volume.cloudSqlInstance?.instances.forEach((instance, j) =>
      checkCloudSqlMapping(store, instance, `${prefix}.volumes[${i}].cloudSqlInstance.instances[${j}]`),
    ),
  );
}

function makeFolder(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o755 });
}

/** Written beside, then renamed into place: a reader sees the old value or the new, never half. */
function writeWhole(file: string, value: Buffer, mode: number): void {
  makeFolder(dirname(file));
  const temporary = join(dirname(file), `.skiff-${randomBytes(6).toString("hex")}`);
  writeFileSync(temporary, value, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, file);
}

/** A hard link to the listening socket, put in place by a rename (it replaces the link to a socket of an engine that stopped). */
function linkWhole(socket: string, at: string): void {
  const temporary = join(dirname(at), `.skiff-${randomBytes(6).toString("hex")}`);
  linkSync(socket, temporary);
  renameSync(temporary, at);
}
