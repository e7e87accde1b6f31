import { z } from "zod";
import { projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { ingressSchema } from "../../provider/model/service";
import { serviceTemplateSchema, type ServiceTemplate } from "../../provider/model/template";
import { CheckOutcome, InputsBuilder } from "./result";
import { validate } from "./validate";

/** A Service's inputs after `check`: every default applied, so a default never shows up as a diff. */
export interface ServiceInputs {
  name: string;
  project: string;
  template: ServiceTemplate;
  labels: Record<string, string>;
  ingress: z.output<typeof ingressSchema>;
}

const labelsSchema = z.record(z.string(), z.string({ error: "must be a string" })).default({});

export function checkServiceInputs(news: Record<string, unknown>): CheckOutcome<ServiceInputs> {
  const b = new InputsBuilder();
  b.field("name", news.name, validate(serviceNameSchema, news.name, ["name"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("template", news.template, validate(serviceTemplateSchema, news.template, ["template"]));
  b.field("labels", news.labels, validate(labelsSchema, news.labels, ["labels"]));
  b.field("ingress", news.ingress, validate(ingressSchema.default("all"), news.ingress, ["ingress"]));
  return b.done();
}
