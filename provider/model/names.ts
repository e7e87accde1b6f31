import { z } from "zod";
import { checkField } from "./errors";

/** The names users give: services, projects, tags, jobs and domains. */

/** RFC 1123 label, as Cloud Run requires of service, job, project and tag names. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_REASON = "must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen";

/** `---` separates a tag from its service in tag URLs (`tag---service.localhost`), so names may not contain it. */
export function dnsLabel(max: number) {
  return z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .regex(DNS_LABEL, DNS_LABEL_REASON)
    .refine((s) => !s.includes("---"), "must not contain '---' (it separates tags from services in URLs)");
}

export const serviceNameSchema = dnsLabel(49);
export const projectNameSchema = dnsLabel(63);
export const tagNameSchema = dnsLabel(46);
export const jobNameSchema = dnsLabel(49);
/** `<job>-<abcde>`. */
export const executionNameSchema = dnsLabel(55);
/** `<service>-<00001>-<abc>`: a DNS label too. */
export const revisionNameSchema = dnsLabel(63);

/** A domain name for a domain mapping: dot-separated DNS labels. */
export const domainSchema = z
  .string({ error: "must be a string" })
  .max(253, "must be at most 253 characters")
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a lowercase domain name such as api.example.test");

export function checkProject(project: string): void {
  checkField("project", projectNameSchema, project);
}
