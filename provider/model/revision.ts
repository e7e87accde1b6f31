import { z } from "zod";
import { canonicalJson } from "../base/canonical-json";
import { serviceTemplateSchema, type ServiceTemplate } from "./template";

/**
 * A Revision: an immutable snapshot of a service's template, named `<service>-<00001>-<abc>`,
 * pinned to the image id it was created with. PENDING until its first instance listens, then
 * READY; FAILED (with the tail of its logs) if it never does.
 */

export const revisionStatusSchema = z.enum(["PENDING", "READY", "FAILED"]);
export type RevisionStatus = z.output<typeof revisionStatusSchema>;

/** "service" for revisions made from the service's own template; "candidate" for Revision resources. */
export const revisionOriginSchema = z.enum(["service", "candidate"]);
export type RevisionOrigin = z.output<typeof revisionOriginSchema>;

/**
 * What a client sends to create a candidate revision of a service; `revisionSuffix` names it
 * `<service>-<suffix>` (as gcloud's --revision-suffix does) instead of `<service>-<00001>-<abc>`.
 */
export const candidateBodySchema = z
  .object({ template: z.unknown(), revisionSuffix: z.string({ error: "must be a string" }).optional() })
  .strict();

/** How a revision's instances stand now, and the last scaling decision with its reason. */
export const revisionScalingSchema = z.object({
  readyInstances: z.number().int(),
  startingInstances: z.number().int(),
  inFlight: z.number().int(),
  queued: z.number().int(),
  desired: z.number().int(),
  /** stable, panic, scale-to-zero, min, max, or manual (a fixed count of manual scaling). */
  reason: z.string().optional(),
  decidedAt: z.string().optional(),
});

export type RevisionScaling = z.output<typeof revisionScalingSchema>;

/** A revision as the engine answers with it. */
export const revisionSchema = z.object({
  name: z.string(),
  project: z.string(),
  service: z.string(),
  /** 1 for `<service>-00001-abc`. */
  generation: z.number().int(),
  template: serviceTemplateSchema,
  image: z.string(),
  /** The image id (sha256:…) the revision's containers run, pinned when the revision was made. */
  imageDigest: z.string(),
  /** Each sidecar's pinned image id, by container name. */
  sidecarImageDigests: z.record(z.string(), z.string()).optional(),
  status: revisionStatusSchema,
  /** Why the revision failed, with the tail of its logs. */
  error: z.string().optional(),
  /** The last failure of one of its instances after it was ready, e.g. "memory limit exceeded: …". */
  instanceError: z.string().optional(),
  /** Its instances and last scaling decision, while the engine runs it. */
  scaling: revisionScalingSchema.optional(),
  origin: revisionOriginSchema,
  createTime: z.string(),
  /** Tag URLs that reach this revision. */
  urls: z.array(z.string()).default([]),
  /** It serves a share of its service's traffic (gcloud's ACTIVE column; Knative's Active condition). */
  active: z.boolean().optional(),
});

export type Revision = z.output<typeof revisionSchema>;

/** Two templates make the same revision exactly when their fingerprints match. */
export function templateFingerprint(template: ServiceTemplate): string {
  // node:crypto is loaded here, at first use, not with the module: a CLI call that hashes nothing starts faster (SPEC §8).
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(canonicalJson(template)).digest("hex").slice(0, 16);
}

/**
 * What the engine says about an image Docker has locally (`GET /v1/images?ref=R`): its id, the
 * digest a revision made from it now would pin. Nothing is pulled to answer; an image that would
 * have to be pulled is a 404.
 */
export const localImageSchema = z.object({ image: z.string(), id: z.string() });
export type LocalImage = z.output<typeof localImageSchema>;
