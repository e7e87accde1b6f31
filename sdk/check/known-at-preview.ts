import { serviceUrl } from "../../provider/model/derived-names";
import { newRevisionPlaceholder } from "../preview-values/placeholders";
import { UNKNOWN, isUnknown } from "../preview-values/unknowns";

/**
 * Outputs that copy the engine's state but can be known before `pulumi up` runs, which `check`
 * writes beside the inputs. Two things make this worth doing:
 * - Pulumi shows a replace as the old outputs against the new checked inputs, so an output missing
 *   from the inputs reads as removed (`- imageDigest`, `- name`, `- ready`).
 * - A dynamic provider cannot preview an update: during a preview the resource's outputs are its
 *   new checked inputs, so whatever reads an output left out of them sees it unknown and shows a
 *   possible change (a service whose env holds `api.url` whenever api changes at all).
 * The diff tables compare only their own keys, never these, so a value here is never a change;
 * create, update and read overwrite them with what the engine says.
 */
export const knownAtPreview = {
  Service: ["url"],
  "cloudrunv2.Service": ["uri", "urls"],
  Revision: ["name", "imageDigest", "ready"],
  Image: ["ref", "imageDigest"],
} as const;

/** What the provider found out, without starting anything, for the values below. */
export interface PreviewFacts {
  /** The running engine's ingress port. */
  ingressPort?: number;
  /** The ingress port the provider would start the engine with (absent when it may not start one). */
  startPort?: number;
  /** The id Docker has locally for a Revision's image; absent when it would have to be pulled. */
  imageId?: string;
}

const known = (value: unknown): value is string => typeof value === "string" && !isUnknown(value);

/**
 * A service's URL is its project, its name and the engine's ingress port. The port is the running
 * engine's; with none running, the one the state last saw for this same service (the engine that
 * served it may only be stopped), else the one the provider would start the engine with. The URL
 * is written from the first create on, so the inputs in the state always carry it and a later
 * update never shows it appearing.
 */
function urlAtPreview(
  olds: Record<string, unknown>,
  project: unknown,
  name: unknown,
  urlKey: string,
  projectKey: string,
  facts: PreviewFacts,
): string | undefined {
  if (!known(project) || !known(name)) return undefined;
  if (facts.ingressPort !== undefined) return serviceUrl(project, name, facts.ingressPort);
  const sameService = olds.name === name && olds[projectKey] === project;
  if (sameService && known(olds[urlKey])) return olds[urlKey];
  return facts.startPort === undefined ? undefined : serviceUrl(project, name, facts.startPort);
}

/** A Service's `url`. */
export function serviceAtPreview(
  olds: Record<string, unknown>,
  news: { name: string; project: string },
  facts: PreviewFacts,
): { url?: string } {
  const url = urlAtPreview(olds, news.project, news.name, "url", "project", facts);
  return url === undefined ? {} : { url };
}

/** A cloudrunv2.Service's `uri` and `urls` (skiff's project is `skiffProject`). */
export function gcpServiceAtPreview(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  facts: PreviewFacts,
): { uri?: string; urls?: string[] } {
  const uri = urlAtPreview(olds, news.skiffProject, news.name, "uri", "skiffProject", facts);
  return uri === undefined ? {} : { uri, urls: [uri] };
}

/**
 * A Revision's name is known when the program names it (`revisionSuffix`), else it is "new revision
 * of <service>"; `ready` is true for every Revision that exists (a failed one makes its create fail);
 * its digest is the one the engine would pin now, when Docker has the image locally.
 */
export function revisionAtPreview(
  news: { service: unknown; revisionSuffix?: unknown },
  facts: PreviewFacts,
): { name: string; ready: true; imageDigest?: string } {
  const service = news.service;
  const named = news.revisionSuffix !== undefined;
  let name: string;
  if (
    typeof service !== "string" ||
    isUnknown(service) ||
    (named && (typeof news.revisionSuffix !== "string" || isUnknown(news.revisionSuffix)))
  ) {
    name = UNKNOWN; // only during a preview: at `pulumi up` these inputs are known
  } else {
    name = named ? `${service}-${news.revisionSuffix as string}` : newRevisionPlaceholder(service);
  }
  return facts.imageId === undefined ? { name, ready: true } : { name, ready: true, imageDigest: facts.imageId };
}
