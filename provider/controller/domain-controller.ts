import { domainUrl } from "../model/derived-names";
import { parseDomainMappingBody, type DomainMapping } from "../model/domain-mapping";
import { checkField, notFound, SkiffError } from "../model/errors";
import { checkProject, domainSchema } from "../model/names";
import type { RoutingTable } from "../router/routing-table";
import type { DomainMappingRow, Store } from "../state/store";

/** Domain mappings: a Host name routed to one service; a domain belongs to one service at a time. */
export class DomainController {
  constructor(
    private readonly store: Store,
    private readonly routes: RoutingTable,
    private readonly ingressPort: number,
  ) {}

  list(project: string): DomainMapping[] {
    checkProject(project);
    return this.store.listDomainMappings(project).map((m) => this.view(m));
  }

  get(project: string, domain: string): DomainMapping {
    return this.view(this.require(project, domain));
  }

  create(project: string, body: unknown): DomainMapping {
    checkProject(project);
    const { domain, service, forceOverride } = parseDomainMappingBody(body);
    if (!this.store.getService(project, service)) throw notFound("service", service, project);
    const owner = this.store.getDomainMapping(domain);
    // As on Cloud Run: a project's mapping of the domain is a resource of that name, so a second one
    // there conflicts whatever the flags; another project's gives way only to forceOverride.
    if (owner && (owner.project === project || forceOverride !== true)) {
      const way =
        owner.project === project
          ? "delete that mapping first"
          : "delete that mapping first, or map it with --force-override (spec.forceOverride) to take it over";
      const reason = `"${domain}" is already mapped to service "${owner.service}" in project "${owner.project}"; ${way}`;
      throw new SkiffError("CONFLICT", `domain ${reason}`, [{ field: "domain", reason }]);
    }
    const row: DomainMappingRow = { domain, project, service, createTime: new Date().toISOString() };
    if (owner) this.store.replaceDomainMapping(row);
    else this.store.insertDomainMapping(row);
    this.routes.setDomain(domain, { project, service });
    return this.view(row);
  }

  delete(project: string, domain: string): void {
    this.require(project, domain);
    this.store.deleteDomainMapping(domain);
    this.routes.setDomain(domain, undefined);
  }

  private require(project: string, domain: string): DomainMappingRow {
    checkProject(project);
    checkField("domain", domainSchema, domain);
    const row = this.store.getDomainMapping(domain);
    if (!row || row.project !== project) throw notFound("domain mapping", domain, project);
    return row;
  }

  private view(m: DomainMappingRow): DomainMapping {
    return {
      domain: m.domain,
      project: m.project,
      service: m.service,
      url: domainUrl(m.domain, this.ingressPort),
      status: "READY",
      createTime: m.createTime,
    };
  }
}
