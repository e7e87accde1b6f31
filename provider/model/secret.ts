import { z } from "zod";
import { labelsSchema } from "./labels";
import { invalidFromViolations, violationsOf } from "./errors";

/**
 * Secrets, shaped like Secret Manager's: a secret has numbered versions (1, 2, ...), each ENABLED,
 * DISABLED or DESTROYED; `latest` names the most recently created version (as Secret Manager's
 * alias does: when that version is disabled, `latest` cannot be read). Values travel base64-encoded
 * (Secret Manager's `payload.data`) and appear in exactly one answer: a version's `access`.
 */

/** Secret Manager's secret ids: letters, digits, hyphens and underscores, so a name is never a path. */
export const secretNameSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(255, "must be at most 255 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "must be a secret name: letters, digits, hyphens and underscores (no '/', no '..')");

/** `latest` or a version number. */
export const versionRefSchema = z
  .string({ error: 'must be a string such as "latest" or "1"' })
  .regex(/^(latest|[1-9][0-9]{0,8})$/, 'must be "latest" or a version number such as "1"');

/** The most a version may hold, as in Secret Manager. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** Base64 of at most MAX_SECRET_BYTES. */
const dataSchema = z
  .string({ error: "must be the value, base64-encoded" })
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64")
  .refine((d) => Buffer.byteLength(d, "base64") <= MAX_SECRET_BYTES, `must be at most ${MAX_SECRET_BYTES} bytes`);

/** Secret Manager applies Google Cloud's label rule (labels.ts). */
export const secretLabelsSchema = labelsSchema;

/** What a client sends to create a secret; with `data` its first version is added in the same change. */
export const createSecretBodySchema = z
  .object({ name: secretNameSchema, labels: secretLabelsSchema, data: dataSchema.optional() })
  .strict();
export type CreateSecretBody = z.input<typeof createSecretBodySchema>;

export const addVersionBodySchema = z.object({ data: dataSchema }).strict();

/** What may change of a secret itself: its labels (its versions change through their own calls). */
export const updateSecretBodySchema = z.object({ labels: secretLabelsSchema }).strict();

export function parseBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error));
  return result.data as z.output<S>;
}

export const versionStateSchema = z.enum(["ENABLED", "DISABLED", "DESTROYED"]);
export type VersionState = z.output<typeof versionStateSchema>;

/** A secret as the engine answers with it: never its values. */
export const secretSchema = z.object({
  name: z.string(),
  project: z.string(),
  labels: z.record(z.string(), z.string()),
  /** The newest version's number (what `latest` names); absent before the first. */
  latestVersion: z.number().int().optional(),
  versionCount: z.number().int(),
  createTime: z.string(),
});
export type Secret = z.output<typeof secretSchema>;

export const secretVersionSchema = z.object({
  secret: z.string(),
  project: z.string(),
  version: z.number().int(),
  state: versionStateSchema,
  createTime: z.string(),
  destroyTime: z.string().optional(),
});
export type SecretVersion = z.output<typeof secretVersionSchema>;

/** The one answer that carries a value: `secrets versions access`. */
export const secretAccessSchema = z.object({ secret: z.string(), version: z.number().int(), data: z.string() });
export type SecretAccess = z.output<typeof secretAccessSchema>;

/** A template's reference to a secret: an env var's value, or a mounted file. */
export const secretRefSchema = z.object({ secret: secretNameSchema, version: versionRefSchema.default("latest") }).strict();
export type SecretRef = z.output<typeof secretRefSchema>;

/**
 * A secret named by its full path, as gcloud takes one (`secrets_mapping.py`'s ReachableSecret):
 * `projects/NUMBER/secrets/NAME`, then `:VERSION`, `/versions/VERSION` or neither (`latest`).
 * The engine's secrets are the project's: the path stands for NAME in the project deployed to.
 */
const SECRET_PATH = /^projects\/[0-9]{1,19}\/secrets\/([A-Za-z0-9_-]{1,255})(?::(.+)|\/versions\/(.+))?$/;

export function secretPathParts(text: string): { secret: string; version?: string } | undefined {
  const match = SECRET_PATH.exec(text);
  if (!match) return undefined;
  const version = match[2] ?? match[3];
  return version === undefined ? { secret: match[1] } : { secret: match[1], version };
}
