import { z } from "zod";
import { memberSchema, roleSchema } from "../../provider/model/iam";
import { jobNameSchema, projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { iamBindingRules, iamMemberRules, iamPolicyRules, reportFields, type Fields } from "../gcp/field-rules";
import { parsePolicyData, resourceNameOf, type IamInputs, type IamKind } from "../gcp/iam";
import type { CheckOutcome } from "./result";
import { isUnknown } from "../preview-values/unknowns";
import { validate, type CheckFailure } from "../preview-values/validate";

/**
 * The IAM resources' inputs stay as written, in pulumi-gcp's shape (like cloudrunv2.Service's):
 * `check` only names what is wrong, at the argument's own path, with the engine's reasons.
 */

const NAME_SCHEMA: Record<IamKind, z.ZodType> = { service: serviceNameSchema, job: jobNameSchema };

/** `name` and skiff's project: where the policy lives. */
function scopeFailures(news: Record<string, unknown>, kind: IamKind, rules: Fields): CheckFailure[] {
  const failures = [...reportFields(news, rules, isUnknown).refused];
  const name = news.name;
  if (name === undefined || name === null) {
    failures.push({
      property: "name",
      reason: `is required: the ${kind} whose IAM policy this is (its name, or projects/P/locations/L/${kind}s/NAME)`,
    });
  } else if (typeof name !== "string") {
    failures.push(...validate(z.string({ error: "must be a string" }), name, ["name"]).failures);
  } else if (!isUnknown(name)) {
    failures.push(...validate(NAME_SCHEMA[kind], resourceNameOf(name, kind), ["name"]).failures);
  }
  failures.push(...validate(projectNameSchema, news.skiffProject, ["skiffProject"]).failures);
  return failures;
}

/** A required argument: named when missing, else checked with the engine's schema (unknowns pass). */
function requiredField(news: Record<string, unknown>, key: string, what: string, schema: z.ZodType): CheckFailure[] {
  if (news[key] === undefined || news[key] === null) return [{ property: key, reason: `is required: ${what}` }];
  return validate(schema, news[key], [key]).failures;
}

const ROLE = 'the role to grant, such as "roles/run.invoker"';

/** ServiceIamMember, JobIamMember: one member in one role. */
export function checkIamMemberInputs(kind: IamKind, news: Record<string, unknown>): CheckOutcome<IamInputs> {
  const failures = [
    ...scopeFailures(news, kind, iamMemberRules),
    ...requiredField(news, "role", ROLE, roleSchema),
    ...requiredField(news, "member", 'who gets the role, such as "allUsers" or "serviceAccount:EMAIL"', memberSchema),
  ];
  return { inputs: news as IamInputs, failures };
}

/** ServiceIamBinding: every member of one role. */
export function checkIamBindingInputs(kind: IamKind, news: Record<string, unknown>): CheckOutcome<IamInputs> {
  const failures = [
    ...scopeFailures(news, kind, iamBindingRules),
    ...requiredField(news, "role", ROLE, roleSchema),
    ...requiredField(
      news,
      "members",
      "the members the role has (a list; [] for none)",
      z.array(memberSchema, { error: "must be a list of members" }),
    ),
  ];
  return { inputs: news as IamInputs, failures };
}

/** ServiceIamPolicy: the whole policy, as getIAMPolicy's JSON. */
export function checkIamPolicyInputs(kind: IamKind, news: Record<string, unknown>): CheckOutcome<IamInputs> {
  const failures = [...scopeFailures(news, kind, iamPolicyRules)];
  const data = news.policyData;
  if (data === undefined || data === null)
    failures.push({
      property: "policyData",
      reason: 'is required: the policy as JSON, e.g. {"bindings":[{"role":"roles/run.invoker","members":["allUsers"]}]}',
    });
  else if (!isUnknown(data)) {
    const parsed = parsePolicyData(data);
    if (parsed.problem !== undefined) failures.push({ property: "policyData", reason: parsed.problem });
  }
  return { inputs: news as IamInputs, failures };
}
