import { domainSchema, projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { CheckOutcome, InputsBuilder } from "./result";
import { validate } from "../preview-values/validate";

export interface DomainMappingInputs {
  domain: string;
  service: string;
  project: string;
}

export function checkDomainMappingInputs(news: Record<string, unknown>): CheckOutcome<DomainMappingInputs> {
  const b = new InputsBuilder();
  b.field("domain", news.domain, validate(domainSchema, news.domain, ["domain"]));
  b.field("service", news.service, validate(serviceNameSchema, news.service, ["service"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  return b.done();
}
