import type { Logger } from "../base/logger";
import { revisionName, scopedKey } from "../model/derived-names";
import { checkField, invalidFromViolations, notFound, SkiffError, violationsOf } from "../model/errors";
import { checkProject, serviceNameSchema, tagNameSchema } from "../model/names";
import { candidateBodySchema, templateFingerprint, type Revision } from "../model/revision";
import { parseServiceSpec, type Service } from "../model/service";
import { parseServiceTemplate, type ServiceTemplate } from "../model/template";
import {
  appendNewRevision,
  normalizeTraffic,
  parseSetTrafficBody,
  revisionsInUse,
  routingTable,
  tagTable,
  trafficEntryBlockingDelete,
  validateTraffic,
} from "../model/traffic";
import { applyTrafficUpdate, type TrafficUpdate } from "../model/traffic-update";
import type { RoutingTable } from "../router/routing-table";
import { WeightedPicker } from "../router/weighted-pick";
import type { ContainerRuntime } from "../runtime/container-runtime";
import type { LogStore } from "../runtime/log-store";
import type { RevisionRow, ServiceRow, Store } from "../state/store";
import type { InstanceController } from "./instance-controller";
import { KeyedLock } from "./keyed-lock";
import { resolveService, revisionView, serviceView, type ResolvedService } from "./views";

export interface ServiceControllerDeps {
  store: Store;
  runtime: ContainerRuntime;
  instances: InstanceController;
  routes: RoutingTable;
  logs: LogStore;
  log: Logger;
  ingressPort: number;
}

export interface DeployOptions {
  noTraffic?: boolean;
  tag?: string;
}

/** Services and their revisions: create, update (a changed template makes a revision), traffic, delete. */
export class ServiceController {
  private readonly lock = new KeyedLock();
  /** Per service: the ready revisions that traffic or a tag reaches, i.e. those that keep an instance. */
  private readonly serving = new Map<string, RevisionRow[]>();

  constructor(private readonly deps: ServiceControllerDeps) {}

  desiredRevisions(): RevisionRow[] {
    return [...this.serving.values()].flat();
  }

  // reads

  listServices(project: string): Service[] {
    checkProject(project);
    return this.deps.store.listServices(project).map((row) => serviceView(this.resolve(row), this.deps.ingressPort));
  }

  getService(project: string, name: string): Service {
    return serviceView(this.resolve(this.requireService(project, name)), this.deps.ingressPort);
  }

  listRevisions(project: string, service?: string): Revision[] {
    checkProject(project);
    if (service !== undefined) this.requireService(project, service);
    const rows = this.deps.store.listRevisions(project, service);
    const statuses = new Map<string, ResolvedService["statuses"]>();
    return rows.map((r) => {
      let s = statuses.get(r.service);
      if (!s) statuses.set(r.service, (s = this.statusesOf(project, r.service)));
      return revisionView(r, s);
    });
  }

  getRevision(project: string, name: string): Revision {
    const row = this.requireRevision(project, name);
    return revisionView(row, this.statusesOf(project, row.service));
  }

  // changes

  /** `skiff deploy` and the Service resource: create or update; a changed template makes a revision. */
  async apply(project: string, name: string, body: unknown, options: DeployOptions = {}): Promise<{ service: Service; revision?: Revision }> {
    checkProject(project);
    checkField("service", serviceNameSchema, name);
    if (options.tag !== undefined) checkField("tag", tagNameSchema, options.tag);
    const spec = parseServiceSpec(body);
    return this.lock.run(scopedKey(project, name), async () => {
      const { store } = this.deps;
      const existing = store.getService(project, name);
      const revisions = existing ? store.listRevisions(project, name) : [];
      const resolved = existing ? resolveService(existing, revisions, this.deps.ingressPort) : undefined;
      if (spec.traffic) validateTraffic(spec.traffic, revisions);
      const now = new Date().toISOString();
      const base: ServiceRow = existing ?? {
        project, name, template: spec.template, labels: {}, ingress: "all", traffic: [], nextGeneration: 1, createTime: now, updateTime: now,
      };
      const traffic = spec.traffic ? normalizeTraffic(spec.traffic) : base.traffic;
      const latest = resolved?.latestCreated;
      const unchanged = latest && latest.status !== "FAILED" && latest.fingerprint === templateFingerprint(spec.template);
      if (unchanged && options.tag === undefined) {
        store.putService({ ...base, labels: spec.labels, ingress: spec.ingress, traffic, updateTime: now });
        this.publish(project, name);
        return { service: this.getService(project, name) };
      }
      const imageDigest = await this.deps.runtime.resolveImage(spec.template.image);
      const revName = revisionName(name, base.nextGeneration);
      const newTraffic = appendNewRevision(traffic, revName, {
        noTraffic: options.noTraffic ?? false,
        tag: options.tag,
        latestReadyRevision: resolved?.latestReady?.name,
      });
      const rev = this.newRevision(base, revName, spec.template, imageDigest, "service", now);
      store.transaction(() => {
        store.putService({ ...base, template: spec.template, labels: spec.labels, ingress: spec.ingress, traffic: newTraffic, nextGeneration: base.nextGeneration + 1, updateTime: now });
        store.insertRevision(rev);
      });
      await this.bringUp(rev);
      return { service: this.getService(project, name), revision: this.getRevision(project, revName) };
    });
  }

  /** A Revision resource: a candidate made from its own template, with no traffic until a TrafficTarget routes to it. */
  async createCandidate(project: string, service: string, body: unknown): Promise<Revision> {
    const parsed = candidateBodySchema.safeParse(body);
    if (!parsed.success) throw invalidFromViolations(violationsOf(parsed.error));
    const template = parseServiceTemplate(parsed.data.template);
    return this.lock.run(scopedKey(project, service), async () => {
      const row = this.requireService(project, service);
      const imageDigest = await this.deps.runtime.resolveImage(template.image);
      const now = new Date().toISOString();
      const revName = revisionName(service, row.nextGeneration);
      const rev = this.newRevision(row, revName, template, imageDigest, "candidate", now);
      this.deps.store.transaction(() => {
        this.deps.store.putService({ ...row, nextGeneration: row.nextGeneration + 1, updateTime: now });
        this.deps.store.insertRevision(rev);
      });
      await this.bringUp(rev);
      return this.getRevision(project, revName);
    });
  }

  async setTraffic(project: string, service: string, body: unknown): Promise<Service> {
    const traffic = parseSetTrafficBody(body);
    return this.changeTraffic(project, service, (_, revisions) => {
      validateTraffic(traffic, revisions);
      return normalizeTraffic(traffic);
    });
  }

  async updateTraffic(project: string, service: string, update: TrafficUpdate): Promise<Service> {
    return this.changeTraffic(project, service, (row, revisions) => applyTrafficUpdate(row.traffic, revisions, update));
  }

  private changeTraffic(project: string, service: string, compute: (row: ServiceRow, revisions: RevisionRow[]) => ServiceRow["traffic"]): Promise<Service> {
    return this.lock.run(scopedKey(project, service), async () => {
      const row = this.requireService(project, service);
      const traffic = compute(row, this.deps.store.listRevisions(project, service));
      this.deps.store.putService({ ...row, traffic, updateTime: new Date().toISOString() });
      this.publish(project, service);
      return this.getService(project, service);
    });
  }

  async deleteService(project: string, name: string): Promise<void> {
    await this.lock.run(scopedKey(project, name), async () => {
      this.requireService(project, name);
      const { store, instances, routes, logs } = this.deps;
      const mappings = store.listDomainMappings(project).filter((m) => m.service === name);
      routes.setService(project, name, undefined);
      for (const m of mappings) routes.setDomain(m.domain, undefined);
      this.serving.delete(scopedKey(project, name));
      for (const rev of store.listRevisions(project, name)) await instances.removeRevision(project, rev.name);
      store.deleteService(project, name);
      logs.remove(project, name);
    });
  }

  async deleteRevision(project: string, name: string): Promise<void> {
    const rev = this.requireRevision(project, name);
    await this.lock.run(scopedKey(project, rev.service), async () => {
      this.requireRevision(project, name);
      const blocking = trafficEntryBlockingDelete(this.statusesOf(project, rev.service), name);
      if (blocking) {
        throw new SkiffError("CONFLICT", `revision "${name}" still serves ${blocking} of service "${rev.service}"; move its traffic and tags first`);
      }
      await this.deps.instances.removeRevision(project, name);
      this.deps.store.deleteRevision(project, name);
      this.publish(project, rev.service);
    });
  }

  /** Rebuilds the routes and the serving set of every service (engine start). */
  publishAll(): void {
    for (const row of this.deps.store.listServices()) this.publish(row.project, row.name);
    for (const m of this.deps.store.listDomainMappings()) this.deps.routes.setDomain(m.domain, { project: m.project, service: m.service });
  }

  /** Makes the data plane follow the stored state of one service; effective from the next request. */
  publish(project: string, name: string): void {
    const key = scopedKey(project, name);
    const row = this.deps.store.getService(project, name);
    if (!row) {
      this.deps.routes.setService(project, name, undefined);
      this.serving.delete(key);
      return;
    }
    const resolved = this.resolve(row);
    const picker = new WeightedPicker(routingTable(resolved.statuses));
    const byName = new Map(resolved.revisions.map((r) => [r.name, r]));
    this.deps.routes.setService(project, name, {
      pick: () => picker.pick(),
      tags: tagTable(resolved.statuses),
      timeoutMs: (revision) => (byName.get(revision)?.template.timeout ?? 300) * 1000,
    });
    const serving = [...revisionsInUse(resolved.statuses)].map((n) => byName.get(n)).filter((r): r is RevisionRow => r?.status === "READY");
    for (const r of serving) this.deps.instances.ensureHandler(r);
    this.serving.set(key, serving);
    this.deps.instances.kick();
  }

  private newRevision(service: ServiceRow, name: string, template: ServiceTemplate, imageDigest: string, origin: RevisionRow["origin"], now: string): RevisionRow {
    return {
      project: service.project, name, service: service.name, generation: service.nextGeneration, origin,
      template, fingerprint: templateFingerprint(template), image: template.image, imageDigest,
      status: "PENDING", createTime: now,
    };
  }

  /** Starts the revision's first instance: READY once it listens, FAILED (with its log tail) otherwise. */
  private async bringUp(rev: RevisionRow): Promise<void> {
    const { store, instances, log } = this.deps;
    try {
      await instances.startInstance(rev);
      store.setRevisionStatus(rev.project, rev.name, "READY");
      log.info("revision ready", { project: rev.project, revision: rev.name });
    } catch (error) {
      const message = `revision ${rev.name} is not ready: ${(error as Error).message}`;
      store.transaction(() => {
        store.setRevisionStatus(rev.project, rev.name, "FAILED", message);
        // A failed revision can never answer, so a tag given to it on deploy goes away with it.
        const row = store.getService(rev.project, rev.service);
        if (row) store.putService({ ...row, traffic: row.traffic.filter((t) => t.revision !== rev.name) });
      });
      log.warn("revision failed", { project: rev.project, revision: rev.name, error: message });
    }
    this.publish(rev.project, rev.service);
  }

  private resolve(row: ServiceRow): ResolvedService {
    return resolveService(row, this.deps.store.listRevisions(row.project, row.name), this.deps.ingressPort);
  }

  private statusesOf(project: string, service: string) {
    const row = this.deps.store.getService(project, service);
    return row ? this.resolve(row).statuses : [];
  }

  private requireService(project: string, name: string): ServiceRow {
    checkProject(project);
    checkField("service", serviceNameSchema, name);
    const row = this.deps.store.getService(project, name);
    if (!row) throw notFound("service", name, project);
    return row;
  }

  private requireRevision(project: string, name: string): RevisionRow {
    checkProject(project);
    const row = this.deps.store.getRevision(project, name);
    if (!row) throw notFound("revision", name, project);
    return row;
  }
}
