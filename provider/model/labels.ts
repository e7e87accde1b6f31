import { z } from "zod";

/**
 * Google Cloud's rule for user labels, which Cloud Run and Secret Manager apply: at most 64; a key
 * starts with a lowercase letter and, like a value, holds only lowercase letters (international
 * ones too), digits, "_" and "-", at most 63 characters; a value may be empty. A key with a "/" is
 * a Knative-style prefixed one (Cloud Run's own, such as `cloud.googleapis.com/location`, which its
 * YAML exports carry): taken as it is, so an exported file applies again.
 */
export const MAX_LABELS = 64;
const KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{Nd}_-]{0,62}$/u;
const VALUE = /^[\p{Ll}\p{Lo}\p{Nd}_-]{0,63}$/u;

/** Why `key: value` cannot be a label, or undefined. */
export function labelProblem(key: string, value: string): string | undefined {
  if (key.includes("/")) return undefined;
  if (!KEY.test(key)) {
    return `is not a label key: it must start with a lowercase letter and hold only lowercase letters, digits, "_" and "-", at most 63 characters`;
  }
  if (!VALUE.test(value)) {
    return `has the value ${JSON.stringify(value)}, which is not a label value: only lowercase letters, digits, "_" and "-", at most 63 characters`;
  }
  return undefined;
}

/** A resource's labels, checked by labelProblem; the error is at the key (`labels.Team`). */
export const labelsSchema = z
  .record(z.string(), z.string({ error: "must be a string" }))
  .check((ctx) => {
    const keys = Object.keys(ctx.value);
    if (keys.length > MAX_LABELS) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: `has ${keys.length} labels; Google Cloud takes at most ${MAX_LABELS}` });
    }
    for (const key of keys) {
      const problem = labelProblem(key, ctx.value[key]);
      if (problem) ctx.issues.push({ code: "custom", input: key, path: [key], message: problem });
    }
  })
  .default({});
