import { HTTP1_REQUEST_BODY_LIMIT_BYTES } from "../model/request-limits";
import { revisionsInUse, routingTable, tagTable } from "../model/traffic";
import type { RoutingTable } from "../router/routing-table";
import { WeightedPicker } from "../router/weighted-pick";
import { revisionBounds } from "../scaling/service-allocation";
import type { RevisionRow, Store } from "../state/store";
import type { InstanceController } from "./instance-controller";
import { serviceAccess, serviceBindings } from "./service-access";
import { resolveService } from "./views";

/**
 * Makes the data plane follow the stored state: per service, the routing table's entry (the
 * weighted pick over its traffic, its tags, its timeouts, who may call it) and the revisions the
 * instance controller keeps instances for. Called after every change to a service's traffic,
 * revisions or policy, and for all of them at engine start; effective from the next request.
 */
export class RoutePublisher {
  constructor(private readonly deps: { store: Store; routes: RoutingTable; instances: InstanceController; ingressPort: number }) {}

  /** Every service and domain mapping (engine start). */
  publishAll(): void {
    for (const row of this.deps.store.listServices()) this.publish(row.project, row.name);
    for (const m of this.deps.store.listDomainMappings()) this.deps.routes.setDomain(m.domain, { project: m.project, service: m.service });
  }

  publish(project: string, name: string): void {
    const { store, routes, instances, ingressPort } = this.deps;
    const row = store.getService(project, name);
    if (!row) {
      routes.setService(project, name, undefined);
      instances.serve(project, name, []);
      return;
    }
    const resolved = resolveService(row, store.listRevisions(project, name), ingressPort);
    const picker = new WeightedPicker(routingTable(resolved.statuses));
    const byName = new Map(resolved.revisions.map((r) => [r.name, r]));
    routes.setService(project, name, {
      pick: () => picker.pick(),
      tags: tagTable(resolved.statuses),
      timeoutMs: (revision) => (byName.get(revision)?.template.timeout ?? 300) * 1000,
      // HTTP/2 end to end lifts Cloud Run's request size limit.
      bodyLimitBytes: (revision) => (byName.get(revision)?.template.http2 ? undefined : HTTP1_REQUEST_BODY_LIMIT_BYTES),
      access: serviceAccess(row.ingress, serviceBindings(store, project, name), row.customAudiences),
      defaultUrlDisabled: row.defaultUriDisabled,
      affinity: new Set([...revisionsInUse(resolved.statuses)].filter((n) => byName.get(n)?.template.sessionAffinity === true)),
      inSplit: (revision) => picker.targets.includes(revision),
    });
    const serving = [...revisionsInUse(resolved.statuses)].map((n) => byName.get(n)).filter((r): r is RevisionRow => r?.status === "READY");
    const percents = new Map(routingTable(resolved.statuses).map((w) => [w.revision, w.percent]));
    const bounds = revisionBounds(
      row.serviceScaling,
      serving.map((r) => ({
        revision: r.name,
        percent: percents.get(r.name) ?? 0,
        minInstances: r.template.scaling.minInstanceCount,
        maxInstances: r.template.scaling.maxInstanceCount,
      })),
    );
    instances.serve(project, name, serving, bounds);
  }
}
