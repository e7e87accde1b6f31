import { z } from "zod";
import { projectNameSchema, revisionNameSchema, serviceNameSchema } from "../../provider/model/names";
import type { ServiceTemplate } from "../../provider/model/template";
import { checkTemplate } from "./service";
import { sameValue } from "../diff/table";
import { containsUnknown, isUnknown } from "../preview-values/unknowns";
import { validate } from "../preview-values/validate";
import { CheckOutcome, InputsBuilder } from "./result";

export interface RevisionInputs {
  service: string;
  project: string;
  template: ServiceTemplate;
  /** Names the revision `<service>-<suffix>`; absent, the engine names it `<service>-<00001>-<abc>`. */
  revisionSuffix?: string;
}

const suffixSchema = z.string({ error: "must be a string" }).min(1, "must not be empty");

/**
 * `olds` are the inputs in the state (none on create): a replacement is created before the old
 * revision is deleted, so a changed template under the same name could never be made.
 */
export function checkRevisionInputs(news: Record<string, unknown>, olds: Record<string, unknown> = {}): CheckOutcome<RevisionInputs> {
  const b = new InputsBuilder();
  b.field("service", news.service, validate(serviceNameSchema, news.service, ["service"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("template", news.template, checkTemplate(news.template));
  b.field("revisionSuffix", news.revisionSuffix, validate(suffixSchema.optional(), news.revisionSuffix, ["revisionSuffix"]));
  const { service, revisionSuffix: suffix } = b.inputs;
  if (typeof service === "string" && typeof suffix === "string" && !isUnknown(service) && !isUnknown(suffix)) {
    const name = revisionNameSchema.safeParse(`${service}-${suffix}`);
    if (!name.success)
      b.fail("revisionSuffix", `"${service}-${suffix}" ${name.error.issues[0]?.message ?? "is not a valid revision name"}`);
    const sameName = olds.service === service && olds.project === b.inputs.project && olds.revisionSuffix === suffix;
    const templateChanged =
      olds.template !== undefined && !containsUnknown(b.inputs.template) && !sameValue(olds.template, b.inputs.template);
    if (sameName && templateChanged) {
      b.fail(
        "revisionSuffix",
        `revision "${service}-${suffix}" exists with another template, and revisions never change: a new template needs a new revisionSuffix`,
      );
    }
  }
  return b.done();
}
