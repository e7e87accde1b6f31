import { jobTemplateSchema } from "../../provider/model/job";
import { serviceTemplateSchema } from "../../provider/model/template";
import { resourceNameOf } from "../gcp/iam";
import { translateJob } from "../gcp/job-spec";
import { translateService } from "../gcp/service-spec";
import { isPlaceholder } from "../preview-values/placeholders";
import { UNKNOWN, isUnknown } from "../preview-values/unknowns";
import { validate } from "../preview-values/validate";
import type { Kind, ResourceChange } from "./preview-json";

/**
 * Each of skiff's resources read from its inputs in the engine's terms: what a service's template,
 * traffic and invokers will be, which revision a Revision makes, what a job runs. skiff's own
 * resources hold the engine's model already (check applied the defaults); pulumi-gcp-shaped ones
 * go through the same translation their provider uses (gcp/). Values not known at preview stay
 * Pulumi's unknown marker; secrets stay `[secret]`.
 */

/** A revision template with the engine's defaults; any value may be the unknown marker or `[secret]`. */
export type Template = Record<string, unknown>;

export interface TrafficEntry {
  type: "LATEST" | "REVISION";
  /** A revision name, a "new revision of S" placeholder, or the unknown marker. */
  revision?: string;
  /** Unknown at preview when it comes from an output not known yet. */
  percent?: number;
  tag?: string;
}

export interface ServiceView {
  project: string;
  name: string;
  template: Template;
  /** The name the template gives its revision (cloudrunv2 `template.revision`). */
  revisionName?: string;
  /** The traffic this resource sets; absent: it never sends traffic (skiff.Service). */
  traffic?: TrafficEntry[];
  /** The invokers it sets; absent: it leaves the policy alone. */
  invokers?: string[];
  ingress?: string;
  /** true: its URLs are off (pulumi-gcp's defaultUriDisabled); absent where the resource has no such input. */
  defaultUriDisabled?: unknown;
  /** The service-level scaling (pulumi-gcp's scaling block, normalized); absent where the resource has none. */
  serviceScaling?: unknown;
}

export interface RevisionView {
  project: string;
  service: string;
  template: Template;
  /** Known when the program names it (revisionSuffix); a placeholder or unknown otherwise. */
  name?: string;
  imageDigest?: string;
}

export interface TrafficView {
  project: string;
  service: string;
  traffic: TrafficEntry[];
}

export interface JobView {
  project: string;
  name: string;
  template: Template;
  /** When it runs an execution by itself: on create, on a template change, or when its token changes. */
  execute: "never" | "onCreate" | "onChange" | "token";
  /** Whether `pulumi up` waits for that execution (and fails if it fails). */
  wait: boolean;
  token?: string;
}

export interface DomainMappingView {
  project: string;
  domain: string;
  service: string;
}

/** What an IAM resource does to a service's invokers (roles/run.invoker); other roles do nothing locally. */
export interface InvokerGrantView {
  project: string;
  service: string;
  /** Members it grants roles/run.invoker; a Binding or Policy sets exactly these, a Member adds its one. */
  members: string[];
  exact: boolean;
}

export type View =
  | { kind: "service"; service: ServiceView }
  | { kind: "revision"; revision: RevisionView }
  | { kind: "traffic"; traffic: TrafficView }
  | { kind: "job"; job: JobView }
  | { kind: "domainMapping"; mapping: DomainMappingView }
  | { kind: "invokers"; grant: InvokerGrantView }
  | { kind: "other" };

const text = (value: unknown): string => (typeof value === "string" ? value : UNKNOWN);

/** The schema's defaults filled in, unknowns and secrets left where they are. */
function withDefaults(template: unknown, schema: typeof serviceTemplateSchema | typeof jobTemplateSchema): Template {
  if (isUnknown(template) || template === null || typeof template !== "object") return { image: UNKNOWN };
  return (validate(schema, template).value as Template | undefined) ?? (template as Template);
}

function trafficEntries(list: unknown): TrafficEntry[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((raw) => {
    const e = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
    const entry: TrafficEntry = { type: e.type === "LATEST" || (e.type === undefined && e.revision === undefined) ? "LATEST" : "REVISION" };
    if (e.revision !== undefined) entry.revision = text(e.revision);
    if (typeof e.percent === "number") entry.percent = e.percent;
    else if (e.percent === undefined) entry.percent = 0;
    if (typeof e.tag === "string") entry.tag = e.tag;
    return entry;
  });
}

/** A pulumi-gcp template translated; its secretKeyRef envs are references (secretEnv), never values. */
function gcpTemplate(translated: unknown, schema: typeof serviceTemplateSchema | typeof jobTemplateSchema): Template {
  return withDefaults(translated, schema);
}

function gcpService(inputs: Record<string, unknown>): ServiceView {
  const t = translateService(inputs);
  const spec = t.spec as { template: unknown; ingress: unknown; traffic: unknown; defaultUriDisabled: unknown; serviceScaling: unknown };
  const view: ServiceView = {
    project: text(inputs.skiffProject),
    name: text(inputs.name),
    template: gcpTemplate(spec.template, serviceTemplateSchema),
    traffic: trafficEntries(isUnknown(spec.traffic) ? [] : spec.traffic) ?? [],
    ingress: text(spec.ingress),
    defaultUriDisabled: spec.defaultUriDisabled,
    serviceScaling: spec.serviceScaling,
  };
  if (typeof t.revisionSuffix === "string") view.revisionName = `${view.name}-${t.revisionSuffix}`;
  else if (isUnknown(t.revisionSuffix)) view.revisionName = UNKNOWN;
  return view;
}

function gcpJob(inputs: Record<string, unknown>): JobView {
  const t = translateJob(inputs);
  const run = inputs.runExecutionToken;
  const start = inputs.startExecutionToken;
  const view: JobView = {
    project: text(inputs.skiffProject),
    name: text(inputs.name),
    template: gcpTemplate((t.spec as { template: unknown }).template, jobTemplateSchema),
    execute: run !== undefined || start !== undefined ? "token" : "never",
    wait: run !== undefined,
  };
  if (run !== undefined || start !== undefined) view.token = text(run ?? start);
  return view;
}

/** Members an IAM resource grants roles/run.invoker on a service (policyData as getIAMPolicy writes it). */
function invokerGrant(kind: Kind, inputs: Record<string, unknown>): InvokerGrantView | undefined {
  if (kind === "cloudrunv2:JobIamMember" || typeof inputs.name !== "string") return undefined;
  const base = { project: text(inputs.skiffProject), service: resourceNameOf(inputs.name, "service") };
  if (kind === "cloudrunv2:ServiceIamPolicy") {
    let bindings: { role?: string; members?: string[] }[];
    try {
      bindings = (typeof inputs.policyData === "string" ? JSON.parse(inputs.policyData) : {}).bindings ?? [];
    } catch {
      bindings = [];
    }
    return { ...base, members: bindings.filter((b) => b.role === "roles/run.invoker").flatMap((b) => b.members ?? []), exact: true };
  }
  if (inputs.role !== "roles/run.invoker") return { ...base, members: [], exact: false };
  if (kind === "cloudrunv2:ServiceIamMember") return { ...base, members: [text(inputs.member)], exact: false };
  return { ...base, members: Array.isArray(inputs.members) ? inputs.members.map(text) : [UNKNOWN], exact: true };
}

/** One resource's inputs (before or after) in the engine's terms. */
export function viewOf(kind: Kind, inputs: Record<string, unknown>): View {
  switch (kind) {
    case "Service": {
      const service: ServiceView = {
        project: text(inputs.project),
        name: text(inputs.name),
        template: withDefaults(inputs.template, serviceTemplateSchema),
        ingress: text(inputs.ingress ?? "all"),
      };
      if (Array.isArray(inputs.invokers)) service.invokers = inputs.invokers.map(text);
      // Set only where the program sets them (else the Service leaves them alone).
      if (inputs.defaultUriDisabled !== undefined) service.defaultUriDisabled = inputs.defaultUriDisabled;
      if (inputs.scaling !== undefined) service.serviceScaling = inputs.scaling;
      return { kind: "service", service };
    }
    case "cloudrunv2:Service":
      return { kind: "service", service: gcpService(inputs) };
    case "Revision": {
      const revision: RevisionView = {
        project: text(inputs.project),
        service: text(inputs.service),
        template: withDefaults(inputs.template, serviceTemplateSchema),
      };
      if (typeof inputs.revisionSuffix === "string" && !isUnknown(inputs.revisionSuffix))
        revision.name = `${revision.service}-${inputs.revisionSuffix}`;
      else if (typeof inputs.name === "string" && !isUnknown(inputs.name) && !isPlaceholder(inputs.name)) revision.name = inputs.name;
      if (typeof inputs.imageDigest === "string") revision.imageDigest = inputs.imageDigest;
      return { kind: "revision", revision };
    }
    case "TrafficTarget":
      return {
        kind: "traffic",
        traffic: { project: text(inputs.project), service: text(inputs.service), traffic: trafficEntries(inputs.traffic) ?? [] },
      };
    case "Job": {
      const execute = (["never", "onCreate", "onChange"] as const).find((e) => e === inputs.execute) ?? "never";
      return {
        kind: "job",
        job: {
          project: text(inputs.project),
          name: text(inputs.name),
          template: withDefaults(inputs.template, jobTemplateSchema),
          execute,
          wait: inputs.wait === true,
        },
      };
    }
    case "cloudrunv2:Job":
      return { kind: "job", job: gcpJob(inputs) };
    case "DomainMapping":
      return {
        kind: "domainMapping",
        mapping: { project: text(inputs.project), domain: text(inputs.domain), service: text(inputs.service) },
      };
    case "cloudrun:DomainMapping": {
      const spec = (inputs.spec ?? {}) as Record<string, unknown>;
      return {
        kind: "domainMapping",
        mapping: { project: text(inputs.skiffProject), domain: text(inputs.name), service: text(spec.routeName) },
      };
    }
    default: {
      const grant = invokerGrant(kind, inputs);
      return grant ? { kind: "invokers", grant } : { kind: "other" };
    }
  }
}

/** The views of a change before and after (absent where the resource does not exist). */
export function viewsOf(change: ResourceChange): { before?: View; after?: View } {
  return {
    before: change.op === "create" || !change.oldInputs ? undefined : viewOf(change.kind, change.oldInputs),
    after: change.op === "delete" || !change.newInputs ? undefined : viewOf(change.kind, change.newInputs),
  };
}
