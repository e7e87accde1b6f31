/**
 * What `pulumi preview --json` says, reduced to what a review reads: one entry per resource that
 * changes, with its kind, its inputs before and after, and what it depends on. Pulumi lists only
 * the resources that change (and the stack); a resource that stays the same has no step.
 */

/** A step as Pulumi prints it (only the fields read here). */
export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: ResourceState;
  newState?: ResourceState;
  replaceReasons?: string[];
}

interface ResourceState {
  id?: string;
  type?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

export interface PreviewJson {
  steps?: PreviewStep[];
  /** The stack's config (secrets as `[secret]`): `skiff:home` says which engine the program uses. */
  config?: Record<string, unknown>;
  diagnostics?: { severity?: string; message?: string; urn?: string }[];
}

/** What happens to a resource, in a reviewer's words: a replace makes the new one, then deletes the old. */
export type Operation = "create" | "update" | "replace" | "delete" | "read" | "same";

/** skiff's resource kinds, by the end of their type token. */
export type Kind =
  | "Service"
  | "Revision"
  | "TrafficTarget"
  | "Job"
  | "DomainMapping"
  | "cloudrunv2:Service"
  | "cloudrunv2:Job"
  | "cloudrun:DomainMapping"
  | "cloudrunv2:ServiceIamMember"
  | "cloudrunv2:ServiceIamBinding"
  | "cloudrunv2:ServiceIamPolicy"
  | "cloudrunv2:JobIamMember";

const KINDS: readonly Kind[] = [
  "Service",
  "Revision",
  "TrafficTarget",
  "Job",
  "DomainMapping",
  "cloudrunv2:Service",
  "cloudrunv2:Job",
  "cloudrun:DomainMapping",
  "cloudrunv2:ServiceIamMember",
  "cloudrunv2:ServiceIamBinding",
  "cloudrunv2:ServiceIamPolicy",
  "cloudrunv2:JobIamMember",
];

/** One resource of skiff's in the preview. */
export interface ResourceChange {
  urn: string;
  kind: Kind;
  /** The resource's name in the program (the end of its URN). */
  name: string;
  op: Operation;
  /** The engine's id of the resource in the state (a revision's name, a service's name). */
  id?: string;
  /** Inputs in the state, and the outputs they produced (absent for a create). */
  oldInputs?: Record<string, unknown>;
  oldOutputs?: Record<string, unknown>;
  /** The program's inputs as `check` left them (absent for a delete); unknowns as Pulumi's marker. */
  newInputs?: Record<string, unknown>;
  /** URNs this resource waits for (dependsOn and the outputs its inputs read). */
  dependencies: string[];
  /** URNs whose outputs flow into each input, e.g. `traffic` → the Revision whose name it names. */
  propertyDependencies: Record<string, string[]>;
}

/** How Pulumi prints a secret in preview JSON, and the envelope a stack export would hold instead. */
export const SECRET = "[secret]";
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecret(value: unknown): boolean {
  if (value === SECRET) return true;
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIGNATURE] === SECRET_SIG_VALUE;
}

/** A copy with every secret, whatever its form, as `[secret]`: nothing below ever sees a value of one. */
export function withSecretsMarked(value: unknown): unknown {
  if (isSecret(value)) return SECRET;
  if (Array.isArray(value)) return value.map(withSecretsMarked);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) if (key !== "__provider") out[key] = withSecretsMarked(v);
    return out;
  }
  return value;
}

const OPERATIONS: Record<string, Operation> = {
  create: "create",
  update: "update",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  delete: "delete",
  discard: "delete",
  read: "read",
  "read-replacement": "read",
  refresh: "read",
  same: "same",
  import: "create",
  "import-replacement": "replace",
};

/** `...::pulumi-nodejs:dynamic/skiff/cloudrunv2:Service::web` → cloudrunv2:Service. */
export function kindOfType(type: string): Kind | undefined {
  const match = /^pulumi-nodejs:dynamic\/skiff(?:\/([a-z0-9]+))?:([A-Za-z]+)$/.exec(type);
  if (!match) return undefined;
  const kind = (match[1] ? `${match[1]}:${match[2]}` : match[2]) as Kind;
  return KINDS.includes(kind) ? kind : undefined;
}

function typeOfUrn(urn: string): string {
  const parts = urn.split("::");
  return parts[parts.length - 2]?.split("$").pop() ?? "";
}

/** The stack a preview is of, read from its URNs (`urn:pulumi:<stack>::<project>::...`). */
export function stackOf(preview: PreviewJson): string | undefined {
  const urn = preview.steps?.[0]?.urn;
  return urn ? /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] : undefined;
}

/**
 * skiff's resources in the preview, one entry each: a replace that Pulumi prints as two or three
 * steps (create-replacement, replace, delete-replaced) is one change here.
 */
export function resourceChanges(preview: PreviewJson): ResourceChange[] {
  const byUrn = new Map<string, ResourceChange>();
  for (const step of preview.steps ?? []) {
    const kind = kindOfType(step.newState?.type ?? step.oldState?.type ?? typeOfUrn(step.urn));
    const op = OPERATIONS[step.op];
    if (kind === undefined || op === undefined) continue;
    const known = byUrn.get(step.urn);
    const change: ResourceChange = known ?? {
      urn: step.urn,
      kind,
      name: step.urn.split("::").pop() ?? step.urn,
      op,
      dependencies: [],
      propertyDependencies: {},
    };
    if (known && op === "replace") change.op = "replace";
    if (step.oldState) {
      change.id ??= step.oldState.id;
      change.oldInputs ??= withSecretsMarked(step.oldState.inputs ?? {}) as Record<string, unknown>;
      change.oldOutputs ??= withSecretsMarked(step.oldState.outputs ?? {}) as Record<string, unknown>;
    }
    if (step.newState && op !== "delete") {
      change.newInputs ??= withSecretsMarked(step.newState.inputs ?? {}) as Record<string, unknown>;
      change.dependencies = step.newState.dependencies ?? change.dependencies;
      change.propertyDependencies = step.newState.propertyDependencies ?? change.propertyDependencies;
    }
    byUrn.set(step.urn, change);
  }
  return [...byUrn.values()];
}

/** The first error Pulumi reported, as one line: why a preview failed. */
export function firstError(preview: PreviewJson): string | undefined {
  const error = preview.diagnostics?.find((d) => d.severity === "error" && d.message?.trim());
  return error?.message
    ?.trim()
    .split("\n")
    .find((line) => line.trim() !== "")
    ?.trim();
}
