import type { DomainController } from "../controller/domain-controller";
import { googleSurface } from "./google-http";
import { knativeRunRoutes } from "./knative-v1-run";
import { knativeServingRoutes } from "./knative-v1-serving";
import { runLocationRoutes } from "./run-locations";
import { runV2IamRoutes } from "./run-v2-iam";
import { runV2JobRoutes } from "./run-v2-jobs";
import { runV2OperationRoutes } from "./run-v2-operations";
import { runV2ServiceRoutes, type RunV2Deps } from "./run-v2-services";
import type { ApiSurface, Route } from "./server";

/**
 * Google's Cloud Run APIs, served on the admin port beside skiff's own (docs/API.md): the Admin
 * API v2 under /v2/ and the Knative-shaped v1 API gcloud uses under /apis/, with the few v1 methods
 * gcloud calls on its project-wide endpoint under /v1/projects/{p}/locations/ and the locations
 * list at /v1/projects/{p}/locations (skiff's own API has no locations in its paths). They act on the same resources as the CLI and the SDK, through the
 * same controllers.
 */
export const CLOUD_RUN_API_PREFIXES: readonly (string | RegExp)[] = ["/v2/", "/apis/", /^\/v1\/projects\/[^/]+\/locations(?:\/|$)/];

export function cloudRunApiRoutes(d: RunV2Deps & { domains: DomainController }): Route[] {
  return [
    ...runV2ServiceRoutes(d),
    ...runV2JobRoutes(d),
    ...runV2IamRoutes(d.policies),
    ...runV2IamRoutes(d.policies, "v1"),
    ...runV2OperationRoutes(d.operations),
    ...runLocationRoutes(d.region),
    ...knativeServingRoutes(d.services),
    ...knativeRunRoutes(d.jobs, d.domains),
  ];
}

/** The surface the admin server serves them on; `routes` may be filled once the controllers exist. */
export function cloudRunApiSurface(routes: Route[], allowAnyToken: boolean): ApiSurface {
  return googleSurface(CLOUD_RUN_API_PREFIXES, routes, allowAnyToken);
}
