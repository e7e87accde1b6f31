import { z } from "zod";
import { customAudiencesSchema } from "../../provider/model/custom-audiences";
import { memberSchema } from "../../provider/model/iam";
import { projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { ingressSchema, serviceDescriptionSchema } from "../../provider/model/service";
import { normalizeServiceScaling, serviceScalingSchema, type ServiceScaling } from "../../provider/model/service-scaling";
import { serviceTemplateSchema, type ServiceTemplate } from "../../provider/model/template";
import { CheckOutcome, InputsBuilder } from "./result";
import { containsUnknown, isUnknown } from "../preview-values/unknowns";
import { templateFromContainerList } from "../../provider/model/containers";
import { validate, type Validated } from "../preview-values/validate";

/** A Service's inputs after `check`: every default applied, so a default never shows up as a diff. */
export interface ServiceInputs {
  name: string;
  project: string;
  template: ServiceTemplate;
  labels: Record<string, string>;
  ingress: z.output<typeof ingressSchema>;
  /** Who may call it (roles/run.invoker), exactly; absent: the Service leaves its IAM policy alone. */
  invokers?: string[];
  /** Token audiences it takes besides its URL, exactly; absent: the Service leaves them as they are. */
  customAudiences?: string[];
  /** Its description; absent: left as it is. */
  description?: string;
  /** true: its own URLs are off (only domain mappings reach it); absent: left as it is. */
  defaultUriDisabled?: boolean;
  /** The service-level scaling (min and max for the whole service, or a manual count), normalized; absent: left as it is. */
  scaling?: ServiceScaling;
}

const labelsSchema = z.record(z.string(), z.string({ error: "must be a string" })).default({});
const invokersSchema = z
  .array(memberSchema, {
    error: 'must be a list of members such as ["allUsers"] or ["serviceAccount:web@my-project.iam.gserviceaccount.com"]',
  })
  .optional();

/** Sorted and once each, as the engine keeps them: a reordered list is no change, and a refresh reads back the same list. */
function normalizeInvokers(invokers: string[] | undefined): string[] | undefined {
  if (invokers === undefined || containsUnknown(invokers)) return invokers;
  return [...new Set(invokers)].sort();
}

/**
 * The template, in the engine's shape or as a list of containers (`template.containers`, each
 * failure named at the container it is about); checked inputs are always the engine's shape.
 */
export function checkTemplate(input: unknown): Validated<ServiceTemplate> {
  if (!input || typeof input !== "object" || isUnknown(input) || !("containers" in input) || isUnknown(input.containers))
    return validate(serviceTemplateSchema, input, ["template"]);
  const list = templateFromContainerList(input as Record<string, unknown>);
  if (list.problem) return { failures: [{ property: "template.containers", reason: list.problem }] };
  const checked = validate(serviceTemplateSchema, list.template, ["template"]);
  return { ...checked, failures: checked.failures.map((f) => ({ ...f, property: list.pathOf(f.property) })) };
}

export function checkServiceInputs(news: Record<string, unknown>): CheckOutcome<ServiceInputs> {
  const b = new InputsBuilder();
  b.field("name", news.name, validate(serviceNameSchema, news.name, ["name"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("template", news.template, checkTemplate(news.template));
  b.field("labels", news.labels, validate(labelsSchema, news.labels, ["labels"]));
  b.field("ingress", news.ingress, validate(ingressSchema.default("all"), news.ingress, ["ingress"]));
  const invokers = validate(invokersSchema, news.invokers, ["invokers"]);
  b.field("invokers", news.invokers, { ...invokers, value: normalizeInvokers(invokers.value) });
  b.field("customAudiences", news.customAudiences, validate(customAudiencesSchema.optional(), news.customAudiences, ["customAudiences"]));
  b.field("description", news.description, validate(serviceDescriptionSchema.optional(), news.description, ["description"]));
  b.field("defaultUriDisabled", news.defaultUriDisabled, validate(z.boolean().optional(), news.defaultUriDisabled, ["defaultUriDisabled"]));
  // Normalized as the engine keeps it (unset counts left out), so a refresh reads back the same value.
  const scaling = validate(serviceScalingSchema.optional(), news.scaling, ["scaling"]);
  const normalized = scaling.value === undefined || isUnknown(scaling.value) ? scaling.value : normalizeServiceScaling(scaling.value);
  b.field("scaling", news.scaling, { ...scaling, value: normalized });
  return b.done();
}
