import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import type { RevisionOrigin, RevisionStatus } from "../model/revision";
import type { Ingress } from "../model/service";
import { NO_SERVICE_SCALING, type ServiceScaling } from "../model/service-scaling";
import type { ServiceTemplate } from "../model/template";
import type { NormalizedTrafficTarget } from "../model/traffic";
import { inTransaction, openDatabase, type Database } from "./db";
import { JobStore } from "./job-store";
import { MappingStore } from "./mapping-store";
import { PolicyStore } from "./policy-store";
import { rowByName, rowsByProject, rowsWhere } from "./queries";
import { SecretCipher } from "./secret-cipher";
import { SecretStore } from "./secret-store";

export interface ServiceRow {
  project: string;
  name: string;
  template: ServiceTemplate;
  labels: Record<string, string>;
  ingress: Ingress;
  /** Token audiences the service takes besides its URLs; no part of any revision. */
  customAudiences: string[];
  /** Its human-readable description, "" for none; metadata only. */
  description: string;
  /** Its own URLs are off (Cloud Run's defaultUriDisabled): only domain mappings reach it. */
  defaultUriDisabled: boolean;
  /** The service's own scaling (service-level min, max, manual count); no part of any revision. */
  serviceScaling: ServiceScaling;
  /**
   * The revision name its template asks for (Cloud Run's template.revision, Knative's
   * spec.template.metadata.name: `--revision-suffix`), kept as part of the spec; none: absent.
   */
  templateRevision?: string;
  /** Annotations tools set on it (Cloud Run v2's Service.annotations); metadata only. */
  annotations?: Record<string, string>;
  traffic: NormalizedTrafficTarget[];
  /** Counts changes of the spec (template, labels, ingress, custom audiences): a client names the one it read to change it. */
  generation: number;
  /** The generation number the next revision gets (`<service>-<00001>-abc`). */
  nextGeneration: number;
  createTime: string;
  updateTime: string;
}

export interface RevisionRow {
  project: string;
  name: string;
  service: string;
  generation: number;
  origin: RevisionOrigin;
  template: ServiceTemplate;
  fingerprint: string;
  image: string;
  imageDigest: string;
  /** Each sidecar's pinned image id, by container name; absent for a template without sidecars. */
  sidecarDigests?: Record<string, string>;
  status: RevisionStatus;
  error?: string;
  /** The last failure of one of its instances after it was ready (out of memory, an exit). */
  instanceError?: string;
  createTime: string;
}

export interface InstanceRow {
  id: string;
  project: string;
  service: string;
  revision: string;
  containerId: string;
  hostPort?: number;
  createTime: string;
}

export interface DomainMappingRow {
  domain: string;
  project: string;
  service: string;
  createTime: string;
}

/** Typed access to the engine's tables. Synchronous (node:sqlite): no awaits inside a transaction. */
export class Store {
  /** Jobs, executions and tasks. */
  readonly jobs: JobStore;
  /** Services' and jobs' IAM bindings. */
  readonly policies: PolicyStore;
  /** Secrets and their versions (values sealed with the key at `secretsKey`). */
  readonly secrets: SecretStore;
  /** What buckets, NFS exports and Cloud SQL instances are on this machine. */
  readonly mappings: MappingStore;

  private constructor(
    private readonly db: Database,
    cipher: SecretCipher,
  ) {
    this.jobs = new JobStore(db);
    this.policies = new PolicyStore(db);
    this.secrets = new SecretStore(db, cipher);
    this.mappings = new MappingStore(db);
  }

  /** `secretsKey`: the 0600 key file secret values are sealed with; by default `secrets.key` beside the database. */
  static open(path: string, secretsKey = join(dirname(path), "secrets.key")): Store {
    const db = openDatabase(path);
    try {
      return new Store(db, SecretCipher.loadOrCreate(secretsKey));
    } catch (error) {
      db.close();
      throw error;
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs fn in one transaction: all of its writes land, or none. */
  transaction<T>(fn: () => T): T {
    return inTransaction(this.db, fn);
  }

  /** The engine's identity, made once and kept: it labels every container this engine owns. */
  engineId(): string {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'engine_id'").get() as { value: string } | undefined;
    if (row) return row.value;
    const id = randomBytes(6).toString("hex");
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('engine_id', ?)").run(id);
    return id;
  }

  /** A value the engine keeps across restarts (a port its containers were given). */
  setting(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(`setting:${key}`) as { value: string } | undefined;
    return row?.value;
  }

  putSetting(key: string, value: string): void {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .run(`setting:${key}`, value);
  }

  // services

  getService(project: string, name: string): ServiceRow | undefined {
    const row = rowByName(this.db, "services", project, name);
    return row ? toService(row) : undefined;
  }

  listServices(project?: string): ServiceRow[] {
    return rowsByProject(this.db, "services", project).map(toService);
  }

  putService(s: ServiceRow): void {
    this.db
      .prepare(
        `INSERT INTO services (project, name, spec, traffic, generation, next_generation, create_time, update_time)
         VALUES (@project, @name, @spec, @traffic, @generation, @nextGeneration, @createTime, @updateTime)
         ON CONFLICT (project, name) DO UPDATE SET spec = @spec, traffic = @traffic, generation = @generation,
           next_generation = @nextGeneration, update_time = @updateTime`,
      )
      .run({
        project: s.project,
        name: s.name,
        spec: JSON.stringify({
          template: s.template,
          labels: s.labels,
          ingress: s.ingress,
          customAudiences: s.customAudiences,
          description: s.description,
          defaultUriDisabled: s.defaultUriDisabled,
          serviceScaling: s.serviceScaling,
          ...(s.templateRevision ? { templateRevision: s.templateRevision } : {}),
          ...(s.annotations && Object.keys(s.annotations).length > 0 ? { annotations: s.annotations } : {}),
        }),
        traffic: JSON.stringify(s.traffic),
        generation: s.generation,
        nextGeneration: s.nextGeneration,
        createTime: s.createTime,
        updateTime: s.updateTime,
      });
  }

  /** Removes a service with its revisions, instance records and domain mappings. */
  deleteService(project: string, name: string): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM services WHERE project = ? AND name = ?").run(project, name);
      this.db.prepare("DELETE FROM revisions WHERE project = ? AND service = ?").run(project, name);
      this.db.prepare("DELETE FROM instances WHERE project = ? AND service = ?").run(project, name);
      this.db.prepare("DELETE FROM domain_mappings WHERE project = ? AND service = ?").run(project, name);
      this.policies.delete(project, "service", name);
    });
  }

  // revisions

  getRevision(project: string, name: string): RevisionRow | undefined {
    const row = rowByName(this.db, "revisions", project, name);
    return row ? toRevision(row) : undefined;
  }

  /** Newest first. */
  listRevisions(project?: string, service?: string): RevisionRow[] {
    return rowsWhere(this.db, "revisions", { project, service }, "project, service, generation DESC").map(toRevision);
  }

  insertRevision(r: RevisionRow): void {
    this.db
      .prepare(
        `INSERT INTO revisions (project, name, service, generation, origin, template, fingerprint, image, image_digest, sidecar_digests, status, error, instance_error, create_time)
         VALUES (@project, @name, @service, @generation, @origin, @template, @fingerprint, @image, @imageDigest, @sidecarDigests, @status, @error, @instanceError, @createTime)`,
      )
      .run({
        project: r.project,
        name: r.name,
        service: r.service,
        generation: r.generation,
        origin: r.origin,
        template: JSON.stringify(r.template),
        fingerprint: r.fingerprint,
        image: r.image,
        imageDigest: r.imageDigest,
        sidecarDigests: r.sidecarDigests ? JSON.stringify(r.sidecarDigests) : null,
        status: r.status,
        error: r.error ?? null,
        instanceError: r.instanceError ?? null,
        createTime: r.createTime,
      });
  }

  setRevisionStatus(project: string, name: string, status: RevisionStatus, error?: string): void {
    this.db.prepare("UPDATE revisions SET status = ?, error = ? WHERE project = ? AND name = ?").run(status, error ?? null, project, name);
  }

  setRevisionInstanceError(project: string, name: string, error: string): void {
    this.db.prepare("UPDATE revisions SET instance_error = ? WHERE project = ? AND name = ?").run(error, project, name);
  }

  deleteRevision(project: string, name: string): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM revisions WHERE project = ? AND name = ?").run(project, name);
      this.db.prepare("DELETE FROM instances WHERE project = ? AND revision = ?").run(project, name);
    });
  }

  // instances

  listInstances(): InstanceRow[] {
    return this.db.prepare("SELECT * FROM instances ORDER BY create_time").all().map(toInstance);
  }

  insertInstance(i: InstanceRow): void {
    this.db
      .prepare(
        `INSERT INTO instances (id, project, service, revision, container_id, host_port, create_time)
         VALUES (@id, @project, @service, @revision, @containerId, @hostPort, @createTime)`,
      )
      .run({
        id: i.id,
        project: i.project,
        service: i.service,
        revision: i.revision,
        containerId: i.containerId,
        hostPort: i.hostPort ?? null,
        createTime: i.createTime,
      });
  }

  deleteInstance(id: string): void {
    this.db.prepare("DELETE FROM instances WHERE id = ?").run(id);
  }

  // domain mappings

  getDomainMapping(domain: string): DomainMappingRow | undefined {
    const row = this.db.prepare("SELECT * FROM domain_mappings WHERE domain = ?").get(domain);
    return row ? toMapping(row) : undefined;
  }

  listDomainMappings(project?: string): DomainMappingRow[] {
    const rows =
      project === undefined
        ? this.db.prepare("SELECT * FROM domain_mappings ORDER BY domain").all()
        : this.db.prepare("SELECT * FROM domain_mappings WHERE project = ? ORDER BY domain").all(project);
    return rows.map(toMapping);
  }

  insertDomainMapping(m: DomainMappingRow): void {
    this.db
      .prepare("INSERT INTO domain_mappings (domain, project, service, create_time) VALUES (@domain, @project, @service, @createTime)")
      .run({ domain: m.domain, project: m.project, service: m.service, createTime: m.createTime });
  }

  /** A domain taken over from whichever project mapped it (`--force-override`), in one transaction. */
  replaceDomainMapping(m: DomainMappingRow): void {
    this.transaction(() => {
      this.deleteDomainMapping(m.domain);
      this.insertDomainMapping(m);
    });
  }

  deleteDomainMapping(domain: string): void {
    this.db.prepare("DELETE FROM domain_mappings WHERE domain = ?").run(domain);
  }
}

type Row = Record<string, any>;

function toService(row: unknown): ServiceRow {
  const r = row as Row;
  const spec = JSON.parse(r.spec);
  return {
    project: r.project,
    name: r.name,
    template: spec.template,
    labels: spec.labels,
    ingress: spec.ingress,
    // Stored before custom audiences existed: none.
    customAudiences: spec.customAudiences ?? [],
    // Stored before descriptions were kept: none.
    description: spec.description ?? "",
    defaultUriDisabled: spec.defaultUriDisabled ?? false,
    // Stored before service-level scaling existed: none.
    serviceScaling: spec.serviceScaling ?? NO_SERVICE_SCALING,
    ...(spec.templateRevision ? { templateRevision: spec.templateRevision as string } : {}),
    ...(spec.annotations ? { annotations: spec.annotations as Record<string, string> } : {}),
    traffic: JSON.parse(r.traffic),
    generation: r.generation,
    nextGeneration: r.next_generation,
    createTime: r.create_time,
    updateTime: r.update_time,
  };
}

function toRevision(row: unknown): RevisionRow {
  const r = row as Row;
  return {
    project: r.project,
    name: r.name,
    service: r.service,
    generation: r.generation,
    origin: r.origin,
    template: JSON.parse(r.template),
    fingerprint: r.fingerprint,
    image: r.image,
    imageDigest: r.image_digest,
    ...(r.sidecar_digests ? { sidecarDigests: JSON.parse(r.sidecar_digests) as Record<string, string> } : {}),
    status: r.status,
    error: r.error ?? undefined,
    instanceError: r.instance_error ?? undefined,
    createTime: r.create_time,
  };
}

function toInstance(row: unknown): InstanceRow {
  const r = row as Row;
  return {
    id: r.id,
    project: r.project,
    service: r.service,
    revision: r.revision,
    containerId: r.container_id,
    hostPort: r.host_port ?? undefined,
    createTime: r.create_time,
  };
}

function toMapping(row: unknown): DomainMappingRow {
  const r = row as Row;
  return { domain: r.domain, project: r.project, service: r.service, createTime: r.create_time };
}
