import { z } from "zod";
import { invalidFromViolations, violationsOf } from "./errors";
import { serviceAccountSchema } from "./iam";
import { imageReferenceProblem } from "./image-reference";
import { parseCpuNanos, parseMemoryBytes } from "./quantity";
import { secretRefSchema } from "./secret";
import { checkMounts, volumeMountSchema, volumeSchema } from "./volume";
import { checkContainers, MAX_CONTAINERS } from "./containers";
import { checkResources } from "./cpu-memory";
import { labelsSchema } from "./labels";
import { dnsLabel } from "./names";

/**
 * A revision template, as a Service carries it and a Revision snapshots it: the container (image,
 * command, args, env, port), its limits and its scaling, secret env and volumes (volume.ts). Defaults are the schema's; the types are
 * inferred from it.
 */

/** What the platform tells every container about itself; a template may not set these names. */
export function platformEnv(port: number, service: string, revision: string): Record<string, string> {
  return { PORT: String(port), K_SERVICE: service, K_REVISION: revision, K_CONFIGURATION: service };
}

export const RESERVED_ENV: readonly string[] = Object.keys(platformEnv(0, "", ""));

/** Cloud Run keeps names with this prefix for its deployment tools (gcloud refuses them too). */
const GOOGLE_PREFIX = "X_GOOGLE_";

/**
 * Why `key` cannot name an environment variable of a template, or undefined. Cloud Run's rule, not a
 * shell's: any printable ASCII but "=", so `spring.profiles.active` and `my-var` are names (as
 * Kubernetes' relaxed rule has it; Cloud Run's docs list only the empty name, "=" and X_GOOGLE_).
 */
export function envNameProblem(key: string, reserved: readonly string[]): string | undefined {
  if (key === "") return "must not be empty: an environment variable needs a name";
  if (key.includes("=")) return 'must not contain "=" (it ends the name in the environment)';
  if (/[^\x20-\x7e]/.test(key)) return "must be printable ASCII (no control or non-ASCII characters)";
  if (key.startsWith(GOOGLE_PREFIX)) return `is reserved: names starting with ${GOOGLE_PREFIX} are kept for Cloud Run's deployment tools`;
  if (reserved.includes(key)) return `is reserved: the platform sets ${reserved.slice(0, -1).join(", ")} and ${reserved.at(-1)}`;
  return undefined;
}

/** Cloud Run's limits on a container's environment: how many variables, and how long one value may be. */
export const MAX_ENV_VARS = 1000;
export const MAX_ENV_VALUE_BYTES = 32 * 1024;

/** Environment variables by name; the names the platform sets itself (`reserved`) are refused. */
export function envSchema(reserved: readonly string[]) {
  const value = z.string({ error: "must be a string" }).check((ctx) => {
    const bytes = Buffer.byteLength(ctx.value);
    if (bytes > MAX_ENV_VALUE_BYTES) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `is ${bytes} bytes long; Cloud Run takes values of at most 32 KiB (${MAX_ENV_VALUE_BYTES} bytes)`,
      });
    }
  });
  return namedBy(value, reserved);
}

/** A record keyed by variable names. The names are checked over the keys here: a failing key schema inside z.record reaches the user only as zod's generic "Invalid key in record". */
function namedBy<V extends z.ZodType>(value: V, reserved: readonly string[]) {
  return z.record(z.string(), value).check((ctx) => {
    const count = Object.keys(ctx.value).length;
    if (count > MAX_ENV_VARS) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `has ${count} variables; Cloud Run takes at most ${MAX_ENV_VARS} per container`,
      });
    }
    for (const key of Object.keys(ctx.value)) {
      const message = envNameProblem(key, reserved);
      if (message) ctx.issues.push({ code: "custom", input: key, path: [key], message });
    }
  });
}

/**
 * What a service's and a job's templates both have for secrets and volumes: variables whose values
 * are secrets (`{ DB_PASSWORD: { secret: "db-pass", version: "1" } }`, resolved when a container
 * starts), the volumes and where the container mounts them. Absent (not empty) by default, so a
 * template written before them keeps its fingerprint and makes no new revision.
 */
export function mountFields(reserved: readonly string[]) {
  return {
    secretEnv: namedBy(secretRefSchema, reserved).optional(),
    volumes: z.array(volumeSchema).optional(),
    volumeMounts: z.array(volumeMountSchema).optional(),
  };
}

/**
 * An integer field. A value of another type is shown in the reason (`got "60s"`): Pulumi's
 * message prints no value for a nested property, so the reason is the only place it appears.
 */
export const int = (message: string) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? "is required" : `${message}, got ${JSON.stringify(issue.input)}`) })
    .int(message);

/** A container image reference, in Docker's grammar. */
export const imageSchema = z
  .string({ error: "is required: the container image to run" })
  .min(1, "must not be empty")
  .check((ctx) => {
    const problem = imageReferenceProblem(ctx.value);
    if (problem !== undefined) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
  });

/** A header the HTTP probe sends (Kubernetes' HTTPHeader). */
const probeHeaderSchema = z
  .object({
    name: z
      .string({ error: "is required: the header's name" })
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)"),
    value: z
      .string({ error: "must be a string" })
      .refine((v) => !/[\r\n\0]/.test(v), "must not contain a line break or NUL")
      .default(""),
  })
  .strict();

/**
 * An HTTP startup probe: a GET of `path` on `port` (the container's port when not given); a status
 * 200-399 passes. Absent unless given, so a TCP template keeps its fingerprint.
 */
export const httpGetProbeSchema = z
  .object({
    path: z
      .string({ error: "must be a string" })
      .regex(/^\/[\x21-\x7e]*$/, "must be an absolute path such as /healthz (starting with /, no spaces)")
      .default("/"),
    port: int("must be an integer").min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").optional(),
    httpHeaders: z.array(probeHeaderSchema).optional(),
  })
  .strict();

/**
 * A gRPC probe: a call of the standard health service (`grpc.health.v1.Health/Check`) of `service`
 * (the server as a whole when empty) on `port` (the container's when not given); SERVING passes.
 */
export const grpcProbeSchema = z
  .object({
    port: int("must be an integer").min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").optional(),
    service: z.string({ error: "must be a string: the name the health service knows" }).optional(),
  })
  .strict();

/**
 * The timings' defaults depend on the kind, as on Cloud Run: the TCP probe's (the default probe)
 * are 240 s period and timeout, one failure; an HTTP probe's are 10 s period, 1 s timeout, three
 * failures. A TCP template's values are those it always had, so its fingerprint is unchanged.
 */
const PROBE_DEFAULTS = {
  tcp: { initialDelaySeconds: 0, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 },
  http: { initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3 },
};

export const startupProbeSchema = z
  .object({
    tcpSocket: z
      .object({ port: int("must be an integer").min(1).max(65535).optional() })
      .strict()
      .optional(),
    httpGet: httpGetProbeSchema.optional(),
    grpc: grpcProbeSchema.optional(),
    initialDelaySeconds: int("must be an integer").min(0, "must be 0 or more").max(240, "must be at most 240").optional(),
    timeoutSeconds: int("must be an integer").min(1, "must be at least 1").max(240, "must be at most 240").optional(),
    periodSeconds: int("must be an integer").min(1, "must be at least 1").max(240, "must be at most 240").optional(),
    failureThreshold: int("must be an integer").min(1, "must be at least 1").optional(),
  })
  .strict()
  .refine((p) => p.tcpSocket === undefined || p.httpGet === undefined, {
    message: "give tcpSocket or httpGet, not both: a startup probe is one check",
    path: ["httpGet"],
  })
  .refine((p) => p.grpc === undefined || (p.tcpSocket === undefined && p.httpGet === undefined), {
    message: "give one of tcpSocket, httpGet or grpc: a startup probe is one check",
    path: ["grpc"],
  })
  .superRefine((p, ctx) => {
    // HTTP and gRPC probes only: a TCP probe's timeout is not used (the engine reads the container's
    // socket table), and its stored default (240 s, the default probe's) beside a shorter given
    // period would make a template's own export fail when read back.
    if (p.httpGet !== undefined || p.grpc !== undefined)
      timeoutWithinPeriod(
        p.timeoutSeconds ?? PROBE_DEFAULTS.http.timeoutSeconds,
        p.periodSeconds ?? PROBE_DEFAULTS.http.periodSeconds,
        ctx,
      );
  })
  .transform((p) => {
    const d = p.httpGet === undefined && p.grpc === undefined ? PROBE_DEFAULTS.tcp : PROBE_DEFAULTS.http;
    return {
      ...(p.tcpSocket !== undefined ? { tcpSocket: p.tcpSocket } : {}),
      ...(p.httpGet !== undefined ? { httpGet: p.httpGet } : {}),
      ...(p.grpc !== undefined ? { grpc: p.grpc } : {}),
      initialDelaySeconds: p.initialDelaySeconds ?? d.initialDelaySeconds,
      timeoutSeconds: p.timeoutSeconds ?? d.timeoutSeconds,
      periodSeconds: p.periodSeconds ?? d.periodSeconds,
      failureThreshold: p.failureThreshold ?? d.failureThreshold,
    };
  });

/** Cloud Run's rule for every probe: periodSeconds must be at least timeoutSeconds (a GET is over before the next one). */
function timeoutWithinPeriod(timeoutSeconds: number, periodSeconds: number, ctx: z.RefinementCtx): void {
  // A value refused on its own (zod still runs this) is named once, for itself.
  if (!Number.isInteger(timeoutSeconds) || !Number.isInteger(periodSeconds) || timeoutSeconds < 1 || periodSeconds < 1) return;
  if (timeoutSeconds > periodSeconds)
    ctx.addIssue({
      code: "custom",
      path: ["timeoutSeconds"],
      message: `must not exceed periodSeconds (${periodSeconds}): a probe's check must end before the next one, got ${timeoutSeconds}`,
    });
}

/**
 * A liveness probe, as Cloud Run runs one: an HTTP GET (or a gRPC health check) every
 * periodSeconds once the container's startup probe has passed (and initialDelaySeconds after it
 * started); failureThreshold failures in a row and the container is dead, so its instance is
 * replaced. Cloud Run's limits: delay 0-3600, period 1-3600, timeout 1-3600 and at most the
 * period; TCP is a startup check only. Absent unless given (no fingerprint changes).
 */
export const livenessProbeSchema = z
  .object({
    httpGet: httpGetProbeSchema.optional(),
    tcpSocket: z.unknown().optional(),
    grpc: grpcProbeSchema.optional(),
    initialDelaySeconds: int("must be an integer").min(0, "must be 0 or more").max(3600, "must be at most 3600").default(0),
    timeoutSeconds: int("must be an integer").min(1, "must be at least 1").max(3600, "must be at most 3600").default(1),
    periodSeconds: int("must be an integer").min(1, "must be at least 1").max(3600, "must be at most 3600").default(10),
    failureThreshold: int("must be an integer").min(1, "must be at least 1").default(3),
  })
  .strict()
  .superRefine((p, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (p.tcpSocket !== undefined)
      issue(["tcpSocket"], "is not a liveness check Cloud Run runs (TCP is for startup probes): give httpGet with the path to GET");
    else if (p.grpc !== undefined && p.httpGet !== undefined)
      issue(["grpc"], "give httpGet or grpc, not both: a liveness probe is one check");
    else if (p.httpGet === undefined && p.grpc === undefined)
      issue(["httpGet"], "is required: a liveness probe needs a check (httpGet with the path to GET, or grpc)");
    timeoutWithinPeriod(p.timeoutSeconds, p.periodSeconds, ctx);
  })
  .transform(({ tcpSocket: _tcp, ...p }) => p);

/** One check per quantity, so a bad value gets one clear reason rather than several. */
function quantity(parse: (q: string) => number | undefined, example: string, min: number, max: number, range: string) {
  return z.string({ error: `must be a string such as "${example}"` }).check((ctx) => {
    const value = parse(ctx.value);
    if (value === undefined)
      ctx.issues.push({ code: "custom", input: ctx.value, message: `must be a quantity such as ${example}, got "${ctx.value}"` });
    else if (value < min || value > max)
      ctx.issues.push({ code: "custom", input: ctx.value, message: `must be ${range}, got "${ctx.value}"` });
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

/** A container's name within its instance (Cloud Run: a DNS label); logs and dependsOn use it. */
export const containerNameSchema = dnsLabel(63);

/**
 * A sidecar: a container of the instance without a port (it gets no PORT and no requests), sharing
 * the ingress container's network namespace and the instance's in-memory volumes. Its startup probe,
 * when given, must name the port it listens on; without one it has started once it runs.
 */
export const sidecarSchema = z
  .object({
    name: containerNameSchema,
    image: imageSchema,
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    env: envSchema(RESERVED_ENV).default({}),
    resources: resourcesSchema.prefault({}),
    startupProbe: startupProbeSchema.optional(),
    livenessProbe: livenessProbeSchema.optional(),
    /** Containers that must pass their startup probes before this one starts. */
    dependsOn: z.array(containerNameSchema).optional(),
    secretEnv: namedBy(secretRefSchema, RESERVED_ENV).optional(),
    volumeMounts: z.array(volumeMountSchema).optional(),
  })
  .strict();

export type SidecarInput = z.input<typeof sidecarSchema>;
export type Sidecar = z.output<typeof sidecarSchema>;

/**
 * What makes a template one of several containers: the ingress container's name and what it
 * waits for, and its sidecars. Absent by default, so a single-container template keeps its
 * fingerprint and makes no new revision.
 */
export const containerFields = {
  containerName: containerNameSchema.optional(),
  dependsOn: z.array(containerNameSchema).optional(),
  sidecars: z
    .array(sidecarSchema)
    .max(MAX_CONTAINERS - 1, `must hold at most ${MAX_CONTAINERS - 1}: an instance has at most ${MAX_CONTAINERS} containers`)
    .optional(),
};

export const serviceTemplateSchema = z
  .object({
    image: imageSchema,
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    env: envSchema(RESERVED_ENV).default({}),
    port: int("must be an integer").min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").default(8080),
    maxInstanceRequestConcurrency: int("must be an integer")
      .min(1, "must be between 1 and 1000")
      .max(1000, "must be between 1 and 1000")
      .default(80),
    scaling: scalingSchema.prefault({}),
    timeout: int("must be a whole number of seconds")
      .min(1, "must be between 1 and 3600 seconds")
      .max(3600, "must be between 1 and 3600 seconds")
      .default(300),
    resources: resourcesSchema.prefault({}),
    startupProbe: startupProbeSchema.prefault({}),
    livenessProbe: livenessProbeSchema.optional(),
    /** Who the instances run as (the metadata server's tokens are theirs); unset: the project's default compute account. */
    serviceAccount: serviceAccountSchema.optional(),
    /**
     * HTTP/2 end to end: the router speaks h2c (HTTP/2 cleartext, prior knowledge) to the
     * instances, as gRPC needs; otherwise HTTP/1.1. `false` is the same template as leaving it
     * out (one fingerprint, so no revision is made for it).
     */
    http2: z
      .boolean({ error: "must be true or false" })
      .optional()
      .transform((on) => (on === true ? true : undefined)),
    /**
     * Session affinity: a client's requests go to the instance that answered its first one (a
     * cookie says which), as long as it is there and has a free slot; it outranks the traffic
     * split, as on Cloud Run. `false` is the same template as leaving it out.
     */
    sessionAffinity: z
      .boolean({ error: "must be true or false" })
      .optional()
      .transform((on) => (on === true ? true : undefined)),
    /**
     * The revision's own labels (Cloud Run v2's RevisionTemplate.labels, which its revisions
     * carry): metadata, part of the template as there (a change makes a revision). None is the
     * same template as leaving them out (one fingerprint).
     */
    labels: labelsSchema
      .unwrap()
      .optional()
      .transform((labels) => (labels && Object.keys(labels).length > 0 ? labels : undefined)),
    ...mountFields(RESERVED_ENV),
    ...containerFields,
  })
  .strict()
  .superRefine(checkMounts)
  .superRefine(checkContainers)
  .superRefine(checkResources);

export type ServiceTemplateInput = z.input<typeof serviceTemplateSchema>;
export type ServiceTemplate = z.output<typeof serviceTemplateSchema>;
/** The secrets and volumes of a service's or a job's template. */
export type MountedTemplate = Pick<ServiceTemplate, "secretEnv" | "volumes" | "volumeMounts">;

export function parseServiceTemplate(input: unknown, prefix = "template"): ServiceTemplate {
  const result = serviceTemplateSchema.safeParse(input);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error, prefix));
  return result.data;
}

/** The startup deadline the probe settings imply (the default TCP probe: 240 s). */
export function startupDeadlineMs(template: ServiceTemplate): number {
  const p = template.startupProbe;
  return (p.initialDelaySeconds + p.periodSeconds * p.failureThreshold) * 1000;
}
