import { z } from "zod";
import { serviceTemplateSchema, ingressSchema } from "../spec/service";
import { trafficTargetSchema } from "../spec/traffic-schema";

/**
 * The shapes the admin API answers with. The engine builds them, the CLI prints them and the SDK
 * validates them with these same schemas (zod), so a drift between the two halves fails loudly.
 */

export const revisionStatusSchema = z.enum(["PENDING", "READY", "FAILED"]);

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
  status: revisionStatusSchema,
  /** Why the revision failed, with the tail of its logs. */
  error: z.string().optional(),
  /** "service" for revisions made from the service's own template; "candidate" for Revision resources. */
  origin: z.enum(["service", "candidate"]),
  createTime: z.string(),
  /** Tag URLs that reach this revision. */
  urls: z.array(z.string()).default([]),
});

export const trafficStatusSchema = z.object({
  type: z.enum(["LATEST", "REVISION"]),
  revision: z.string(),
  percent: z.number().int(),
  tag: z.string().optional(),
  url: z.string().optional(),
});

export const serviceSchema = z.object({
  name: z.string(),
  project: z.string(),
  template: serviceTemplateSchema,
  labels: z.record(z.string(), z.string()),
  ingress: ingressSchema,
  /** The traffic as set; empty means 100 % to the latest ready revision. */
  traffic: z.array(trafficTargetSchema),
  /** The resolved traffic: which revision gets what, and its tag URL. */
  trafficStatuses: z.array(trafficStatusSchema),
  url: z.string(),
  latestCreatedRevision: z.string().optional(),
  latestReadyRevision: z.string().optional(),
  createTime: z.string(),
  updateTime: z.string(),
});

export const domainMappingSchema = z.object({
  domain: z.string(),
  project: z.string(),
  service: z.string(),
  url: z.string(),
  status: z.enum(["READY"]),
  createTime: z.string(),
});

export const engineInfoSchema = z.object({
  engineId: z.string(),
  pid: z.number().int(),
  version: z.string(),
  apiPort: z.number().int(),
  ingressPort: z.number().int(),
  home: z.string(),
  startTime: z.string(),
});

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    violations: z.array(z.object({ field: z.string(), reason: z.string() })).default([]),
  }),
});

export type Revision = z.output<typeof revisionSchema>;
export type Service = z.output<typeof serviceSchema>;
export type TrafficStatus = z.output<typeof trafficStatusSchema>;
export type DomainMapping = z.output<typeof domainMappingSchema>;
export type EngineInfo = z.output<typeof engineInfoSchema>;
