import { checkProject } from "../model/names";
import { notFound } from "../model/errors";
import { googleRoute, pageOf } from "./google-http";
import type { Route } from "./server";

const L = "/v1/projects/{project}/locations";

/**
 * google.cloud.location.Locations at the path Cloud Run serves it on, what every Cloud Run
 * client's listLocations/getLocation calls (`gcloud run regions list` too). skiff has no regions:
 * the list holds the engine's region, and a Get of any location answers it, since every location
 * of a project holds the same resources (docs/API.md). `-` is no location: it only lists.
 */
export function runLocationRoutes(region: string): Route[] {
  const location = (project: string, id: string) => ({
    name: `projects/${project}/locations/${id}`,
    locationId: id,
    displayName: id,
    labels: { "cloud.googleapis.com/region": id },
  });
  return [
    googleRoute("GET", L, ({ params, query }) => {
      checkProject(params.project);
      const page = pageOf([location(params.project, region)], (l) => l.locationId, "asc", query);
      return { locations: page.items, nextPageToken: page.nextPageToken };
    }),
    googleRoute("GET", `${L}/{location}`, ({ params }) => {
      checkProject(params.project);
      if (params.location === "-") throw notFound("location", "-", params.project, "it lists every location and names none");
      return location(params.project, params.location);
    }),
  ];
}
