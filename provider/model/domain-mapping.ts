import { z } from "zod";
import { invalidFromViolations, violationsOf } from "./errors";
import { domainSchema, serviceNameSchema } from "./names";

/** A DomainMapping: requests whose Host is the domain go to the service; a domain maps to one service at a time. */

/** What a client sends to map a domain. */
export const domainMappingBodySchema = z
  .object({
    domain: domainSchema,
    service: serviceNameSchema,
    /** Cloud Run's spec.forceOverride (gcloud's --force-override): take the domain from another project's mapping. */
    forceOverride: z.boolean().optional(),
  })
  .strict();
export type DomainMappingBody = z.output<typeof domainMappingBodySchema>;

export function parseDomainMappingBody(body: unknown): DomainMappingBody {
  const parsed = domainMappingBodySchema.safeParse(body);
  if (!parsed.success) throw invalidFromViolations(violationsOf(parsed.error));
  return parsed.data;
}

/** A mapping as the engine answers with it. */
export const domainMappingSchema = z.object({
  domain: z.string(),
  project: z.string(),
  service: z.string(),
  url: z.string(),
  status: z.enum(["READY"]),
  createTime: z.string(),
});

export type DomainMapping = z.output<typeof domainMappingSchema>;
