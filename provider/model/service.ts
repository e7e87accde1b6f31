import { z } from "zod";
import { customAudiencesSchema } from "./custom-audiences";
import { labelsSchema } from "./labels";
import { invalidFromViolations, violationsOf } from "./errors";
import { memberSchema } from "./iam";
import { revisionScalingSchema } from "./revision";
import { normalizeServiceScaling, serviceScalingSchema } from "./service-scaling";
import { serviceTemplateSchema } from "./template";
import { trafficStatusSchema, trafficTargetSchema } from "./traffic";

/**
 * A Service: a name (its URL), a template that each change turns into a new revision, labels,
 * ingress and traffic. The request shape (what a client sends) and the answer shape (what the
 * engine returns to the CLI and the SDK) both live here.
 */

export const ingressSchema = z.enum(["all", "internal", "internal-and-cloud-load-balancing"]);
export type Ingress = z.output<typeof ingressSchema>;

/** Cloud Run keeps up to 512 characters of a service's description. */
export const SERVICE_DESCRIPTION_MAX = 512;
export const serviceDescriptionSchema = z
  .string()
  .max(SERVICE_DESCRIPTION_MAX, `a service's description is at most ${SERVICE_DESCRIPTION_MAX} characters`);

/** What a client sends to create or update a service (the name and project come from the URL). */
export const serviceSpecSchema = z
  .object({
    template: serviceTemplateSchema,
    labels: labelsSchema,
    ingress: ingressSchema.default("all"),
    traffic: z.array(trafficTargetSchema).optional(),
    /**
     * When given, the service's invokers become exactly these (its policy's roles/run.invoker
     * members); when left out, its policy stays as it is (a new service: allUsers, public).
     */
    invokers: z.array(memberSchema).optional(),
    /**
     * When given, the service's custom audiences become exactly these; when left out, they stay as
     * they are (a new service: none). No new revision either way.
     */
    customAudiences: customAudiencesSchema.optional(),
    /**
     * The service's human-readable description (Cloud Run's `description`, at most 512
     * characters; "" for none): when given it becomes this, when left out it stays. No new revision.
     */
    description: serviceDescriptionSchema.optional(),
    /**
     * Whether the service's own URLs (`<service>.localhost`, its tag URLs) are off, as Cloud Run's
     * defaultUriDisabled turns off its run.app URLs: only domain mappings reach it then. When left
     * out it stays as it is (a new service: on). No new revision.
     */
    defaultUriDisabled: z.boolean().optional(),
    /**
     * When given, the service's own scaling becomes exactly this (service-scaling.ts); when left
     * out, it stays as it is (a new service: none). No new revision either way.
     */
    serviceScaling: serviceScalingSchema.transform(normalizeServiceScaling).optional(),
    /**
     * Annotations tools set on the service (Cloud Run v2's Service.annotations: metadata, kept and
     * answered, with no local effect): when given they become these, when left out they stay.
     * No new revision.
     */
    annotations: z.record(z.string().min(1, "an annotation's key must not be empty"), z.string()).optional(),
  })
  .strict();

export type ServiceSpecInput = z.input<typeof serviceSpecSchema>;
export type ServiceSpec = z.output<typeof serviceSpecSchema>;

export function parseServiceSpec(input: unknown): ServiceSpec {
  const result = serviceSpecSchema.safeParse(input);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error));
  return result.data;
}

/** A service as the engine answers with it. */
export const serviceSchema = z.object({
  name: z.string(),
  project: z.string(),
  template: serviceTemplateSchema,
  labels: z.record(z.string(), z.string()),
  ingress: ingressSchema,
  /** Who may call it (its policy's roles/run.invoker members); allUsers: anyone, without a token. */
  invokers: z.array(z.string()).default([]),
  /** Token audiences it takes besides its URLs (custom-audiences.ts). */
  customAudiences: z.array(z.string()).optional(),
  /** Its description, when it has one: metadata only. */
  description: z.string().optional(),
  /** true when its own URLs are off (`url` is then ""): only its domain mappings reach it. */
  defaultUriDisabled: z.boolean().optional(),
  /** The service's own scaling: service-level min and max, or a manual instance count. */
  serviceScaling: serviceScalingSchema.optional(),
  /** The revision name its template asks for (`--revision-suffix`, Cloud Run's template.revision), while it does. */
  templateRevision: z.string().optional(),
  /** Annotations tools set on it, when it has any: metadata only. */
  annotations: z.record(z.string(), z.string()).optional(),
  /** The traffic as set; empty means 100 % to the latest ready revision. */
  traffic: z.array(trafficTargetSchema),
  /** The resolved traffic: which revision gets what, and its tag URL. */
  trafficStatuses: z.array(trafficStatusSchema),
  url: z.string(),
  latestCreatedRevision: z.string().optional(),
  latestReadyRevision: z.string().optional(),
  /** Counts changes of template, labels, ingress and custom audiences; send it back as expectedGeneration to change the service safely. */
  generation: z.number().int(),
  /** Per revision the engine runs instances for: instances, in-flight and queued requests, the last scaling decision. */
  scaling: z.array(revisionScalingSchema.extend({ revision: z.string() })).default([]),
  createTime: z.string(),
  updateTime: z.string(),
});

export type Service = z.output<typeof serviceSchema>;
