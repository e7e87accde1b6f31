import type { KnativeObject } from "../knative/objects";

/**
 * gcloud hands its printers a wrapper around each Knative object (api_lib/run/k8s_object.py,
 * service.py, revision.py, domain_mapping.py), and the column formats (`value(...)`, `csv(...)`,
 * `table(...)`) and `--sort-by` read the wrapper's attributes as well as the object's keys:
 * `revisions list --format 'value(name,service_name,active)'` and `--sort-by ~creation_timestamp`
 * work there. `--format json|yaml` and `--filter` see the object alone (MakeSerializable).
 *
 * `withGcloudAttributes` puts those attributes on the object as non-enumerable getters: the column
 * formats and `--sort-by` find them (they read own keys), JSON and YAML output do not show them,
 * and the filter reads a plain copy. An attribute gcloud cannot compute (no region label here) is
 * left out, as gcloud's projection leaves out one that raises.
 */

/**
 * The list commands' own gcloud formats (surface/run/services/list.py, revisions/list.py,
 * domain_mappings/list.py; color() and firstof() left out), whose keys lend their labels and
 * transforms to a `--format` projection (formats.ts, withCommandDefaults).
 */
export const SERVICES_LIST_FORMAT =
  'table(ready_symbol:label="",region:label=REGION,domain:label=URL,last_modifier:label="LAST DEPLOYED BY",last_transition_time:label="LAST DEPLOYED AT")';
export const REVISIONS_LIST_FORMAT =
  'table(ready_symbol:label="",name:label=REVISION,active.yesno(yes="yes",no=""),service_name:label=SERVICE,creation_timestamp.date("%Y-%m-%d %H:%M:%S %Z"):label=DEPLOYED,author:label="DEPLOYED BY")';
export const DOMAIN_MAPPINGS_LIST_FORMAT =
  'table(ready_symbol:label="",metadata.name:label=DOMAIN,route_name:label=SERVICE,region:label=REGION)';

type Kind = "Service" | "Revision" | "DomainMapping";
type Attribute = (o: Obj) => unknown;
type Obj = Record<string, any>;

const AUTHOR_ANNOTATION = "serving.knative.dev/creator";
const REGION_LABEL = "cloud.googleapis.com/location";

function condition(o: Obj, type: string): Obj | undefined {
  return (o.status?.conditions as Obj[] | undefined)?.find((c) => c.type === type);
}

/** A condition's status as gcloud's Conditions hold it: True, False, or None for Unknown. */
function conditionStatus(o: Obj, type: string): boolean | undefined {
  const status = condition(o, type)?.status;
  return status === "True" ? true : status === "False" ? false : undefined;
}

/** k8s_object.ReadySymbolAndColor, with the Service's '!' for "serving, but not the newest revision". */
function readySymbol(o: Obj, kind: Kind): string {
  const ready = conditionStatus(o, "Ready");
  const latestReady = o.status?.latestReadyRevisionName;
  if (kind === "Service" && ready === false && latestReady && o.status?.latestCreatedRevisionName !== latestReady) return "!";
  return ready === undefined ? "…" : ready ? "✔" : "X";
}

/** container_resource.container: the only container, else the one with a port (the ingress). */
function ingressContainer(spec: Obj | undefined): Obj | undefined {
  const containers = (spec?.containers ?? []) as Obj[];
  return containers.length === 1 ? containers[0] : containers.find((c) => Array.isArray(c.ports) && c.ports.length > 0);
}

const COMMON: Record<string, Attribute> = {
  name: (o) => o.metadata?.name,
  namespace: (o) => o.metadata?.namespace,
  creation_timestamp: (o) => o.metadata?.creationTimestamp,
  generation: (o) => o.metadata?.generation,
  uid: (o) => o.metadata?.uid,
  labels: (o) => o.metadata?.labels ?? {},
  annotations: (o) => o.metadata?.annotations ?? {},
  author: (o) => o.metadata?.annotations?.[AUTHOR_ANNOTATION],
  region: (o) => o.metadata?.labels?.[REGION_LABEL],
  ready: (o) => conditionStatus(o, "Ready"),
  last_transition_time: (o) => condition(o, "Ready")?.lastTransitionTime,
};

const BY_KIND: Record<Kind, Record<string, Attribute>> = {
  Service: {
    latest_created_revision: (o) => o.status?.latestCreatedRevisionName,
    latest_ready_revision: (o) => o.status?.latestReadyRevisionName,
    serving_revisions: (o) => ((o.status?.traffic ?? []) as Obj[]).filter((t) => t.percent).map((t) => t.revisionName),
    // service.urls is the run.googleapis.com/urls annotation; domain its first, else status.url.
    urls: (o) => {
      const urls = o.metadata?.annotations?.["run.googleapis.com/urls"];
      return typeof urls === "string" ? JSON.parse(urls) : [];
    },
    domain: (o) => {
      const urls = o.metadata?.annotations?.["run.googleapis.com/urls"];
      return (typeof urls === "string" ? (JSON.parse(urls) as string[])[0] : undefined) ?? o.status?.url;
    },
    last_modifier: (o) => o.metadata?.annotations?.["serving.knative.dev/lastModifier"],
    description: (o) => o.metadata?.annotations?.["run.googleapis.com/description"],
    revision_name: (o) => o.spec?.template?.metadata?.name,
    image: (o) => ingressContainer(o.spec?.template?.spec)?.image,
  },
  Revision: {
    service_name: (o) => o.metadata?.labels?.["serving.knative.dev/service"] ?? null,
    active: (o) => conditionStatus(o, "Active"),
    image: (o) => ingressContainer(o.spec)?.image,
    image_digest: (o) => o.status?.imageDigest,
    concurrency: (o) => o.spec?.containerConcurrency,
    timeout: (o) => o.spec?.timeoutSeconds,
    service_account: (o) => o.spec?.serviceAccountName,
  },
  DomainMapping: {
    route_name: (o) => o.spec?.routeName,
    force_override: (o) => o.spec?.forceOverride ?? false,
    records: (o) => o.status?.resourceRecords,
  },
};

/** The object with gcloud's wrapper attributes of its kind as non-enumerable getters (the object itself, changed). */
export function withGcloudAttributes<T extends KnativeObject>(object: T): T {
  const kind = object.kind as Kind;
  const attributes = { ...COMMON, ...(BY_KIND[kind] ?? {}), ready_symbol: (o: Obj) => readySymbol(o, kind) };
  for (const [name, compute] of Object.entries(attributes)) {
    if (Object.prototype.hasOwnProperty.call(object, name)) continue;
    const value = compute(object as Obj);
    if (value === undefined) continue;
    Object.defineProperty(object, name, { value, enumerable: false, configurable: true });
  }
  return object;
}

/** The object as --filter and --format json see it: its own keys, without the wrapper's attributes. */
export function plainObject(object: unknown): unknown {
  return object === undefined ? undefined : JSON.parse(JSON.stringify(object));
}
