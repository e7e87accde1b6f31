import { createHash } from "node:crypto";
import { z } from "zod";
import { invalidFromViolations, violationsOf } from "./errors";
import { parseCpuNanos, parseMemoryBytes } from "./quantity";
import { trafficTargetSchema } from "./traffic-schema";

/** Variables the platform sets in every container; a template may not override them. */
export const RESERVED_ENV = ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"];

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name (letters, digits, _; not starting with a digit)")
  .refine((k) => !RESERVED_ENV.includes(k), "is reserved: the platform sets PORT, K_SERVICE, K_REVISION and K_CONFIGURATION");

const int = (message: string) => z.number({ error: "must be a number" }).int(message);

export const startupProbeSchema = z
  .object({
    tcpSocket: z.object({ port: int("must be an integer").min(1).max(65535).optional() }).strict().optional(),
    initialDelaySeconds: int("must be an integer").min(0, "must be 0 or more").max(240, "must be at most 240").default(0),
    timeoutSeconds: int("must be an integer").min(1, "must be at least 1").max(240, "must be at most 240").default(240),
    periodSeconds: int("must be an integer").min(1, "must be at least 1").max(240, "must be at most 240").default(240),
    failureThreshold: int("must be an integer").min(1, "must be at least 1").default(1),
  })
  .strict();

/** One check per quantity, so a bad value gets one clear reason rather than several. */
function quantity(parse: (q: string) => number | undefined, example: string, min: number, max: number, range: string) {
  return z.string({ error: `must be a string such as "${example}"` }).check((ctx) => {
    const value = parse(ctx.value);
    if (value === undefined) ctx.issues.push({ code: "custom", input: ctx.value, message: `must be a quantity such as ${example}, got "${ctx.value}"` });
    else if (value < min || value > max) ctx.issues.push({ code: "custom", input: ctx.value, message: `must be ${range}, got "${ctx.value}"` });
  });
}

export const resourcesSchema = z
  .object({
    cpu: quantity(parseCpuNanos, "1, 0.5 or 500m", 0.08e9, 8e9, "between 0.08 and 8 CPUs").default("1"),
    memory: quantity(parseMemoryBytes, "512Mi or 1Gi", 64 * 1024 ** 2, 32 * 1024 ** 3, "between 64Mi and 32Gi").default("512Mi"),
  })
  .strict();

export const scalingSchema = z
  .object({
    minInstanceCount: int("must be an integer").min(0, "must be 0 or more").max(1000, "must be at most 1000").default(0),
    maxInstanceCount: int("must be an integer").min(1, "must be at least 1").max(1000, "must be at most 1000").default(100),
  })
  .strict()
  .refine((s) => s.minInstanceCount <= s.maxInstanceCount, {
    message: "minInstanceCount must not exceed maxInstanceCount",
    path: ["minInstanceCount"],
  });

export const serviceTemplateSchema = z
  .object({
    image: z.string({ error: "is required: the container image to run" }).min(1, "must not be empty"),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    env: z.record(envName, z.string({ error: "must be a string" })).default({}),
    port: int("must be an integer").min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").default(8080),
    maxInstanceRequestConcurrency: int("must be an integer")
      .min(1, "must be between 1 and 1000")
      .max(1000, "must be between 1 and 1000")
      .default(80),
    scaling: scalingSchema.prefault({}),
    timeout: int("must be a whole number of seconds").min(1, "must be between 1 and 3600 seconds").max(3600, "must be between 1 and 3600 seconds").default(300),
    resources: resourcesSchema.prefault({}),
    startupProbe: startupProbeSchema.prefault({}),
  })
  .strict();

export const ingressSchema = z.enum(["all", "internal", "internal-and-cloud-load-balancing"]);

/** What a client sends to create or update a service (the name and project come from the URL). */
export const serviceSpecSchema = z
  .object({
    template: serviceTemplateSchema,
    labels: z.record(z.string(), z.string()).default({}),
    ingress: ingressSchema.default("all"),
    traffic: z.array(trafficTargetSchema).optional(),
  })
  .strict();

export type ServiceTemplateInput = z.input<typeof serviceTemplateSchema>;
export type ServiceTemplate = z.output<typeof serviceTemplateSchema>;
export type ServiceSpecInput = z.input<typeof serviceSpecSchema>;
export type ServiceSpec = z.output<typeof serviceSpecSchema>;

export function parseServiceSpec(input: unknown): ServiceSpec {
  const result = serviceSpecSchema.safeParse(input);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error));
  return result.data;
}

export function parseServiceTemplate(input: unknown, prefix = "template"): ServiceTemplate {
  const result = serviceTemplateSchema.safeParse(input);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error, prefix));
  return result.data;
}

/** Two templates make the same revision exactly when their fingerprints match. */
export function templateFingerprint(template: ServiceTemplate): string {
  return createHash("sha256").update(canonicalJson(template)).digest("hex").slice(0, 16);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The startup deadline the probe settings imply (Cloud Run's default TCP probe: 240 s). */
export function startupDeadlineMs(template: ServiceTemplate): number {
  const p = template.startupProbe;
  return (p.initialDelaySeconds + p.periodSeconds * p.failureThreshold) * 1000;
}
