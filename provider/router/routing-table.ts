import type { ServiceAccess } from "../identity/access-gate";
import { scopedKey, type HostTarget } from "../model/derived-names";
import { affinityOf } from "./session-affinity";

/**
 * The data plane's view of the control plane's decisions: per service, a revision picker and the
 * tag → revision map; per domain, the service it maps to. The controller rebuilds an entry after
 * every change, so a traffic change takes effect on the next request.
 */
export interface ServiceRoutes {
  /** The revision for the next request, by the service's percentages. */
  pick(): string | undefined;
  tags: ReadonlyMap<string, string>;
  /** The revision's request timeout, in ms. */
  timeoutMs(revision: string): number;
  /** The largest request body the revision takes (Cloud Run's HTTP/1 limit), undefined for none. */
  bodyLimitBytes?: (revision: string) => number | undefined;
  /** Who may call it (ingress setting and invokers). */
  access: ServiceAccess;
  /**
   * Its own host names (`<service>.localhost`, `<tag>---<service>.localhost`) answer as an unknown
   * host does; its domain mappings still route to it (Cloud Run's defaultUriDisabled).
   */
  defaultUrlDisabled?: boolean;
  /**
   * The revisions with session affinity on that the service's own URL serves (a share of its
   * traffic) or that a tag names; undefined or empty when none has it (then no cookie is read).
   */
  affinity?: ReadonlySet<string>;
  /** Whether the revision has a share of the service URL's traffic (a sticky client may stay on it). */
  inSplit?: (revision: string) => boolean;
}

export type RouteResult =
  | {
      ok: true;
      project: string;
      service: string;
      revision: string;
      timeoutMs: number;
      bodyLimitBytes: number | undefined;
      access: ServiceAccess;
      /** The revision has session affinity on: the response names the instance that answers. */
      affinity: boolean;
      /** The instance the client's affinity cookie names (of `revision`), to try first. */
      stickyInstance: string | undefined;
    }
  | { ok: false; status: number; message: string };

export class RoutingTable {
  private readonly services = new Map<string, ServiceRoutes>();
  private readonly domains = new Map<string, { project: string; service: string }>();

  setService(project: string, service: string, routes: ServiceRoutes | undefined): void {
    const key = scopedKey(project, service);
    if (routes) this.services.set(key, routes);
    else this.services.delete(key);
  }

  setDomain(domain: string, target: { project: string; service: string } | undefined): void {
    if (target) this.domains.set(domain, target);
    else this.domains.delete(domain);
  }

  /** The service a host names (through a tag or a domain mapping), without picking a revision. */
  serviceOf(target: HostTarget | undefined): { project: string; service: string } | undefined {
    if (!target) return undefined;
    const named = target.kind === "domain" ? this.domains.get(target.domain) : target;
    return named && this.services.has(scopedKey(named.project, named.service))
      ? { project: named.project, service: named.service }
      : undefined;
  }

  /** Whether the host is a mapped domain (the DNS answers it for the engine's containers). */
  hasDomain(domain: string): boolean {
    return this.domains.has(domain);
  }

  /** `rawHeaders`: the request's, read for an affinity cookie only when the service has affinity on somewhere. */
  route(target: HostTarget | undefined, host: string | undefined, rawHeaders?: readonly string[]): RouteResult {
    if (!target) return { ok: false, status: 404, message: `no service for host "${host ?? ""}"` };
    let project: string;
    let service: string;
    let tag: string | undefined;
    if (target.kind === "domain") {
      const mapped = this.domains.get(target.domain);
      if (!mapped) return { ok: false, status: 404, message: `no service or domain mapping for host "${target.domain}"` };
      ({ project, service } = mapped);
    } else {
      ({ project, service, tag } = target);
    }
    const routes = this.services.get(scopedKey(project, service));
    if (!routes || (routes.defaultUrlDisabled && target.kind !== "domain"))
      return { ok: false, status: 404, message: `no service "${service}" in project "${project}" (host "${host ?? ""}")` };
    // Affinity outranks the split (Cloud Run's rule): a client whose instance's revision still has a
    // share of this URL's traffic stays on it, and the picker is not advanced for it.
    let stickyInstance: string | undefined;
    let revision: string | undefined;
    if (routes.affinity !== undefined && routes.affinity.size > 0 && rawHeaders) {
      const sticky = affinityOf(rawHeaders);
      if (
        sticky &&
        routes.affinity.has(sticky.revision) &&
        (tag === undefined ? routes.inSplit?.(sticky.revision) === true : routes.tags.get(tag) === sticky.revision)
      ) {
        revision = sticky.revision;
        stickyInstance = sticky.instanceId;
      }
    }
    revision ??= tag === undefined ? routes.pick() : routes.tags.get(tag);
    if (!revision) {
      const message =
        tag === undefined ? `service "${service}" has no ready revision to serve` : `service "${service}" has no tag "${tag}"`;
      return { ok: false, status: tag === undefined ? 503 : 404, message };
    }
    return {
      ok: true,
      project,
      service,
      revision,
      timeoutMs: routes.timeoutMs(revision),
      bodyLimitBytes: routes.bodyLimitBytes?.(revision),
      access: routes.access,
      affinity: routes.affinity?.has(revision) === true,
      stickyInstance,
    };
  }
}
