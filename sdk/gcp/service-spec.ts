import { z } from "zod";
import { customAudiencesSchema } from "../../provider/model/custom-audiences";
import {
  NO_SERVICE_SCALING,
  normalizeServiceScaling,
  serviceScalingSchema,
  type ServiceScaling,
} from "../../provider/model/service-scaling";
import { labelsSchema } from "../../provider/model/labels";
import { projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { serviceDescriptionSchema, type Ingress } from "../../provider/model/service";
import { RESERVED_ENV, serviceTemplateSchema } from "../../provider/model/template";
import { UNKNOWN, isUnknown } from "../preview-values/unknowns";
import { validate, type CheckFailure } from "../preview-values/validate";
import { translateContainers } from "./container";
import { durationSeconds } from "./duration";
import { reportFields, serviceRules } from "./field-rules";
import { PathMap, Problems } from "./paths";
import { trafficFailures, translateTraffics } from "./traffic";
import { translateVolumes } from "./volumes";

/**
 * A cloudrunv2.Service's arguments (pulumi-gcp's shape) as the engine's service spec, with every
 * failure at the path the user wrote. Values unknown at preview stay unknown and are not judged.
 */
export interface ServiceTranslation {
  /** The engine's spec: template, labels, ingress, traffic, custom audiences, description, default URL switch, the service's scaling (the unknown marker where not known yet). */
  spec: {
    template: unknown;
    labels: unknown;
    ingress: unknown;
    traffic: unknown;
    customAudiences: unknown;
    description: unknown;
    defaultUriDisabled: unknown;
    serviceScaling: unknown;
  };
  /** `template.revision` minus the `<service>-` prefix: the engine names the revision with it. */
  revisionSuffix?: unknown;
  failures: CheckFailure[];
}

export const INGRESS: Record<string, Ingress> = {
  INGRESS_TRAFFIC_ALL: "all",
  INGRESS_TRAFFIC_INTERNAL_ONLY: "internal",
  INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER: "internal-and-cloud-load-balancing",
};

/** The engine's rule for labels, checked at preview. */
export { labelsSchema };

export function translateService(inputs: Record<string, unknown>): ServiceTranslation {
  const problems = new Problems();
  const paths = new PathMap();
  const failures: CheckFailure[] = [...reportFields(inputs, serviceRules, isUnknown).refused];
  failures.push(...validate(serviceNameSchema, inputs.name, ["name"]).failures);
  failures.push(...validate(projectNameSchema, inputs.skiffProject, ["skiffProject"]).failures);

  let template: unknown = UNKNOWN;
  let revisionSuffix: unknown;
  if (inputs.template === undefined || inputs.template === null) {
    problems.add("template", "is required: the template revisions are made from");
  } else if (!isUnknown(inputs.template)) {
    const t = problems.object(inputs.template, "template") ?? {};
    const engine: Record<string, unknown> = translateContainers(t.containers, "template.containers", {
      problems,
      paths,
      reservedEnv: RESERVED_ENV,
      kind: "service",
    });
    if (t.maxInstanceRequestConcurrency !== undefined) engine.maxInstanceRequestConcurrency = t.maxInstanceRequestConcurrency;
    paths.set("maxInstanceRequestConcurrency", "template.maxInstanceRequestConcurrency");
    const timeout = durationSeconds(t.timeout, "template.timeout", problems);
    if (timeout !== undefined) engine.timeout = timeout;
    paths.set("timeout", "template.timeout");
    engine.scaling = t.scaling ?? {};
    paths.set("scaling", "template.scaling");
    if (t.serviceAccount !== undefined && t.serviceAccount !== null) engine.serviceAccount = t.serviceAccount;
    paths.set("serviceAccount", "template.serviceAccount");
    if (t.sessionAffinity !== undefined && t.sessionAffinity !== null) engine.sessionAffinity = t.sessionAffinity;
    paths.set("sessionAffinity", "template.sessionAffinity");
    const volumes = translateVolumes(t.volumes, "template.volumes", problems, paths);
    if (volumes !== undefined) engine.volumes = volumes;
    revisionSuffix = suffixOf(t.revision, inputs.name, problems);
    template = engine;
    failures.push(...paths.mapFailures(validate(serviceTemplateSchema, engine).failures, "template"));
  }

  const labels = validate(labelsSchema, inputs.labels, ["labels"]);
  failures.push(...labels.failures);
  let ingress: unknown = "all";
  if (isUnknown(inputs.ingress)) ingress = UNKNOWN;
  else if (inputs.ingress !== undefined && inputs.ingress !== null) {
    ingress = INGRESS[inputs.ingress as string];
    if (ingress === undefined)
      problems.add("ingress", `must be one of ${Object.keys(INGRESS).join(", ")}, got ${JSON.stringify(inputs.ingress)}`);
  }
  // The program owns the service's custom audiences, as pulumi-gcp's does: none written, none kept.
  const audiences = validate(customAudiencesSchema, inputs.customAudiences ?? [], ["customAudiences"]);
  failures.push(...audiences.failures);
  // Its description likewise: none written, none kept.
  const description = validate(serviceDescriptionSchema, inputs.description ?? "", ["description"]);
  failures.push(...description.failures);
  // And its default URL switch: not written, the URLs are on.
  const defaultUriDisabled = validate(z.boolean(), inputs.defaultUriDisabled ?? false, ["defaultUriDisabled"]);
  failures.push(...defaultUriDisabled.failures);
  // The service's own scaling (Service.scaling): the engine divides it over the split, as Cloud Run does.
  // The program owns it: none written, none kept.
  const serviceScaling = isUnknown(inputs.scaling)
    ? { value: UNKNOWN, failures: [] }
    : validate(serviceScalingSchema, inputs.scaling ?? {}, ["scaling"]);
  failures.push(...serviceScaling.failures);
  const traffic = translateTraffics(inputs.traffics, problems);
  failures.push(...trafficFailures(traffic, typeof inputs.name === "string" && !isUnknown(inputs.name) ? inputs.name : undefined));

  return {
    spec: {
      template,
      labels: labels.value ?? {},
      ingress,
      traffic,
      customAudiences: audiences.value ?? [],
      description: description.value ?? "",
      defaultUriDisabled: defaultUriDisabled.value ?? false,
      serviceScaling:
        serviceScaling.value === UNKNOWN
          ? UNKNOWN
          : normalizeServiceScaling((serviceScaling.value ?? NO_SERVICE_SCALING) as ServiceScaling),
    },
    revisionSuffix,
    failures: [...problems.failures, ...failures],
  };
}

/** Cloud Run names a revision `<service>-<suffix>`; a name without that prefix is refused there too. */
function suffixOf(revision: unknown, service: unknown, problems: Problems): unknown {
  if (revision === undefined || revision === null) return undefined;
  if (isUnknown(revision) || isUnknown(service)) return UNKNOWN;
  if (typeof revision !== "string" || typeof service !== "string") return void problems.add("template.revision", "must be a string");
  if (!revision.startsWith(`${service}-`) || revision.length === service.length + 1) {
    return void problems.add("template.revision", `must start with the service's name and a hyphen ("${service}-..."), got "${revision}"`);
  }
  return revision.slice(service.length + 1);
}
