import { Command } from "commander";
import type { ServiceSpecInput } from "../model/service";
import type { ServiceTemplateInput } from "../model/template";
import type { TrafficTargetInput } from "../model/traffic";
import { commonOptions, connect, withCommon } from "./common";
import { readRequestFile } from "./file-input";
import { render } from "./formats";
import { serviceToKnative } from "./knative";
import { UsageError, useFlagNames } from "./output";

/**
 * `skiff services replace FILE.yaml`: applies a Knative/Cloud Run Service object, the shape
 * `skiff services describe S --format export` (and `gcloud run services describe --format export`)
 * prints. What has a local meaning is applied (with the service account its instances run as and
 * the ingress annotation); fields with none (VPC access, launch stage annotations, ...) are named
 * once in a warning and left out, never an error. The IAM policy is not part of the file and stays.
 */
export interface ReplacePlan {
  name: string;
  spec: ServiceSpecInput;
  /** The template's own revision name (spec.template.metadata.name), as a suffix after `<name>-`. */
  revisionSuffix?: string;
  ignored: string[];
}

/** Set by the platform, never by a user: read back silently. */
const OUTPUT_ONLY =
  /^(status(\..*)?|metadata\.(generation|creationTimestamp|uid|resourceVersion|selfLink)|metadata\.annotations\.(run\.googleapis\.com\/ingress-status|serving\.knative\.dev\/(creator|lastModifier)|run\.googleapis\.com\/operation-id)|spec\.traffic\[\d+\]\.url|spec\.template\.spec\.containers\[0\]\.name)$/;

/**
 * `project` is the one the command works in (--project). The file's metadata.namespace is a
 * project too, as gcloud reads it: absent, or the same, it applies there; another one is an error
 * naming both, never a silent deploy into the wrong project.
 */
export function planReplace(doc: unknown, project: string): ReplacePlan {
  const root = asRecord(doc, "(file)");
  if (root.apiVersion !== "serving.knative.dev/v1" || root.kind !== "Service") {
    throw new UsageError(
      `FILE: expected a Knative Service (apiVersion: serving.knative.dev/v1, kind: Service), got apiVersion ${String(root.apiVersion)}, kind ${String(root.kind)}`,
    );
  }
  const used = new Set<string>(["apiVersion", "kind"]);
  const take = (path: string, value: unknown) => (used.add(path), value);
  const metadata = asRecord(root.metadata ?? {}, "metadata");
  const name = take("metadata.name", metadata.name);
  if (typeof name !== "string" || name === "") throw new UsageError("metadata.name: is required: the service's name");
  const namespace = take("metadata.namespace", metadata.namespace);
  if (namespace !== undefined && namespace !== project) {
    throw new UsageError(
      `metadata.namespace: the file is for project "${String(namespace)}" but the command works in project "${project}" (--project); make them the same, or leave the namespace out`,
    );
  }
  const labels = take("metadata.labels", metadata.labels) as Record<string, string> | undefined;
  if (labels) for (const k of Object.keys(labels)) used.add(`metadata.labels.${k}`);
  const annotations = asRecord(metadata.annotations ?? {}, "metadata.annotations");
  const ingressAnnotation = take("metadata.annotations.run.googleapis.com/ingress", annotations["run.googleapis.com/ingress"]);

  const spec = asRecord(root.spec ?? {}, "spec");
  const template = asRecord(spec.template ?? {}, "spec.template");
  const templateMeta = asRecord(template.metadata ?? {}, "spec.template.metadata");
  const templateAnnotations = asRecord(templateMeta.annotations ?? {}, "spec.template.metadata.annotations");
  const revisionName = take("spec.template.metadata.name", templateMeta.name);
  const podSpec = asRecord(template.spec ?? {}, "spec.template.spec");
  const containers = podSpec.containers;
  if (!Array.isArray(containers) || containers.length === 0)
    throw new UsageError("spec.template.spec.containers: one container is required");
  if (containers.length > 1)
    throw new UsageError(
      `spec.template.spec.containers: skiff runs one container per instance; this service has ${containers.length} (sidecars are not supported)`,
    );
  const container = asRecord(containers[0], "spec.template.spec.containers[0]");
  const at = "spec.template.spec.containers[0]";

  const t: ServiceTemplateInput = { image: take(`${at}.image`, container.image) as string };
  if (container.command !== undefined) t.command = take(`${at}.command`, container.command) as string[];
  if (container.args !== undefined) t.args = take(`${at}.args`, container.args) as string[];
  if (Array.isArray(container.env)) {
    t.env = {};
    container.env.forEach((entry, i) => {
      const e = asRecord(entry, `${at}.env[${i}]`);
      if (e.valueFrom !== undefined)
        throw new UsageError(
          `${at}.env[${i}].valueFrom: secrets and other value sources are not supported locally; give ${String(e.name)} a value`,
        );
      t.env![String(take(`${at}.env[${i}].name`, e.name))] = String(take(`${at}.env[${i}].value`, e.value) ?? "");
    });
  }
  const firstPort = (container.ports as { containerPort?: number; name?: unknown }[] | undefined)?.[0];
  if (firstPort?.containerPort !== undefined) t.port = take(`${at}.ports[0].containerPort`, firstPort.containerPort) as number;
  const protocol = take(`${at}.ports[0].name`, firstPort?.name);
  // Cloud Run's two port names: h2c is HTTP/2 end to end, http1 (or none) is HTTP/1.1.
  if (protocol === "h2c") t.http2 = true;
  else if (protocol !== undefined && protocol !== "http1")
    throw new UsageError(`${at}.ports[0].name: must be http1 or h2c (HTTP/2 end to end), got ${JSON.stringify(protocol)}`);
  const limits = asRecord(asRecord(container.resources ?? {}, `${at}.resources`).limits ?? {}, `${at}.resources.limits`);
  if (limits.cpu !== undefined || limits.memory !== undefined) {
    t.resources = {};
    if (limits.cpu !== undefined) t.resources.cpu = String(take(`${at}.resources.limits.cpu`, limits.cpu));
    if (limits.memory !== undefined) t.resources.memory = String(take(`${at}.resources.limits.memory`, limits.memory));
  }
  if (container.startupProbe !== undefined)
    t.startupProbe = startupProbeFrom(asRecord(container.startupProbe, `${at}.startupProbe`), `${at}.startupProbe`, used, t.port ?? 8080);
  if (podSpec.containerConcurrency !== undefined)
    t.maxInstanceRequestConcurrency = take("spec.template.spec.containerConcurrency", podSpec.containerConcurrency) as number;
  if (podSpec.timeoutSeconds !== undefined) t.timeout = take("spec.template.spec.timeoutSeconds", podSpec.timeoutSeconds) as number;
  if (podSpec.serviceAccountName !== undefined)
    t.serviceAccount = take("spec.template.spec.serviceAccountName", podSpec.serviceAccountName) as string;
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
      if (take(`spec.traffic[${i}].latestRevision`, e.latestRevision) === true) out.type = "LATEST";
      if (e.revisionName !== undefined) out.revision = String(take(`spec.traffic[${i}].revisionName`, e.revisionName));
      if (e.tag !== undefined) out.tag = String(take(`spec.traffic[${i}].tag`, e.tag));
      return out;
    });
  }

  let revisionSuffix: string | undefined;
  if (revisionName !== undefined) {
    if (typeof revisionName !== "string" || !revisionName.startsWith(`${name}-`)) {
      throw new UsageError(
        `spec.template.metadata.name: a revision's name must start with the service's name and a hyphen ("${name}-..."), got "${String(revisionName)}"`,
      );
    }
    revisionSuffix = revisionName.slice(name.length + 1);
  }
  const ingress = ingressAnnotation === undefined ? undefined : (String(ingressAnnotation) as ServiceSpecInput["ingress"]);
  const ignored = leafPaths(root).filter((p) => !used.has(p) && !OUTPUT_ONLY.test(p));
  return {
    name,
    spec: { template: t, labels: labels ?? {}, ...(ingress ? { ingress } : {}), ...(traffic ? { traffic } : {}) },
    revisionSuffix,
    ignored,
  };
}

/**
 * The probe's TCP port is kept only when it differs from the container's port: `services describe
 * --format export` (and gcloud's export) always print `tcpSocket.port`, and that is the default,
 * so a replaced export must give back the template it came from (no pinned port that a later
 * `deploy --port` would leave behind).
 */
function startupProbeFrom(p: Record<string, unknown>, at: string, used: Set<string>, containerPort: number): Record<string, unknown> {
  const probe: Record<string, unknown> = {};
  for (const key of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "failureThreshold"]) {
    if (p[key] === undefined) continue;
    used.add(`${at}.${key}`);
    probe[key] = p[key];
  }
  const tcp = p.tcpSocket as { port?: number } | undefined;
  if (tcp !== undefined && tcp !== null) used.add(`${at}.tcpSocket`);
  if (tcp?.port !== undefined) {
    used.add(`${at}.tcpSocket.port`);
    if (tcp.port !== containerPort) probe.tcpSocket = { port: tcp.port };
  }
  return probe;
}

function wholeNumber(value: unknown, field: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${field}: must be a whole number, got "${String(value)}"`);
  return n;
}

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new UsageError(`${field}: must be a mapping`);
  return value as Record<string, unknown>;
}

/** Every leaf's path, as `a.b[0].c`; an annotation or label key stays one segment even with dots in it. */
function leafPaths(value: unknown, at = ""): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [at] : value.flatMap((v, i) => leafPaths(v, `${at}[${i}]`));
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [at];
    return entries.flatMap(([k, v]) => leafPaths(v, at ? `${at}.${k}` : k));
  }
  return [at];
}

/** Engine field paths as the Knative file names them, so an error points into the user's YAML. */
const KNATIVE_PATH_OF_FIELD: Record<string, string> = {
  "template.image": "spec.template.spec.containers[0].image",
  "template.env": "spec.template.spec.containers[0].env",
  "template.port": "spec.template.spec.containers[0].ports[0].containerPort",
  "template.command": "spec.template.spec.containers[0].command",
  "template.args": "spec.template.spec.containers[0].args",
  "template.resources.memory": "spec.template.spec.containers[0].resources.limits.memory",
  "template.resources.cpu": "spec.template.spec.containers[0].resources.limits.cpu",
  "template.startupProbe": "spec.template.spec.containers[0].startupProbe",
  "template.maxInstanceRequestConcurrency": "spec.template.spec.containerConcurrency",
  "template.timeout": "spec.template.spec.timeoutSeconds",
  "template.serviceAccount": "spec.template.spec.serviceAccountName",
  "template.http2": "spec.template.spec.containers[0].ports[0].name",
  "template.scaling.minInstanceCount": "spec.template.metadata.annotations.autoscaling.knative.dev/minScale",
  "template.scaling.maxInstanceCount": "spec.template.metadata.annotations.autoscaling.knative.dev/maxScale",
  traffic: "spec.traffic",
  revisionSuffix: "spec.template.metadata.name",
  labels: "metadata.labels",
  ingress: "metadata.annotations.run.googleapis.com/ingress",
};

export function replaceCommand(): Command {
  return withCommon(new Command("replace"))
    .argument("<file>", "a Knative Service in YAML or JSON (what `services describe --format export` prints)")
    .description("create or update a service from a Knative/Cloud Run Service YAML")
    .action(async (file: string, options) => {
      const { project, format } = commonOptions(options);
      const text = readRequestFile(file, "FILE");
      const { parse } = require("yaml") as typeof import("yaml");
      let doc: unknown;
      try {
        doc = parse(text);
      } catch (error) {
        throw new UsageError(`FILE: "${file}" is not YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
      }
      useFlagNames(KNATIVE_PATH_OF_FIELD);
      const plan = planReplace(doc, project);
      if (plan.ignored.length > 0)
        process.stderr.write(`skiff: warning: these fields have no local meaning and were ignored: ${plan.ignored.join(", ")}\n`);
      const client = await connect();
      const answer = await client.putService(project, plan.name, plan.spec, { revisionSuffix: plan.revisionSuffix });
      if (answer.revision?.status === "FAILED") {
        process.stderr.write(`skiff: error: ${answer.revision.error}\n`);
        process.exitCode = 1;
        return;
      }
      render(format, serviceToKnative(answer.service, answer.revision), () =>
        process.stdout.write(
          `Service ${plan.name} ${answer.revision ? `is now at revision ${answer.revision.name}` : "unchanged (same template)"}.\nService URL: ${answer.service.url}\n`,
        ),
      );
    });
}
