import type { ServiceController } from "../controller/service-controller";
import { configurationToKnative, routeToKnative } from "../knative/routing-objects";
import { revisionToKnative, serviceToKnative, type KnativeObject } from "../knative/objects";
import { planReplace, type ReplaceWording } from "../knative/service-from-knative";
import { invalid, renameViolations, SkiffError } from "../model/errors";
import type { Service } from "../model/service";
import { googleRoute } from "./google-http";
import { deletedStatus, knativeList, warnIgnored } from "./knative-v1-common";
import type { RequestContext, Route } from "./server";

const SERVING = "serving.knative.dev/v1";
const N = `/apis/${SERVING}/namespaces/{namespace}`;
const PROJECT_WIDE = "/v1/projects/{namespace}/locations/{location}";

/** The object names its namespace; the path names one too. */
export const API_WORDING: ReplaceWording = {
  document: "body",
  namespaceConflict: (namespace, project) =>
    `the object is for namespace "${namespace}" but the path names namespace "${project}"; make them the same, or leave the namespace out`,
};

/**
 * gcloud's `run` v1 API for serving: services (get, list, create, replace, delete), revisions
 * (get, list, delete), routes and configurations (get, list). The namespace is the project. Every
 * object is the one the CLI's `--format json|export` prints (knative/objects.ts): a GET of a
 * service is what `skiff services describe --format json` prints, and a PUT of it, edited, is
 * `skiff services replace`.
 */
export function knativeServingRoutes(services: ServiceController): Route[] {
  /** The Service object, with the Ready condition of a newest revision that is starting or failed. */
  const latestOf = (s: Service) =>
    s.latestCreatedRevision && s.latestCreatedRevision !== s.latestReadyRevision
      ? services.getRevision(s.project, s.latestCreatedRevision)
      : undefined;
  const serviceObject = (s: Service) => serviceToKnative(s, latestOf(s));

  const apply = async ({ params, body, res }: RequestContext, create: boolean): Promise<KnativeObject> => {
    const namespace = params.namespace;
    const plan = planReplace(body, namespace, API_WORDING);
    if (params.name !== undefined && plan.name !== params.name)
      throw invalid("metadata.name", `names service "${plan.name}" but the path names "${params.name}"`);
    const answered = await services
      .apply(namespace, plan.name, plan.spec, { revisionSuffix: plan.revisionSuffix, expectedGeneration: create ? 0 : undefined })
      .catch((error: unknown) => {
        if (create && error instanceof SkiffError && error.violations.some((v) => v.field === "expectedGeneration"))
          throw new SkiffError("ALREADY_EXISTS", `service "${plan.name}" already exists in namespace "${namespace}"`);
        throw renameViolations(error, plan.pathOf);
      });
    warnIgnored(res, plan.ignored);
    return serviceToKnative(answered.service, answered.revision);
  };

  return [
    googleRoute("GET", `${N}/services`, ({ params, query }) =>
      knativeList(SERVING, "Service", services.listServices(params.namespace).map(serviceObject), query),
    ),
    // gcloud's project-wide endpoint (`services list` with no region: location "-"); every
    // location is the engine's one.
    googleRoute("GET", `${PROJECT_WIDE}/services`, ({ params, query }) =>
      knativeList(SERVING, "Service", services.listServices(params.namespace).map(serviceObject), query),
    ),
    googleRoute("GET", `${PROJECT_WIDE}/services/{name}`, ({ params }) =>
      serviceObject(services.getService(params.namespace, params.name)),
    ),
    googleRoute("POST", `${N}/services`, (ctx) => apply(ctx, true)),
    googleRoute("GET", `${N}/services/{name}`, ({ params }) => serviceObject(services.getService(params.namespace, params.name))),
    googleRoute("PUT", `${N}/services/{name}`, (ctx) => apply(ctx, false)),
    googleRoute("DELETE", `${N}/services/{name}`, async ({ params }) => {
      await services.deleteService(params.namespace, params.name);
      return deletedStatus("services", params.name);
    }),

    googleRoute("GET", `${N}/revisions`, ({ params, query }) =>
      knativeList(SERVING, "Revision", services.listRevisions(params.namespace).map(revisionToKnative), query),
    ),
    googleRoute("GET", `${N}/revisions/{name}`, ({ params }) => revisionToKnative(services.getRevision(params.namespace, params.name))),
    googleRoute("DELETE", `${N}/revisions/{name}`, async ({ params }) => {
      await services.deleteRevision(params.namespace, params.name);
      return deletedStatus("revisions", params.name);
    }),

    googleRoute("GET", `${N}/routes`, ({ params, query }) =>
      knativeList(
        SERVING,
        "Route",
        services.listServices(params.namespace).map((s) => routeToKnative(s, latestOf(s))),
        query,
      ),
    ),
    googleRoute("GET", `${N}/routes/{name}`, ({ params }) => {
      const s = services.getService(params.namespace, params.name);
      return routeToKnative(s, latestOf(s));
    }),
    googleRoute("GET", `${N}/configurations`, ({ params, query }) =>
      knativeList(
        SERVING,
        "Configuration",
        services.listServices(params.namespace).map((s) => configurationToKnative(s, latestOf(s))),
        query,
      ),
    ),
    googleRoute("GET", `${N}/configurations/{name}`, ({ params }) => {
      const s = services.getService(params.namespace, params.name);
      return configurationToKnative(s, latestOf(s));
    }),
  ];
}
