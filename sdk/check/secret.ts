import { z } from "zod";
import { projectNameSchema } from "../../provider/model/names";
import { secretLabelsSchema, secretNameSchema } from "../../provider/model/secret";
import { secretName } from "../gcp/secrets";
import { isUnknown } from "../preview-values/unknowns";
import { validate } from "../preview-values/validate";
import { CheckOutcome, InputsBuilder } from "./result";

/** A Secret's inputs after `check`. */
export interface SecretInputs {
  name: string;
  project: string;
  labels: Record<string, string>;
}

/** A SecretVersion's inputs after `check`: `secretData` is a Pulumi secret in the program and in the state. */
export interface SecretVersionInputs {
  secret: string;
  project: string;
  secretData: string;
  enabled: boolean;
}

export function checkSecretInputs(news: Record<string, unknown>): CheckOutcome<SecretInputs> {
  const b = new InputsBuilder();
  b.field("name", news.name, validate(secretNameSchema, news.name, ["name"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("labels", news.labels, validate(secretLabelsSchema, news.labels, ["labels"]));
  return b.done();
}

const dataSchema = z.string({ error: "must be a string: the version's value" });

export function checkSecretVersionInputs(news: Record<string, unknown>): CheckOutcome<SecretVersionInputs> {
  const b = new InputsBuilder();
  // `projects/P/secrets/NAME` (a secret's id) and `NAME` are the same secret.
  const secret = typeof news.secret === "string" && !isUnknown(news.secret) ? secretName(news.secret) : news.secret;
  b.field("secret", secret, validate(secretNameSchema, secret, ["secret"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("secretData", news.secretData, validate(dataSchema, news.secretData, ["secretData"]));
  b.field("enabled", news.enabled, validate(z.boolean({ error: "must be true or false" }).default(true), news.enabled, ["enabled"]));
  return b.done();
}
