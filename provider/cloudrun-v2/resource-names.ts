import { invalid } from "../model/errors";

/**
 * Cloud Run v2 resource names, built in one place: `projects/P/locations/L/services/S` and its
 * children. P is the skiff project; L, the location, is whatever the request named (skiff has no
 * regions: every location of a project holds the same resources) and is shown back as given.
 */

export interface Scope {
  project: string;
  location: string;
}

export function parentName({ project, location }: Scope): string {
  return `projects/${project}/locations/${location}`;
}

export const serviceResourceName = (scope: Scope, service: string) => `${parentName(scope)}/services/${service}`;
export const revisionResourceName = (scope: Scope, service: string, revision: string) =>
  `${serviceResourceName(scope, service)}/revisions/${revision}`;
export const jobResourceName = (scope: Scope, job: string) => `${parentName(scope)}/jobs/${job}`;
export const executionResourceName = (scope: Scope, job: string, execution: string) =>
  `${jobResourceName(scope, job)}/executions/${execution}`;
export const taskResourceName = (scope: Scope, job: string, execution: string, task: string) =>
  `${executionResourceName(scope, job, execution)}/tasks/${task}`;
export const operationResourceName = (scope: Scope, id: string) => `${parentName(scope)}/operations/${id}`;

/** `-` in place of a name in a list's parent: every one (`services/-/revisions`, `jobs/-/executions`). */
export const WILDCARD = "-";

/** The name a list's parent names, or undefined for the wildcard (list across all of them). */
export function unlessWildcard(name: string): string | undefined {
  return name === WILDCARD ? undefined : name;
}

/**
 * Where something is created: a location, never `locations/-`, which only lists (Cloud Run refuses
 * it too); created there, its name would hold the wildcard and name no location.
 */
export function requireCreatableLocation(scope: Scope, field: string): void {
  if (scope.location === WILDCARD)
    throw invalid(field, `names location "-", which lists every location; create in a location such as us-central1`);
}

/** `locations/-` lists every location; resources listed that way show the engine's own region. */
export function shownScope(scope: Scope, region: string): Scope {
  return scope.location === "-" ? { ...scope, location: region } : scope;
}

/** The last segment of a resource name: `hello` of `projects/p/locations/l/services/hello`. */
export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}
