import { projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { serviceTemplateSchema, type ServiceTemplate } from "../../provider/model/template";
import { CheckOutcome, InputsBuilder } from "./result";
import { validate } from "../preview-values/validate";

export interface RevisionInputs {
  service: string;
  project: string;
  template: ServiceTemplate;
}

export function checkRevisionInputs(news: Record<string, unknown>): CheckOutcome<RevisionInputs> {
  const b = new InputsBuilder();
  b.field("service", news.service, validate(serviceNameSchema, news.service, ["service"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("template", news.template, validate(serviceTemplateSchema, news.template, ["template"]));
  return b.done();
}
