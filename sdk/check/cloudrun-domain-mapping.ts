import { domainSchema, projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { domainMappingRules, reportFields } from "../gcp/field-rules";
import { Problems } from "../gcp/paths";
import type { CheckOutcome } from "./result";
import { isUnknown } from "../preview-values/unknowns";
import { validate } from "../preview-values/validate";

/** A cloudrun.DomainMapping in pulumi-gcp's shape: `name` is the domain, `spec.routeName` the service. */
export type GcpDomainMappingInputs = Record<string, unknown> & { name: string; skiffProject: string; spec: { routeName: string } };

export function checkGcpDomainMappingInputs(news: Record<string, unknown>): CheckOutcome<GcpDomainMappingInputs> {
  const problems = new Problems();
  const spec = isUnknown(news.spec) ? undefined : problems.object(news.spec, "spec");
  if (news.spec === undefined) problems.add("spec", "is required: spec.routeName names the service");
  const failures = [
    ...reportFields(news, domainMappingRules, isUnknown).refused,
    ...problems.failures,
    ...validate(domainSchema, news.name, ["name"]).failures,
    ...(spec ? validate(serviceNameSchema, spec.routeName, ["spec", "routeName"]).failures : []),
    ...validate(projectNameSchema, news.skiffProject, ["skiffProject"]).failures,
  ];
  return { inputs: news as GcpDomainMappingInputs, failures };
}
