import { invalid } from "../model/errors";
import { JOB_LIVENESS_PROBE_REFUSED, type JobSpecInput, type JobTemplateInput } from "../model/job";
import { MAX_CONTAINERS } from "../model/containers";
import { knativePathOf, leafPaths } from "./service-from-knative";
import { DEPENDENCIES_ANNOTATION, sidecarsFromKnative } from "./containers";
import { CLOUDSQL_ANNOTATION, mountsFromKnative } from "./volumes";
import { resolveSecretAliases, secretAliasesFromAnnotation, SECRETS_ANNOTATION } from "./secret-aliases";

/**
 * A Cloud Run run.googleapis.com/v1 Job object (what `skiff jobs describe --format export` and
 * gcloud print) read back into a job spec, for the engine's v1 API: the inverse of jobToCloudRun.
 * Fields it does not read are listed in `ignored`, never an error; secrets and volumes are read as
 * services replace reads them (volumes.ts).
 */
export interface JobPlan {
  name: string;
  namespace?: string;
  spec: JobSpecInput;
  ignored: string[];
}

type Obj = Record<string, unknown>;

/** Set by the platform, never by a user: read back silently. */
const OUTPUT_ONLY =
  /^(status(\..*)?|metadata\.(generation|creationTimestamp|uid|resourceVersion|selfLink)|metadata\.annotations\.(serving\.knative\.dev\/(creator|lastModifier)|run\.googleapis\.com\/(operation-id|creator|lastModifier)))$/;

const TASK = "spec.template.spec.template.spec";
/** Where Cloud Run has a job's annotations: its execution template's metadata. */
const ANNOTATIONS = "spec.template.metadata.annotations";
/** Where skiff printed them before (a field Cloud Run's task template does not have). */
const LEGACY_ANNOTATIONS = "spec.template.spec.template.metadata.annotations";
const CONTAINER = `${TASK}.containers[0]`;

/** Engine field paths of a job spec as the Cloud Run Job object names them, for errors. */
export const CLOUD_RUN_JOB_PATH_OF_FIELD: Readonly<Record<string, string>> = {
  "template.image": `${CONTAINER}.image`,
  "template.command": `${CONTAINER}.command`,
  "template.args": `${CONTAINER}.args`,
  "template.env": `${CONTAINER}.env`,
  "template.secretEnv": `${CONTAINER}.env`,
  "template.volumes": `${TASK}.volumes`,
  "template.volumeMounts": `${CONTAINER}.volumeMounts`,
  "template.resources.cpu": `${CONTAINER}.resources.limits.cpu`,
  "template.resources.memory": `${CONTAINER}.resources.limits.memory`,
  "template.taskCount": "spec.template.spec.taskCount",
  "template.parallelism": "spec.template.spec.parallelism",
  "template.maxRetries": `${TASK}.maxRetries`,
  "template.timeout": `${TASK}.timeoutSeconds`,
  "template.serviceAccount": `${TASK}.serviceAccountName`,
  "template.containerName": `${CONTAINER}.name`,
  "template.dependsOn": `spec.template.metadata.annotations.${DEPENDENCIES_ANNOTATION}`,
  labels: "metadata.labels",
};

/** An engine path of a job spec as the Cloud Run Job object names it; sidecar i is the task's container i+1. */
export function cloudRunJobPathOf(field: string): string {
  const sidecar = /^template\.sidecars\[(\d+)\](.*)$/.exec(field);
  if (sidecar) {
    // A sidecar's field is the main container's field at the sidecar's own index (resources.cpu → resources.limits.cpu).
    const at = `${TASK}.containers[${Number(sidecar[1]) + 1}]`;
    const inner = knativePathOf(`template${sidecar[2]}`, CLOUD_RUN_JOB_PATH_OF_FIELD);
    return inner.startsWith(CONTAINER) ? `${at}${inner.slice(CONTAINER.length)}` : `${at}${sidecar[2]}`;
  }
  if (field === "template.sidecars") return `${TASK}.containers`;
  return knativePathOf(field, CLOUD_RUN_JOB_PATH_OF_FIELD);
}

export function jobSpecFromCloudRun(doc: unknown, document = "body"): JobPlan {
  const root = record(doc, document);
  if (root.apiVersion !== "run.googleapis.com/v1" || root.kind !== "Job")
    throw invalid(
      document,
      `expected a Cloud Run Job (apiVersion: run.googleapis.com/v1, kind: Job), got apiVersion ${String(root.apiVersion)}, kind ${String(root.kind)}`,
    );
  const used = new Set<string>(["apiVersion", "kind", "status"]);
  const metadata = record(root.metadata ?? {}, "metadata");
  if (typeof metadata.name !== "string" || metadata.name === "") throw invalid("metadata.name", "is required: the job's name");
  const execution = record(record(record(root.spec ?? {}, "spec").template ?? {}, "spec.template").spec ?? {}, "spec.template.spec");
  const task = record(record(execution.template ?? {}, "spec.template.spec.template").spec ?? {}, "spec.template.spec.template.spec");
  const at = TASK;
  const containers = task.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw invalid(`${at}.containers`, "one container is required");
  if (containers.length > MAX_CONTAINERS)
    throw invalid(`${at}.containers`, `a task has at most ${MAX_CONTAINERS} containers, got ${containers.length}`);
  // Refused, not ignored: Cloud Run's API refuses a job container's liveness probe, so a file that applies here applies there.
  containers.forEach((entry, i) => {
    if (record(entry, `${at}.containers[${i}]`).livenessProbe !== undefined)
      throw invalid(`${at}.containers[${i}].livenessProbe`, JOB_LIVENESS_PROBE_REFUSED);
  });
  const container = record(containers[0], `${at}.containers[0]`);
  const c = CONTAINER;
  const t: JobTemplateInput = { image: container.image as string };
  used.add(`${c}.image`);
  // Cloud Run has a job's annotations (Cloud SQL, container dependencies) on its execution template
  // (a task template has no metadata); skiff printed them on the task template before, read still.
  const executionTemplate = record(record(root.spec ?? {}, "spec").template ?? {}, "spec.template");
  const legacyTask = record(execution.template ?? {}, "spec.template.spec.template").metadata;
  const annotationsAt = legacyTask !== undefined && executionTemplate.metadata === undefined ? LEGACY_ANNOTATIONS : ANNOTATIONS;
  const taskAnnotations = record(
    record((annotationsAt === ANNOTATIONS ? executionTemplate.metadata : legacyTask) ?? {}, annotationsAt.replace(/\.annotations$/, ""))
      .annotations ?? {},
    annotationsAt,
  );
  for (const key of [DEPENDENCIES_ANNOTATION, CLOUDSQL_ANNOTATION]) if (key in taskAnnotations) used.add(`${annotationsAt}.${key}`);
  // An empty execution-template metadata (what describe prints for a job without annotations) says nothing.
  const templateMetadata = executionTemplate.metadata;
  if (isEmptyObject(templateMetadata)) used.add("spec.template.metadata");
  if (containers.length > 1) readSidecars(t, containers, container, taskAnnotations, annotationsAt, (path) => used.add(path));
  for (const key of ["command", "args"] as const) {
    if (container[key] === undefined) continue;
    t[key] = container[key] as string[];
    used.add(`${c}.${key}`);
  }
  const envList = Array.isArray(container.env) ? (container.env as unknown[]) : [];
  if (Array.isArray(container.env)) {
    t.env = {};
    envList.forEach((entry, i) => {
      const e = record(entry, `${c}.env[${i}]`);
      if (e.valueFrom !== undefined) return; // a secret: read below
      t.env![String(e.name)] = String(e.value ?? "");
    });
    used.add(`${c}.env`);
  }
  Object.assign(
    t,
    mountsFromKnative({
      env: envList,
      volumeMounts: container.volumeMounts,
      volumes: task.volumes,
      cloudSqlAnnotation: taskAnnotations[CLOUDSQL_ANNOTATION],
      containerAt: c,
      podAt: at,
      used: (path) => used.add(path),
    }),
  );
  if (SECRETS_ANNOTATION in taskAnnotations) used.add(`${annotationsAt}.${SECRETS_ANNOTATION}`);
  resolveSecretAliases(t, secretAliasesFromAnnotation(taskAnnotations[SECRETS_ANNOTATION], `${annotationsAt}.${SECRETS_ANNOTATION}`));
  if (container.volumeMounts !== undefined) used.add(`${c}.volumeMounts`);
  if (task.volumes !== undefined) used.add(`${at}.volumes`);
  const limits = record(record(container.resources ?? {}, `${c}.resources`).limits ?? {}, `${c}.resources.limits`);
  if (limits.cpu !== undefined || limits.memory !== undefined) {
    t.resources = {};
    if (limits.cpu !== undefined) t.resources.cpu = String(limits.cpu);
    if (limits.memory !== undefined) t.resources.memory = String(limits.memory);
    used.add(`${c}.resources`);
  }
  const numbers: [keyof JobTemplateInput, Obj, string, string][] = [
    ["taskCount", execution, "taskCount", "spec.template.spec.taskCount"],
    ["parallelism", execution, "parallelism", "spec.template.spec.parallelism"],
    ["maxRetries", task, "maxRetries", `${at}.maxRetries`],
    ["timeout", task, "timeoutSeconds", `${at}.timeoutSeconds`],
  ];
  for (const [field, from, key, path] of numbers) {
    if (from[key] === undefined) continue;
    const n = Number(from[key]);
    if (!Number.isInteger(n)) throw invalid(path, `must be a whole number, got "${String(from[key])}"`);
    (t as Record<string, unknown>)[field] = n;
    used.add(path);
  }
  if (task.serviceAccountName !== undefined) {
    t.serviceAccount = String(task.serviceAccountName);
    used.add(`${at}.serviceAccountName`);
  }
  used.add("metadata.name").add("metadata.namespace").add("metadata.labels");
  // What was not read is named, as services replace names it: every leaf outside what was read, but what the platform sets.
  const read = (path: string) => [...path.matchAll(/[.[]/g)].some((m) => used.has(path.slice(0, m.index))) || used.has(path);
  const ignored = leafPaths(root).filter((path) => !read(path) && !OUTPUT_ONLY.test(path));
  return {
    name: metadata.name,
    namespace: metadata.namespace as string | undefined,
    spec: { template: t, labels: (metadata.labels as Record<string, string> | undefined) ?? {} },
    ignored,
  };
}

/** A task of several containers: the first is the main one (named), the others its sidecars, the start order as the annotation. */
function readSidecars(
  t: JobTemplateInput,
  containers: unknown[],
  main: Obj,
  annotations: Obj,
  annotationsAt: string,
  used: (path: string) => void,
): void {
  used(`${CONTAINER}.name`);
  t.containerName = main.name as string;
  const others = sidecarsFromKnative(containers, 0, annotations[DEPENDENCIES_ANNOTATION], used, TASK, annotationsAt);
  if (others.sidecars) t.sidecars = others.sidecars;
  for (const [name, deps] of Object.entries(others.dependsOn ?? {})) {
    const sidecar = t.sidecars?.find((s) => s.name === name);
    if (name === t.containerName) t.dependsOn = deps;
    else if (sidecar) sidecar.dependsOn = deps;
    else throw invalid(`${annotationsAt}.${DEPENDENCIES_ANNOTATION}`, `names no container: "${name}" is not among the task's containers`);
  }
}

function record(value: unknown, field: string): Obj {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw invalid(field, "must be a mapping");
  return value as Obj;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
