import { invalid } from "../model/errors";
import { customAudiencesSchema } from "../model/custom-audiences";
import { serviceDescriptionSchema, type ServiceSpecInput } from "../model/service";
import type { ServiceTemplateInput } from "../model/template";
import type { TrafficTargetInput } from "../model/traffic";
import { MAX_CONTAINERS } from "../model/containers";
import { DEPENDENCIES_ANNOTATION, ingressIndex, sidecarsFromKnative, takeList } from "./containers";
import { CLOUDSQL_ANNOTATION, mountsFromKnative } from "./volumes";
import { resolveSecretAliases, secretAliasesFromAnnotation, SECRETS_ANNOTATION } from "./secret-aliases";
import { livenessProbeFromKnative, startupProbeFromKnative } from "./startup-probe";
import { SERVICE_SCALING_KNATIVE_PATHS, serviceScalingFromAnnotations } from "./service-scaling";

/**
 * A Knative/Cloud Run Service object read back into a service spec: what `skiff services replace
 * FILE.yaml` and a PUT to the engine's Knative-shaped v1 API apply, the shape `skiff services
 * describe S --format export` (and `gcloud run services describe --format export`) prints. What has
 * a local meaning is applied (with the service account its instances run as and the ingress
 * annotation); fields with none (VPC access, launch stage annotations, ...) are listed in `ignored`
 * for the caller to name once, never an error. The IAM policy is not part of the object and stays.
 */
export interface ReplacePlan {
  name: string;
  spec: ServiceSpecInput;
  /** The template's own revision name (spec.template.metadata.name), as a suffix after `<name>-`. */
  revisionSuffix?: string;
  ignored: string[];
  /** An engine field path as this file names it (the ingress container and each sidecar at its own index), for errors. */
  pathOf: (field: string) => string;
}

/** Session affinity, a template annotation in Cloud Run's YAML (gcloud's --session-affinity writes it). */
export const SESSION_AFFINITY_ANNOTATION = "run.googleapis.com/sessionAffinity";

/** Set by the platform, never by a user: read back silently. */
const OUTPUT_ONLY =
  /^(status(\..*)?|metadata\.(generation|creationTimestamp|uid|resourceVersion|selfLink)|metadata\.annotations\.(run\.googleapis\.com\/ingress-status|serving\.knative\.dev\/(creator|lastModifier)|run\.googleapis\.com\/operation-id)|spec\.traffic\[\d+\]\.url|spec\.template\.spec\.containers\[0\]\.name)$/;

/** How errors name what was read, so each caller's errors point at what its user gave. */
export interface ReplaceWording {
  /** The whole document: "FILE" for the CLI's argument. */
  document: string;
  /** The namespace error's two sides: the file's project, and where the one in use comes from. */
  namespaceConflict: (namespace: string, project: string) => string;
}

const CLI_WORDING: ReplaceWording = {
  document: "FILE",
  namespaceConflict: (namespace, project) =>
    `the file is for project "${namespace}" but the command works in project "${project}" (--project); make them the same, or leave the namespace out`,
};

/**
 * `project` is the one the change applies to (the CLI's --project, the API path's namespace). The
 * object's metadata.namespace is a project too, as gcloud reads it: absent, or the same, it applies
 * there; another one is an error naming both, never a silent deploy into the wrong project.
 */
export function planReplace(doc: unknown, project: string, wording: ReplaceWording = CLI_WORDING): ReplacePlan {
  const root = asRecord(doc, "(file)");
  if (root.apiVersion !== "serving.knative.dev/v1" || root.kind !== "Service") {
    throw invalid(
      wording.document,
      `expected a Knative Service (apiVersion: serving.knative.dev/v1, kind: Service), got apiVersion ${String(root.apiVersion)}, kind ${String(root.kind)}`,
    );
  }
  const used = new Set<string>(["apiVersion", "kind"]);
  const take = (path: string, value: unknown) => (used.add(path), value);
  const metadata = asRecord(root.metadata ?? {}, "metadata");
  const name = take("metadata.name", metadata.name);
  if (typeof name !== "string" || name === "") throw invalid("metadata.name", "is required: the service's name");
  const namespace = take("metadata.namespace", metadata.namespace);
  if (namespace !== undefined && namespace !== project) {
    throw invalid("metadata.namespace", wording.namespaceConflict(String(namespace), project));
  }
  const labels = take("metadata.labels", metadata.labels) as Record<string, string> | undefined;
  if (labels) for (const k of Object.keys(labels)) used.add(`metadata.labels.${k}`);
  const annotations = asRecord(metadata.annotations ?? {}, "metadata.annotations");
  const ingressAnnotation = take("metadata.annotations.run.googleapis.com/ingress", annotations["run.googleapis.com/ingress"]);
  const customAudiences = customAudiencesFromAnnotation(
    take(`metadata.annotations.${CUSTOM_AUDIENCES_ANNOTATION}`, annotations[CUSTOM_AUDIENCES_ANNOTATION]),
  );
  const defaultUriDisabled = defaultUrlDisabledFromAnnotation(
    take(`metadata.annotations.${DEFAULT_URL_DISABLED_ANNOTATION}`, annotations[DEFAULT_URL_DISABLED_ANNOTATION]),
  );
  const description = descriptionFromAnnotation(
    take(`metadata.annotations.${DESCRIPTION_ANNOTATION}`, annotations[DESCRIPTION_ANNOTATION]),
  );
  const serviceScaling = serviceScalingFromAnnotations(annotations, take);

  const spec = asRecord(root.spec ?? {}, "spec");
  const template = asRecord(spec.template ?? {}, "spec.template");
  const templateMeta = asRecord(template.metadata ?? {}, "spec.template.metadata");
  const templateAnnotations = asRecord(templateMeta.annotations ?? {}, "spec.template.metadata.annotations");
  const revisionName = take("spec.template.metadata.name", templateMeta.name);
  const podSpec = asRecord(template.spec ?? {}, "spec.template.spec");
  const containers = podSpec.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw invalid("spec.template.spec.containers", "one container is required");
  if (containers.length > MAX_CONTAINERS)
    throw invalid("spec.template.spec.containers", `an instance has at most ${MAX_CONTAINERS} containers, got ${containers.length}`);
  const ingressAt = ingressIndex(containers);
  const container = asRecord(containers[ingressAt], `spec.template.spec.containers[${ingressAt}]`);
  const at = `spec.template.spec.containers[${ingressAt}]`;

  const t: ServiceTemplateInput = { image: take(`${at}.image`, container.image) as string };
  if (containers.length > 1) {
    // Named only in a template of several: a single container's name (gcloud's export has one) makes no difference here.
    t.containerName = take(`${at}.name`, container.name) as string;
    const others = sidecarsFromKnative(
      containers,
      ingressAt,
      take(`spec.template.metadata.annotations.${DEPENDENCIES_ANNOTATION}`, templateAnnotations[DEPENDENCIES_ANNOTATION]),
      (path) => used.add(path),
    );
    if (others.sidecars) t.sidecars = others.sidecars;
    for (const [name, deps] of Object.entries(others.dependsOn ?? {})) {
      if (name === t.containerName) t.dependsOn = deps;
      else {
        const sidecar = t.sidecars?.find((s) => s.name === name);
        if (!sidecar)
          throw invalid(
            `spec.template.metadata.annotations.${DEPENDENCIES_ANNOTATION}`,
            `names no container: "${name}" is not among the template's containers`,
          );
        sidecar.dependsOn = deps;
      }
    }
  }
  if (container.command !== undefined) t.command = takeList(`${at}.command`, container.command, (path) => used.add(path));
  if (container.args !== undefined) t.args = takeList(`${at}.args`, container.args, (path) => used.add(path));
  const envList = Array.isArray(container.env) ? (container.env as unknown[]) : [];
  if (Array.isArray(container.env)) {
    t.env = {};
    envList.forEach((entry, i) => {
      const e = asRecord(entry, `${at}.env[${i}]`);
      if (e.valueFrom !== undefined) return; // a secret: read below
      t.env![String(take(`${at}.env[${i}].name`, e.name))] = String(take(`${at}.env[${i}].value`, e.value) ?? "");
    });
  }
  Object.assign(
    t,
    mountsFromKnative({
      env: envList,
      volumeMounts: take(`${at}.volumeMounts`, container.volumeMounts),
      volumes: take("spec.template.spec.volumes", podSpec.volumes),
      cloudSqlAnnotation: take(`spec.template.metadata.annotations.${CLOUDSQL_ANNOTATION}`, templateAnnotations[CLOUDSQL_ANNOTATION]),
      containerAt: at,
      podAt: "spec.template.spec",
      used: (path) => used.add(path),
    }),
  );
  const firstPort = (container.ports as { containerPort?: number; name?: unknown }[] | undefined)?.[0];
  if (firstPort?.containerPort !== undefined) t.port = take(`${at}.ports[0].containerPort`, firstPort.containerPort) as number;
  const protocol = take(`${at}.ports[0].name`, firstPort?.name);
  // Cloud Run's two port names: h2c is HTTP/2 end to end, http1 (or none) is HTTP/1.1.
  if (protocol === "h2c") t.http2 = true;
  else if (protocol !== undefined && protocol !== "http1")
    throw invalid(`${at}.ports[0].name`, `must be http1 or h2c (HTTP/2 end to end), got ${JSON.stringify(protocol)}`);
  const limits = asRecord(asRecord(container.resources ?? {}, `${at}.resources`).limits ?? {}, `${at}.resources.limits`);
  if (limits.cpu !== undefined || limits.memory !== undefined) {
    t.resources = {};
    if (limits.cpu !== undefined) t.resources.cpu = String(take(`${at}.resources.limits.cpu`, limits.cpu));
    if (limits.memory !== undefined) t.resources.memory = String(take(`${at}.resources.limits.memory`, limits.memory));
  }
  if (container.startupProbe !== undefined)
    t.startupProbe = startupProbeFromKnative(
      asRecord(container.startupProbe, `${at}.startupProbe`),
      `${at}.startupProbe`,
      (path) => used.add(path),
      t.port ?? 8080,
    );
  if (container.livenessProbe !== undefined)
    t.livenessProbe = livenessProbeFromKnative(
      asRecord(container.livenessProbe, `${at}.livenessProbe`),
      `${at}.livenessProbe`,
      (path) => used.add(path),
      t.port ?? 8080,
    );
  if (podSpec.containerConcurrency !== undefined)
    t.maxInstanceRequestConcurrency = take("spec.template.spec.containerConcurrency", podSpec.containerConcurrency) as number;
  if (podSpec.timeoutSeconds !== undefined) t.timeout = take("spec.template.spec.timeoutSeconds", podSpec.timeoutSeconds) as number;
  if (podSpec.serviceAccountName !== undefined)
    t.serviceAccount = take("spec.template.spec.serviceAccountName", podSpec.serviceAccountName) as string;
  const affinity = take(
    `spec.template.metadata.annotations.${SESSION_AFFINITY_ANNOTATION}`,
    templateAnnotations[SESSION_AFFINITY_ANNOTATION],
  );
  // gcloud writes "true"; any case is a boolean, as Cloud Run reads it (checked with the others below).
  if (affinity !== undefined && String(affinity).toLowerCase() === "true") t.sessionAffinity = true;
  const minScale = take(
    "spec.template.metadata.annotations.autoscaling.knative.dev/minScale",
    templateAnnotations["autoscaling.knative.dev/minScale"],
  );
  const maxScale = take(
    "spec.template.metadata.annotations.autoscaling.knative.dev/maxScale",
    templateAnnotations["autoscaling.knative.dev/maxScale"],
  );
  if (minScale !== undefined || maxScale !== undefined) {
    t.scaling = {};
    if (minScale !== undefined)
      t.scaling.minInstanceCount = wholeNumber(minScale, "spec.template.metadata.annotations.autoscaling.knative.dev/minScale");
    if (maxScale !== undefined)
      t.scaling.maxInstanceCount = wholeNumber(maxScale, "spec.template.metadata.annotations.autoscaling.knative.dev/maxScale");
  }

  let traffic: TrafficTargetInput[] | undefined;
  if (Array.isArray(spec.traffic)) {
    traffic = spec.traffic.map((entry, i) => {
      const e = asRecord(entry, `spec.traffic[${i}]`);
      const out: TrafficTargetInput = { percent: Number(take(`spec.traffic[${i}].percent`, e.percent) ?? 0) };
      // latestRevision: false pins the entry (Knative: it then needs a revisionName); unset, the entry's type is inferred.
      const latest = take(`spec.traffic[${i}].latestRevision`, e.latestRevision);
      if (latest === true) out.type = "LATEST";
      else if (latest === false) out.type = "REVISION";
      if (e.revisionName !== undefined) out.revision = String(take(`spec.traffic[${i}].revisionName`, e.revisionName));
      if (e.tag !== undefined) out.tag = String(take(`spec.traffic[${i}].tag`, e.tag));
      return out;
    });
  }

  let revisionSuffix: string | undefined;
  if (revisionName !== undefined) {
    if (typeof revisionName !== "string" || !revisionName.startsWith(`${name}-`)) {
      throw invalid(
        "spec.template.metadata.name",
        `a revision's name must start with the service's name and a hyphen ("${name}-..."), got "${String(revisionName)}"`,
      );
    }
    revisionSuffix = revisionName.slice(name.length + 1);
  }
  checkCloudOnlyAnnotations(templateAnnotations, "spec.template.metadata.annotations");
  const aliasesAt = `spec.template.metadata.annotations.${SECRETS_ANNOTATION}`;
  resolveSecretAliases(t, secretAliasesFromAnnotation(take(aliasesAt, templateAnnotations[SECRETS_ANNOTATION]), aliasesAt));
  const ingress = ingressAnnotation === undefined ? undefined : (String(ingressAnnotation) as ServiceSpecInput["ingress"]);
  const ignored = leafPaths(root).filter((p) => !used.has(p) && !OUTPUT_ONLY.test(p));
  const sidecarAt = containers.map((_, i) => i).filter((i) => i !== ingressAt);
  return {
    name,
    // A replace is the whole service: a file without the annotations leaves it no custom audiences,
    // no description, its default URL on, and no service-level scaling.
    spec: {
      template: t,
      labels: labels ?? {},
      ...(ingress ? { ingress } : {}),
      ...(traffic ? { traffic } : {}),
      customAudiences,
      description,
      defaultUriDisabled,
      serviceScaling: serviceScaling as ServiceSpecInput["serviceScaling"],
    },
    revisionSuffix,
    ignored,
    pathOf: (field) => servicePathOf(field, ingressAt, sidecarAt),
  };
}

/** Cloud Run's service annotation for custom audiences: a JSON list of strings (on the service, not its template). */
export const CUSTOM_AUDIENCES_ANNOTATION = "run.googleapis.com/custom-audiences";

/** Cloud Run's service annotation for the service's description (gcloud's --description). */
export const DESCRIPTION_ANNOTATION = "run.googleapis.com/description";

function descriptionFromAnnotation(value: unknown): string {
  if (value === undefined) return "";
  const field = `metadata.annotations.${DESCRIPTION_ANNOTATION}`;
  if (typeof value !== "string") throw invalid(field, `must be a string (an annotation's value), got ${JSON.stringify(value)}`);
  const parsed = serviceDescriptionSchema.safeParse(value);
  if (!parsed.success) throw invalid(field, parsed.error.issues[0]?.message ?? "is not a valid description");
  return parsed.data;
}

/**
 * Cloud Run's service annotation that turns its run.app URLs off (gcloud's --no-default-url). gcloud
 * writes Python's "True"/"False" (config_changes.DefaultUrlChange), Cloud Run's docs "true": either case.
 */
export const DEFAULT_URL_DISABLED_ANNOTATION = "run.googleapis.com/default-url-disabled";

function defaultUrlDisabledFromAnnotation(value: unknown): boolean {
  if (value === undefined) return false;
  const text = typeof value === "string" || typeof value === "boolean" ? String(value).toLowerCase() : undefined;
  if (text === "true") return true;
  if (text === "false") return false;
  throw invalid(`metadata.annotations.${DEFAULT_URL_DISABLED_ANNOTATION}`, `must be "true" or "false", got ${JSON.stringify(value)}`);
}

function customAudiencesFromAnnotation(value: unknown): string[] {
  if (value === undefined) return [];
  const field = `metadata.annotations.${CUSTOM_AUDIENCES_ANNOTATION}`;
  let list: unknown;
  try {
    list = typeof value === "string" ? JSON.parse(value) : undefined;
  } catch {
    list = undefined;
  }
  const parsed = customAudiencesSchema.safeParse(list);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const reason = Array.isArray(list)
      ? `${issue?.path.length ? `item ${String(issue.path[0])} ` : ""}${issue?.message}`
      : `must be a JSON list of strings, such as '["https://api.example.com"]'`;
    throw invalid(field, reason);
  }
  return parsed.data;
}

/**
 * The values Cloud Run takes for the template annotations that mean something only there: they are
 * ignored here (and named as such), but a value Cloud Run would refuse is refused, naming it, so a
 * file that applies here applies there.
 */
const BOOLEAN = ["true", "false"];

const CLOUD_ONLY_VALUES: Record<string, readonly string[]> = {
  "run.googleapis.com/cpu-throttling": BOOLEAN,
  "run.googleapis.com/startup-cpu-boost": BOOLEAN,
  "run.googleapis.com/sessionAffinity": BOOLEAN,
  "run.googleapis.com/execution-environment": ["gen1", "gen2"],
  "run.googleapis.com/vpc-access-egress": ["all-traffic", "private-ranges-only", "all"],
};

function checkCloudOnlyAnnotations(annotations: Record<string, unknown>, at: string): void {
  for (const [key, allowed] of Object.entries(CLOUD_ONLY_VALUES)) {
    const value = annotations[key];
    // A boolean in any case: gcloud itself sends startup-cpu-boost: "True".
    const given = allowed === BOOLEAN ? String(value).toLowerCase() : String(value);
    if (value !== undefined && !allowed.includes(given))
      throw invalid(`${at}.${key}`, `must be ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}, got ${JSON.stringify(value)}`);
  }
}

function wholeNumber(value: unknown, field: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw invalid(field, `must be a whole number, got "${String(value)}"`);
  return n;
}

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw invalid(field, "must be a mapping");
  return value as Record<string, unknown>;
}

/** Every leaf's path, as `a.b[0].c`; an annotation or label key stays one segment even with dots in it. */
export function leafPaths(value: unknown, at = ""): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [at] : value.flatMap((v, i) => leafPaths(v, `${at}[${i}]`));
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [at];
    return entries.flatMap(([k, v]) => leafPaths(v, at ? `${at}.${k}` : k));
  }
  return [at];
}

/** Engine field paths as the Knative object names them, so an error points into the user's YAML. */
export const KNATIVE_PATH_OF_FIELD: Record<string, string> = {
  "template.image": "spec.template.spec.containers[0].image",
  "template.env": "spec.template.spec.containers[0].env",
  "template.port": "spec.template.spec.containers[0].ports[0].containerPort",
  "template.command": "spec.template.spec.containers[0].command",
  "template.args": "spec.template.spec.containers[0].args",
  "template.resources.memory": "spec.template.spec.containers[0].resources.limits.memory",
  "template.resources.cpu": "spec.template.spec.containers[0].resources.limits.cpu",
  "template.startupProbe": "spec.template.spec.containers[0].startupProbe",
  "template.livenessProbe": "spec.template.spec.containers[0].livenessProbe",
  "template.maxInstanceRequestConcurrency": "spec.template.spec.containerConcurrency",
  "template.timeout": "spec.template.spec.timeoutSeconds",
  "template.serviceAccount": "spec.template.spec.serviceAccountName",
  "template.http2": "spec.template.spec.containers[0].ports[0].name",
  "template.sessionAffinity": `spec.template.metadata.annotations.${SESSION_AFFINITY_ANNOTATION}`,
  "template.scaling.minInstanceCount": "spec.template.metadata.annotations.autoscaling.knative.dev/minScale",
  "template.scaling.maxInstanceCount": "spec.template.metadata.annotations.autoscaling.knative.dev/maxScale",
  "template.secretEnv": "spec.template.spec.containers[0].env",
  "template.volumes": "spec.template.spec.volumes",
  "template.volumeMounts": "spec.template.spec.containers[0].volumeMounts",
  traffic: "spec.traffic",
  revisionSuffix: "spec.template.metadata.name",
  labels: "metadata.labels",
  ingress: "metadata.annotations.run.googleapis.com/ingress",
  customAudiences: "metadata.annotations.run.googleapis.com/custom-audiences",
  description: `metadata.annotations.${DESCRIPTION_ANNOTATION}`,
  defaultUriDisabled: `metadata.annotations.${DEFAULT_URL_DISABLED_ANNOTATION}`,
  ...SERVICE_SCALING_KNATIVE_PATHS,
};

/**
 * An engine field path as a Service file names it, the ingress container at `ingressAt` and sidecar
 * i at `sidecarAt[i]` of its containers: `template.sidecars[0].env.PORT` →
 * `spec.template.spec.containers[1].env` when the sidecar is the file's second container.
 */
export function servicePathOf(field: string, ingressAt = 0, sidecarAt: readonly number[] = []): string {
  const containerPath = (path: string, index: number) =>
    path.replace(/^spec\.template\.spec\.containers\[0\]/, `spec.template.spec.containers[${index}]`);
  const sidecar = /^template\.sidecars\[(\d+)\](.*)$/.exec(field);
  if (sidecar) {
    const index = sidecarAt[Number(sidecar[1])] ?? Number(sidecar[1]) + 1;
    // A sidecar's dependsOn is the dependencies annotation's, which names it.
    if (sidecar[2].startsWith(".dependsOn")) return `spec.template.metadata.annotations.${DEPENDENCIES_ANNOTATION}`;
    const inner = knativePathOf(`template${sidecar[2]}`);
    return inner.startsWith("spec.template.spec.containers[0]")
      ? containerPath(inner, index)
      : `spec.template.spec.containers[${index}]${sidecar[2]}`;
  }
  if (field === "template.sidecars") return "spec.template.spec.containers";
  // A traffic entry's revision and type are its revisionName and latestRevision in the file.
  const entry = /^traffic\[(\d+)\]\.(revision|type)$/.exec(field);
  if (entry) return `spec.traffic[${entry[1]}].${entry[2] === "revision" ? "revisionName" : "latestRevision"}`;
  if (field === "template.dependsOn" || field.startsWith("template.dependsOn["))
    return `spec.template.metadata.annotations.${DEPENDENCIES_ANNOTATION}`;
  return containerPath(knativePathOf(field), ingressAt);
}

/**
 * An engine field path as the Knative object names it (`table`: a Service's by default), for an
 * API answer's violations: `traffic[0].percent` → `spec.traffic[0].percent`; a variable's name
 * under `template.env` points at the container's env list.
 */
export function knativePathOf(field: string, table: Readonly<Record<string, string>> = KNATIVE_PATH_OF_FIELD): string {
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    if ((field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`)) && (!best || prefix.length > best.length))
      best = prefix;
  }
  if (best === undefined) return field;
  const rest = best.endsWith(".env") ? "" : field.slice(best.length);
  return `${table[best]}${rest}`;
}
