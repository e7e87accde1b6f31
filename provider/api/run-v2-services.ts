import { applyUpdateMask } from "../cloudrun-v2/update-mask";
import { aborted } from "../cloudrun-v2/rpc-status";
import { lastSegment, requireCreatableLocation, shownScope, unlessWildcard, type Scope } from "../cloudrun-v2/resource-names";
import { timeKey } from "../cloudrun-v2/paging";
import { v1OnlyLabels } from "../cloudrun-v2/system-keys";
import { serviceSpecFromV2, serviceWirePath, withWirePaths, type ServiceRequest } from "../cloudrun-v2/service-from-v2";
import { revisionEtag, revisionToV2, serviceEtag, serviceToV2 } from "../cloudrun-v2/service-to-v2";
import type { JobController } from "../controller/job-controller";
import type { PolicyController } from "../controller/policy-controller";
import type { ServiceController } from "../controller/service-controller";
import { checkField, invalid, renameViolations, SkiffError } from "../model/errors";
import { serviceNameSchema } from "../model/names";
import type { Revision } from "../model/revision";
import type { Service } from "../model/service";
import { normalizeTraffic, validateTraffic } from "../model/traffic";
import { answer, boolParam, encodeOptions, googleRoute, pageOf, readMessage } from "./google-http";
import { operationToWire, type Operations } from "./operations";
import type { RequestContext, Route } from "./server";

export interface RunV2Deps {
  services: ServiceController;
  jobs: JobController;
  policies: PolicyController;
  operations: Operations;
  /** The engine's region: what `locations/-` shows. */
  region: string;
  /** `http://127.0.0.1:<admin port>`: resources' logUri point at the admin API's log paths. */
  apiBase: () => string;
}

type Wire = Record<string, unknown>;

const S = "/v2/projects/{project}/locations/{location}/services";
/** How long an operation waits for a deploy's revision to be ready or fail (a slow pull included). */
const REVISION_WAIT_MS = 10 * 60_000;

export function scopeOf(params: Record<string, string>): Scope {
  return { project: params.project, location: params.location };
}

/**
 * The Cloud Run Admin API v2's services and revisions (docs/API.md): each change answers with an
 * Operation (operations.ts) after what can be checked at once is checked (the request's fields,
 * its traffic, existence, the etag), so a bad request fails as the call itself, as in Cloud Run.
 */
export function runV2ServiceRoutes(d: RunV2Deps): Route[] {
  const { services, operations } = d;

  const view = (s: Service, scope: Scope): Wire => {
    const latest =
      s.latestCreatedRevision && s.latestCreatedRevision !== s.latestReadyRevision
        ? services.getRevision(s.project, s.latestCreatedRevision)
        : undefined;
    return serviceToV2(s, scope, { latestCreated: latest, etag: serviceEtag(s) });
  };
  const revisionView = (r: Revision, scope: Scope): Wire =>
    revisionToV2(r, scope, {
      etag: revisionEtag(r),
      logUri: `${d.apiBase()}/v1/projects/${r.project}/services/${r.service}/logs?revision=${r.name}`,
    });
  const find = (project: string, name: string): Service | undefined => {
    try {
      return services.getService(project, name);
    } catch (error) {
      if (error instanceof SkiffError && error.code === "NOT_FOUND") return undefined;
      throw error;
    }
  };
  const checkEtag = (given: unknown, current: Service, field: string) => {
    if (typeof given === "string" && given !== "" && given !== serviceEtag(current))
      throw aborted(
        field,
        `the service changed since it was read (etag ${given} is stale, it is now ${serviceEtag(current)}); read it again and retry`,
      );
  };

  /** A deploy behind an Operation: the change, then the wait for its revision. */
  const deploy = (
    scope: Scope,
    name: string,
    request: ServiceRequest,
    preview: Wire,
    options: { create: boolean; etag?: string; createTime?: string },
  ) =>
    operations.start(scope, "Service", preview, async (progress) => {
      const { project } = scope;
      const answered = await services
        .apply(project, name, request.spec, {
          revisionSuffix: request.revisionSuffix,
          async: true,
          expectedGeneration: options.create ? 0 : undefined,
          createTime: options.createTime,
          precondition: (current) => current && checkEtag(options.etag, current, "service.etag"),
        })
        .catch((error: unknown) => {
          if (options.create && error instanceof SkiffError && error.violations.some((v) => v.field === "expectedGeneration"))
            throw new SkiffError("ALREADY_EXISTS", `service "${name}" already exists in project "${project}"`);
          throw renameViolations(error, (field) => serviceWirePath("service", field));
        });
      progress(view(answered.service, scope));
      if (answered.revision) {
        let revision = answered.revision;
        const deadline = Date.now() + REVISION_WAIT_MS;
        while (revision.status === "PENDING" && Date.now() < deadline)
          revision = await services.waitRevision(project, revision.name, deadline - Date.now());
        if (revision.status === "FAILED") throw new SkiffError("FAILED_PRECONDITION", revision.error ?? `revision ${revision.name} failed`);
      }
      return view(services.getService(project, name), scope);
    });

  /** Traffic is checked before the Operation starts, so a split that cannot work fails the call itself. */
  const checkTraffic = (project: string, name: string, request: ServiceRequest, exists: boolean) => {
    if (!request.spec.traffic) return;
    const revisions = exists ? services.listRevisions(project, name).map((r) => ({ name: r.name, status: r.status })) : [];
    if (request.revisionSuffix) revisions.push({ name: `${name}-${request.revisionSuffix}`, status: "PENDING" });
    withWirePaths(() => validateTraffic(request.spec.traffic!, revisions, name), "service");
  };

  const create = (ctx: RequestContext, scope: Scope, name: string, wire: Wire, nameField: string) => {
    requireCreatableLocation(scope, nameField);
    if (find(scope.project, name)) throw new SkiffError("ALREADY_EXISTS", `service "${name}" already exists in project "${scope.project}"`);
    const request = serviceSpecFromV2(wire, { name, root: "service" });
    checkTraffic(scope.project, name, request, false);
    // A revision name that cannot be one fails the call itself (and a validateOnly request), not its Operation.
    withWirePaths(() => services.checkRevisionName(scope.project, name, request.spec, request.revisionSuffix), "service");
    const preview = previewOf(scope.project, name, request);
    const op = boolParam(ctx.query, "validateOnly")
      ? operations.finished(scope, "Service", view(preview, scope))
      : deploy(scope, name, request, view(preview, scope), { create: true, createTime: preview.createTime });
    return operationToWire(op, encodeOptions(ctx.query));
  };

  return [
    googleRoute("GET", S, ({ params, query }) => {
      const scope = scopeOf(params);
      const list = services.listServices(scope.project);
      const page = pageOf(list, (s) => s.name, "asc", query);
      const shown = shownScope(scope, d.region);
      return { services: page.items.map((s) => answer("Service", view(s, shown), query)), nextPageToken: page.nextPageToken };
    }),
    googleRoute("POST", S, (ctx) => {
      const name = ctx.query.get("serviceId") ?? "";
      if (name === "") throw invalid("serviceId", "is required: the new service's name");
      checkField("serviceId", serviceNameSchema, name);
      return create(ctx, scopeOf(ctx.params), name, readMessage("Service", ctx.body, "service"), "parent");
    }),
    googleRoute("GET", `${S}/{service}`, ({ params, query }) =>
      answer("Service", view(services.getService(params.project, params.service), scopeOf(params)), query),
    ),
    googleRoute("PATCH", `${S}/{service}`, (ctx) => {
      const { params, query } = ctx;
      const scope = scopeOf(params);
      const name = params.service;
      const wire = readMessage("Service", ctx.body, "service");
      if (wire.name !== undefined && lastSegment(wire.name as string) !== name)
        throw invalid("service.name", `names service "${lastSegment(wire.name as string)}" but the path names "${name}"`);
      const current = find(scope.project, name);
      if (!current) {
        if (!boolParam(query, "allowMissing")) services.getService(scope.project, name); // NOT_FOUND, as Cloud Run answers
        return create(ctx, scope, name, wire, "service.name");
      }
      checkEtag(wire.etag, current, "service.etag");
      const merged = applyUpdateMask("Service", view(current, scope), wire, query.get("updateMask"));
      const request = serviceSpecFromV2(merged, { name, root: "service", currentInvokers: current.invokers });
      // Labels only v1 carries (Knative-style keys) are not shown to v2 clients, so they are kept as they are.
      request.spec.labels = { ...v1OnlyLabels(current.labels), ...request.spec.labels };
      // A service that follows its latest revision reads back as [LATEST 100%]; sent back, it changes nothing.
      if (current.traffic.length === 0 && isLatestOnly(request.spec.traffic)) delete request.spec.traffic;
      checkTraffic(scope.project, name, request, true);
      // A revision name taken by another template fails the call itself, as Cloud Run's does, not its Operation.
      withWirePaths(() => services.checkRevisionName(scope.project, name, request.spec, request.revisionSuffix), "service");
      const preview = view(previewOf(scope.project, name, request, current), scope);
      const op = boolParam(query, "validateOnly")
        ? operations.finished(scope, "Service", preview)
        : deploy(scope, name, request, view(current, scope), { create: false, etag: wire.etag as string | undefined });
      return operationToWire(op, encodeOptions(query));
    }),
    googleRoute("DELETE", `${S}/{service}`, async ({ params, query }) => {
      const scope = scopeOf(params);
      const current = services.getService(params.project, params.service);
      const etag = query.get("etag") ?? undefined;
      checkEtag(etag, current, "etag");
      const last = view(current, scope);
      if (!boolParam(query, "validateOnly"))
        await services.deleteService(params.project, params.service, (now) => checkEtag(etag, now, "etag"));
      return operationToWire(operations.finished(scope, "Service", last), encodeOptions(query));
    }),

    googleRoute("GET", `${S}/{service}/revisions`, ({ params, query }) => {
      // `services/-/revisions`: the revisions of every service, newest first as one list.
      const list = services.listRevisions(params.project, unlessWildcard(params.service));
      const page = pageOf(list, (r) => timeKey(r.createTime, r.name), "desc", query);
      const shown = shownScope(scopeOf(params), d.region);
      return { revisions: page.items.map((r) => answer("Revision", revisionView(r, shown), query)), nextPageToken: page.nextPageToken };
    }),
    googleRoute("GET", `${S}/{service}/revisions/{revision}`, ({ params, query }) =>
      answer("Revision", revisionView(revisionOf(services, params), scopeOf(params)), query),
    ),
    googleRoute("DELETE", `${S}/{service}/revisions/{revision}`, async ({ params, query }) => {
      const scope = scopeOf(params);
      const revision = revisionOf(services, params);
      const etag = query.get("etag");
      if (etag && etag !== revisionEtag(revision))
        throw aborted("etag", `the revision changed since it was read (etag ${etag} is stale); read it again and retry`);
      if (boolParam(query, "validateOnly")) services.checkRevisionDeletable(params.project, revision.name);
      else await services.deleteRevision(params.project, revision.name);
      return operationToWire(operations.finished(scope, "Revision", revisionView(revision, scope)), encodeOptions(query));
    }),
  ];
}

/** The revision the path names, when it belongs to the service the path names. */
function revisionOf(services: ServiceController, params: Record<string, string>): Revision {
  const revision = services.getRevision(params.project, params.revision);
  if (revision.service !== params.service)
    throw new SkiffError("NOT_FOUND", `revision "${params.revision}" is not a revision of service "${params.service}"`);
  return revision;
}

function isLatestOnly(traffic: readonly { type?: string; revision?: string; percent: number; tag?: string }[] | undefined): boolean {
  return traffic?.length === 1 && traffic[0].type === "LATEST" && traffic[0].percent === 100 && !traffic[0].tag && !traffic[0].revision;
}

/** The service as a request would make it: the metadata of its Operation, or a validateOnly answer. */
function previewOf(project: string, name: string, request: ServiceRequest, current?: Service): Service {
  const now = new Date().toISOString();
  const { spec } = request;
  return {
    name,
    project,
    template: spec.template,
    labels: spec.labels,
    ingress: spec.ingress,
    invokers: spec.invokers ?? current?.invokers ?? [],
    customAudiences: spec.customAudiences ?? current?.customAudiences ?? [],
    description: spec.description ?? current?.description,
    defaultUriDisabled: spec.defaultUriDisabled ?? current?.defaultUriDisabled,
    serviceScaling: spec.serviceScaling ?? current?.serviceScaling,
    ...(request.revisionSuffix ? { templateRevision: `${name}-${request.revisionSuffix}` } : {}),
    annotations: spec.annotations ?? current?.annotations,
    traffic: spec.traffic ? normalizeTraffic(spec.traffic) : (current?.traffic ?? []),
    trafficStatuses: current?.trafficStatuses ?? [],
    url: current?.url ?? "",
    latestCreatedRevision: current?.latestCreatedRevision,
    latestReadyRevision: current?.latestReadyRevision,
    // A service being created is at generation 1 once made, as its Operation's metadata says.
    generation: current?.generation ?? 1,
    scaling: [],
    createTime: current?.createTime ?? now,
    updateTime: now,
  };
}
