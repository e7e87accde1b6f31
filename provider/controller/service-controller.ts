import type { Logger } from "../base/logger";
import { revisionName, scopedKey } from "../model/derived-names";
import { checkField, invalidFromViolations, notFound, SkiffError, violationsOf } from "../model/errors";
import { checkProject, revisionNameSchema, serviceNameSchema } from "../model/names";
import { candidateBodySchema, templateFingerprint, type LocalImage, type Revision } from "../model/revision";
import { invokersOf, withInvokers } from "../model/iam";
import { parseServiceSpec, type Service, type ServiceSpec } from "../model/service";
import { NO_SERVICE_SCALING } from "../model/service-scaling";
import { parseServiceTemplate } from "../model/template";
import { appendNewRevision, checkNewRevisionTag, normalizeTraffic, parseSetTrafficBody, validateTraffic } from "../model/traffic";
import { applyTrafficUpdate, type TrafficUpdate } from "../model/traffic-update";
import { checkTemplateSecrets } from "../platform/secret-values";
import { checkTemplateMappings } from "../platform/volume-host";
import type { RoutingTable } from "../router/routing-table";
import type { ContainerRuntime } from "../runtime/container-runtime";
import type { ContainerLogs } from "../logs/container-logs";
import type { RevisionRow, ServiceRow, Store } from "../state/store";
import type { InstanceController } from "./instance-controller";
import { KeyedLock } from "./keyed-lock";
import { checkRevisionName, lookUpLocalImage, newRevisionRow, pinImages, type PinnedImages } from "./new-revision";
import { RevisionLifecycle } from "./revision-lifecycle";
import { checkGeneration, specChanged } from "./service-generation";
import type { RoutePublisher } from "./route-publisher";
import { serviceBindings } from "./service-access";
import { resolveService, revisionDeleteBlocker, revisionView, serviceView, type ResolvedService } from "./views";

export interface ServiceControllerDeps {
  store: Store;
  runtime: ContainerRuntime;
  instances: InstanceController;
  routes: RoutingTable;
  publisher: RoutePublisher;
  logs: ContainerLogs;
  log: Logger;
  ingressPort: number;
}

export interface DeployOptions {
  noTraffic?: boolean;
  tag?: string;
  /** The service's generation the client read; a different one now means someone else changed it (409). */
  expectedGeneration?: number;
  /** Name the new revision `<service>-<suffix>` (gcloud's --revision-suffix) instead of `<service>-<00001>-<abc>`. */
  revisionSuffix?: string;
  /** Answer once the revision is created; its first instance starts behind the answer. */
  async?: boolean;
  /**
   * The caller's own check of the service as it is under the lock (undefined: it does not exist),
   * e.g. an etag read earlier: throwing refuses the change, with nothing changed.
   */
  precondition?: (current: Service | undefined) => void;
  /**
   * When this call creates the service, its createTime: what an answer given before the work
   * (a v2 Operation's metadata) already showed, so its uid is the one the service keeps.
   */
  createTime?: string;
}

/** How long a read of a starting revision may wait for it to become READY or FAILED. */
const MAX_REVISION_WAIT_MS = 10 * 60_000;

/** What a deploy's state change under the lock comes to: done (maybe with a new revision), or it needs the image resolved first. */
type LockedDeploy = { kind: "done"; revision?: RevisionRow } | { kind: "needs-image" };

/**
 * Services and their revisions: create, update (a changed template makes a revision), traffic,
 * delete. A service's lock guards short state changes only; it is never held while a container
 * starts or stops, so traffic changes and deletes answer at once while a revision is starting.
 */
export class ServiceController {
  private readonly lock = new KeyedLock();
  private readonly lifecycle: RevisionLifecycle;

  constructor(private readonly deps: ServiceControllerDeps) {
    this.lifecycle = new RevisionLifecycle({ ...deps, lock: this.lock });
  }

  // reads

  listServices(project: string): Service[] {
    checkProject(project);
    return this.deps.store.listServices(project).map((row) => this.view(this.resolve(row)));
  }

  getService(project: string, name: string): Service {
    return this.view(this.resolve(this.requireService(project, name)));
  }

  listRevisions(project: string, service?: string): Revision[] {
    checkProject(project);
    if (service !== undefined) this.requireService(project, service);
    const rows = this.deps.store.listRevisions(project, service);
    const statuses = new Map<string, ResolvedService["statuses"]>();
    return rows.map((r) => {
      let s = statuses.get(r.service);
      if (!s) statuses.set(r.service, (s = this.statusesOf(project, r.service)));
      return revisionView(r, s, this.deps.instances.status(project, r.name));
    });
  }

  getRevision(project: string, name: string): Revision {
    const row = this.requireRevision(project, name);
    return revisionView(row, this.statusesOf(project, row.service), this.deps.instances.status(project, name));
  }

  // changes

  /** What apply() will refuse under its lock about a named revision, checked now: before an image is pulled for it. */
  checkRevisionName(project: string, name: string, body: unknown, revisionSuffix: string | undefined): void {
    if (revisionSuffix === undefined) return;
    const requested = `${name}-${revisionSuffix}`;
    const existing = this.deps.store.listRevisions(project, name).find((r) => r.name === requested);
    checkRevisionName(project, requested, existing, parseServiceSpec(body).template);
  }

  /** `skiff deploy` and the Service resource: create or update; a changed template makes a revision. */
  async apply(
    project: string,
    name: string,
    body: unknown,
    options: DeployOptions = {},
  ): Promise<{ service: Service; revision?: Revision }> {
    checkProject(project);
    checkField("service", serviceNameSchema, name);
    if (options.tag !== undefined) checkNewRevisionTag(options.tag, name);
    const spec = parseServiceSpec(body);
    checkTemplateMappings(this.deps.store, spec.template);
    checkTemplateSecrets(this.deps.store.secrets, project, spec.template);
    // Resolving (maybe pulling) the image takes time: do it before taking the lock, and only when
    // the template looks changed; if it turns out changed only under the lock, resolve and try again.
    let images: PinnedImages | undefined;
    let rev: RevisionRow | undefined;
    for (;;) {
      if (images === undefined && this.needsRevision(project, name, spec, options))
        images = await pinImages(this.deps.runtime, spec.template);
      const outcome = await this.lock.run(scopedKey(project, name), async () => this.applyLocked(project, name, spec, options, images));
      if (outcome.kind === "needs-image") continue;
      rev = outcome.revision;
      break;
    }
    if (!rev) return { service: this.getService(project, name) };
    if (options.async) {
      // The caller follows the revision (GET .../revisions/R?wait=N); failures are recorded on it.
      void this.lifecycle
        .bringUp(rev)
        .catch((error) => this.deps.log.warn("revision start ended", { revision: rev.name, error: (error as Error).message }));
      return { service: this.getService(project, name), revision: this.getRevision(project, rev.name) };
    }
    await this.lifecycle.bringUp(rev);
    return { service: this.getService(project, name), revision: this.getRevision(project, rev.name) };
  }

  /** The state change of a deploy, under the service's lock: the new revision, if the template changed. */
  private applyLocked(
    project: string,
    name: string,
    spec: ServiceSpec,
    options: DeployOptions,
    images: PinnedImages | undefined,
  ): LockedDeploy {
    const { store } = this.deps;
    const existing = store.getService(project, name);
    checkGeneration(project, name, existing, options.expectedGeneration);
    options.precondition?.(existing ? this.view(this.resolve(existing)) : undefined);
    const revisions = existing ? store.listRevisions(project, name) : [];
    const resolved = existing ? resolveService(existing, revisions, this.deps.ingressPort) : undefined;
    const now = new Date().toISOString();
    // A named revision (--revision-suffix, or a template name in `services replace`) that exists
    // already is fine with the same template (nothing to make) and an error with another.
    const requested = options.revisionSuffix !== undefined ? `${name}-${options.revisionSuffix}` : undefined;
    const sameNamed = requested !== undefined ? revisions.find((r) => r.name === requested) : undefined;
    if (requested !== undefined) checkRevisionName(project, requested, sameNamed, spec.template);
    // The traffic may name the revision this call makes.
    const known = requested && !sameNamed ? [...revisions, { name: requested, status: "PENDING" as const }] : revisions;
    if (spec.traffic) validateTraffic(spec.traffic, known, name);
    const base: ServiceRow = existing ?? {
      project,
      name,
      template: spec.template,
      labels: {},
      ingress: "all",
      customAudiences: [],
      description: "",
      defaultUriDisabled: false,
      serviceScaling: NO_SERVICE_SCALING,
      traffic: [],
      generation: 0,
      nextGeneration: 1,
      createTime: options.createTime ?? now,
      updateTime: now,
    };
    const traffic = spec.traffic ? normalizeTraffic(spec.traffic) : base.traffic;
    // The settings that change in place, with or without a new revision (a field left out stays).
    const settings = {
      labels: spec.labels,
      ingress: spec.ingress,
      customAudiences: spec.customAudiences ?? base.customAudiences,
      description: spec.description ?? base.description,
      defaultUriDisabled: spec.defaultUriDisabled ?? base.defaultUriDisabled,
      serviceScaling: spec.serviceScaling ?? base.serviceScaling,
      // The template's own revision name is part of the spec: asked for or, as gcloud clears it, none.
      templateRevision: requested,
      annotations: spec.annotations ?? base.annotations,
    };
    const generation = !existing || specChanged(base, spec) ? base.generation + 1 : base.generation;
    if (sameNamed || !this.needsRevision(project, name, spec, options)) {
      store.transaction(() => {
        store.putService({ ...base, ...settings, traffic, generation, updateTime: now });
        this.setInvokers(project, name, spec);
      });
      this.publish(project, name);
      return { kind: "done" };
    }
    if (images === undefined) return { kind: "needs-image" };
    const revName = requested ?? revisionName(name, base.nextGeneration);
    const newTraffic = appendNewRevision(traffic, revName, {
      noTraffic: options.noTraffic ?? false,
      tag: options.tag,
      latestReadyRevision: resolved?.latestReady?.name,
    });
    const rev = newRevisionRow(base, revName, spec.template, images, "service", now);
    store.transaction(() => {
      store.putService({
        ...base,
        ...settings,
        template: spec.template,
        traffic: newTraffic,
        generation,
        nextGeneration: base.nextGeneration + 1,
        updateTime: now,
      });
      store.insertRevision(rev);
      this.setInvokers(project, name, spec);
    });
    this.publish(project, name);
    return { kind: "done", revision: rev };
  }

  /** The spec's invokers, when it names them, become the service's; its other bindings stay. */
  private setInvokers(project: string, name: string, spec: ServiceSpec): void {
    if (spec.invokers === undefined) return;
    this.deps.store.policies.put(project, "service", name, withInvokers(serviceBindings(this.deps.store, project, name), spec.invokers));
  }

  /** A Revision resource: a candidate made from its own template, with no traffic until a TrafficTarget routes to it. */
  async createCandidate(project: string, service: string, body: unknown): Promise<Revision> {
    const parsed = candidateBodySchema.safeParse(body);
    if (!parsed.success) throw invalidFromViolations(violationsOf(parsed.error));
    const template = parseServiceTemplate(parsed.data.template);
    checkTemplateMappings(this.deps.store, template);
    checkTemplateSecrets(this.deps.store.secrets, project, template);
    const requested = parsed.data.revisionSuffix !== undefined ? `${service}-${parsed.data.revisionSuffix}` : undefined;
    this.requireService(project, service);
    const images = await pinImages(this.deps.runtime, template);
    const rev = await this.lock.run(scopedKey(project, service), async () => {
      const row = this.requireService(project, service);
      if (requested !== undefined) {
        const existing = this.deps.store.getRevision(project, requested);
        checkRevisionName(project, requested, existing, template);
        // The same candidate asked for again (a retried create): it is the one already made.
        if (existing) {
          if (existing.origin === "candidate" && existing.service === service) return undefined;
          throw new SkiffError(
            "ALREADY_EXISTS",
            `revision "${requested}" already exists in project "${project}"; name the candidate differently`,
            [{ field: "revisionSuffix", reason: `revision "${requested}" already exists` }],
          );
        }
      }
      const now = new Date().toISOString();
      const revName = requested ?? revisionName(service, row.nextGeneration);
      const rev = newRevisionRow(row, revName, template, images, "candidate", now);
      this.deps.store.transaction(() => {
        this.deps.store.putService({ ...row, nextGeneration: row.nextGeneration + 1, updateTime: now });
        this.deps.store.insertRevision(rev);
      });
      return rev;
    });
    if (!rev) return this.getRevision(project, requested!);
    await this.lifecycle.bringUp(rev);
    return this.getRevision(project, rev.name);
  }

  /** The id of an image Docker has locally, without pulling it (previews ask what a revision would pin). */
  localImage(image: string | null): Promise<LocalImage> {
    return lookUpLocalImage(this.deps.runtime, image);
  }

  async setTraffic(project: string, service: string, body: unknown): Promise<Service> {
    const traffic = parseSetTrafficBody(body);
    return this.changeTraffic(project, service, (_, revisions) => {
      validateTraffic(traffic, revisions, service);
      return normalizeTraffic(traffic);
    });
  }

  async updateTraffic(project: string, service: string, update: TrafficUpdate): Promise<Service> {
    return this.changeTraffic(project, service, (row, revisions) => applyTrafficUpdate(row.traffic, revisions, update, service));
  }

  private changeTraffic(
    project: string,
    service: string,
    compute: (row: ServiceRow, revisions: RevisionRow[]) => ServiceRow["traffic"],
  ): Promise<Service> {
    return this.lock.run(scopedKey(project, service), async () => {
      const row = this.requireService(project, service);
      const traffic = compute(row, this.deps.store.listRevisions(project, service));
      this.deps.store.putService({ ...row, traffic, updateTime: new Date().toISOString() });
      this.publish(project, service);
      return this.getService(project, service);
    });
  }

  /**
   * Takes the service out of routing and deletes its state (revisions, instance records, domain
   * mappings, logs) at once; its instances drain and stop in the background. A crash before they
   * are gone leaves containers without records, which the next start removes.
   */
  async deleteService(project: string, name: string, precondition?: (current: Service) => void): Promise<void> {
    const revisions = await this.lock.run(scopedKey(project, name), async () => {
      const row = this.requireService(project, name);
      precondition?.(this.view(this.resolve(row)));
      const { store, routes } = this.deps;
      const mappings = store.listDomainMappings(project).filter((m) => m.service === name);
      const revisions = store.listRevisions(project, name);
      routes.setService(project, name, undefined);
      for (const m of mappings) routes.setDomain(m.domain, undefined);
      store.deleteService(project, name);
      for (const rev of revisions) this.lifecycle.notify(project, rev.name);
      return revisions;
    });
    for (const rev of revisions) void this.deps.instances.removeRevision(project, rev.name);
    await this.deps.logs.remove(project, name);
  }

  /**
   * Where a revision's running instances are on the engine's network (their bridge addresses):
   * what `skiff dev --debug-port` forwards a debugger to. Empty where the host does not route there.
   */
  async instanceAddresses(project: string, revision: string): Promise<{ instance: string; address?: string }[]> {
    this.requireRevision(project, revision);
    const rows = this.deps.store.listInstances().filter((i) => i.project === project && i.revision === revision);
    return Promise.all(
      rows.map(async (row) => ({ instance: row.id, address: (await this.deps.runtime.inspect(row.containerId))?.address })),
    );
  }

  /** The revision once it is no longer starting (READY or FAILED), or as it is after `waitMs`. */
  async waitRevision(project: string, name: string, waitMs: number): Promise<Revision> {
    const deadline = Date.now() + Math.min(waitMs, MAX_REVISION_WAIT_MS);
    for (;;) {
      const row = this.requireRevision(project, name);
      if (row.status !== "PENDING" || Date.now() >= deadline) return this.getRevision(project, name);
      await this.lifecycle.waitForChange(project, name, deadline - Date.now());
    }
  }

  /** Throws what deleteRevision would (the latest revision; traffic or a tag), changing nothing: validateOnly asks this. */
  checkRevisionDeletable(project: string, name: string): void {
    const rev = this.requireRevision(project, name);
    const row = this.deps.store.getService(project, rev.service);
    const blocker = row ? revisionDeleteBlocker(this.resolve(row), name) : undefined;
    if (blocker) throw new SkiffError("CONFLICT", blocker);
  }

  async deleteRevision(project: string, name: string): Promise<void> {
    const rev = this.requireRevision(project, name);
    await this.lock.run(scopedKey(project, rev.service), async () => {
      this.checkRevisionDeletable(project, name);
      this.deps.store.deleteRevision(project, name);
      this.lifecycle.notify(project, name);
      this.publish(project, rev.service);
    });
    void this.deps.instances.removeRevision(project, name);
  }

  /** Revisions left PENDING by an engine that stopped while they were starting: they failed. */
  failInterruptedRevisions(): void {
    this.lifecycle.failInterrupted();
  }

  /** Makes the data plane follow the stored state of one service (see RoutePublisher). */
  publish(project: string, name: string): void {
    this.deps.publisher.publish(project, name);
  }

  /** Would this deploy make a revision? A changed template does, and so does a tag (it needs a revision to name). */
  private needsRevision(project: string, name: string, spec: ServiceSpec, options: DeployOptions): boolean {
    if (options.tag !== undefined || options.revisionSuffix !== undefined) return true;
    const latest = this.deps.store.listRevisions(project, name).find((r) => r.origin === "service");
    return !latest || latest.status === "FAILED" || latest.fingerprint !== templateFingerprint(spec.template);
  }

  private view(resolved: ResolvedService): Service {
    const invokers = invokersOf(serviceBindings(this.deps.store, resolved.row.project, resolved.row.name));
    return serviceView(resolved, this.deps.ingressPort, (project, revision) => this.deps.instances.status(project, revision), invokers);
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
    checkField("revision", revisionNameSchema, name);
    const row = this.deps.store.getRevision(project, name);
    if (!row) throw notFound("revision", name, project);
    return row;
  }
}
