import { z } from "zod";
import { projectNameSchema } from "../../provider/model/names";
import { secretLabelsSchema, secretNameSchema } from "../../provider/model/secret";
import { reportFields, secretRules, secretVersionRules } from "../gcp/field-rules";
import { secretName } from "../gcp/secrets";
import { isUnknown } from "../preview-values/unknowns";
import { validate, type CheckFailure } from "../preview-values/validate";
import type { CheckOutcome } from "./result";

/**
 * secretmanager.Secret and SecretVersion keep their inputs in pulumi-gcp's shape, as written
 * (check adds nothing, so no default shows up as a diff); they are checked with the engine's rules
 * at the user's paths.
 */
export type GcpSecretInputs = Record<string, unknown> & { secretId: string; skiffProject: string; labels?: Record<string, string> };
export type GcpSecretVersionInputs = Record<string, unknown> & {
  secret: string;
  skiffProject: string;
  secretData: string;
  enabled?: boolean;
  isSecretDataBase64?: boolean;
  deletionPolicy?: string;
};

export const DELETION_POLICIES = ["DELETE", "DISABLE", "ABANDON"];

export function checkGcpSecretInputs(news: Record<string, unknown>): CheckOutcome<GcpSecretInputs> {
  const failures: CheckFailure[] = [...reportFields(news, secretRules, isUnknown).refused];
  failures.push(...validate(secretNameSchema, news.secretId, ["secretId"]).failures);
  failures.push(...validate(projectNameSchema, news.skiffProject, ["skiffProject"]).failures);
  failures.push(...validate(secretLabelsSchema, news.labels, ["labels"]).failures);
  return { inputs: news as GcpSecretInputs, failures };
}

export function checkGcpSecretVersionInputs(news: Record<string, unknown>): CheckOutcome<GcpSecretVersionInputs> {
  const failures: CheckFailure[] = [...reportFields(news, secretVersionRules, isUnknown).refused];
  const secret = typeof news.secret === "string" && !isUnknown(news.secret) ? secretName(news.secret) : news.secret;
  failures.push(...validate(secretNameSchema, secret, ["secret"]).failures);
  failures.push(...validate(projectNameSchema, news.skiffProject, ["skiffProject"]).failures);
  if (news.secretData === undefined && news.secretDataWo === undefined)
    failures.push({ property: "secretData", reason: "is required: the version's value" });
  failures.push(...validate(z.string({ error: "must be a string" }).optional(), news.secretData, ["secretData"]).failures);
  failures.push(...validate(z.boolean({ error: "must be true or false" }).optional(), news.enabled, ["enabled"]).failures);
  failures.push(
    ...validate(z.boolean({ error: "must be true or false" }).optional(), news.isSecretDataBase64, ["isSecretDataBase64"]).failures,
  );
  const policy = news.deletionPolicy;
  if (policy !== undefined && !isUnknown(policy) && !DELETION_POLICIES.includes(policy as string))
    failures.push({ property: "deletionPolicy", reason: `must be one of ${DELETION_POLICIES.join(", ")}, got ${JSON.stringify(policy)}` });
  if (news.isSecretDataBase64 === true && typeof news.secretData === "string" && !/^[A-Za-z0-9+/]*={0,2}$/.test(news.secretData))
    failures.push({ property: "secretData", reason: "must be base64 (isSecretDataBase64 is true)" });
  return { inputs: news as GcpSecretVersionInputs, failures };
}
