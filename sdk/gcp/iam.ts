import { canonicalJson } from "../../provider/base/canonical-json";
import { bindingSchema, normalizeBindings, type Binding } from "../../provider/model/iam";
import { violationsOf } from "../../provider/model/errors";
import { z } from "zod";
import { IAM_CONDITION } from "./field-rules";

/**
 * pulumi-gcp's IAM resources for Cloud Run (cloudrunv2.ServiceIamMember, ServiceIamBinding,
 * ServiceIamPolicy, JobIamMember) in the engine's terms: which service or job a resource's `name`
 * points at, the edit each one makes to the policy, and `policyData` read and written as the JSON
 * pulumi-gcp's `organizations.getIAMPolicy` gives.
 */

export type IamKind = "service" | "job";

/** The engine's policy a resource edits: skiff's project (the namespace), the kind and its name. */
export interface IamTarget {
  project: string;
  kind: IamKind;
  name: string;
}

const COLLECTION: Record<IamKind, string> = { service: "services", job: "jobs" };

/**
 * The service or job a `name` argument names. pulumi-gcp takes the resource's id
 * (`projects/P/locations/L/services/S`), `P/L/S`, `L/S` or the bare name; the project and location
 * in it are Google's and have no local meaning.
 */
export function resourceNameOf(name: string, kind: IamKind): string {
  const full = new RegExp(`^projects/[^/]+/locations/[^/]+/${COLLECTION[kind]}/([^/]+)$`).exec(name);
  if (full) return full[1];
  const parts = name.split("/");
  return parts.length <= 3 ? parts[parts.length - 1] : name;
}

/** Where the engine keeps the target (also the start of the resource's Pulumi id). */
export function targetPath(target: IamTarget): string {
  return `projects/${target.project}/${COLLECTION[target.kind]}/${target.name}`;
}

/** The inputs of every IAM resource after `check` (kept as written, plus skiff's project). */
export interface IamInputs {
  name: string;
  skiffProject: string;
  [key: string]: unknown;
}

export function targetOf(inputs: IamInputs, kind: IamKind): IamTarget {
  return { project: inputs.skiffProject, kind, name: resourceNameOf(inputs.name, kind) };
}

/** Members once each and sorted: pulumi-gcp's `members` is a set, so order is no change. */
export function memberSet(members: unknown): unknown {
  return Array.isArray(members) && members.every((m) => typeof m === "string") ? [...new Set(members)].sort() : members;
}

/** The policy with exactly `members` in `role` (ServiceIamBinding); other roles are kept. */
export function withRoleMembers(bindings: readonly Binding[], role: string, members: readonly string[]): Binding[] {
  return normalizeBindings({ bindings: [...bindings.filter((b) => b.role !== role), { role, members: [...members] }] }).bindings;
}

export function membersOf(bindings: readonly Binding[], role: string): string[] {
  return bindings.find((b) => b.role === role)?.members ?? [];
}

// ---- policyData ----

/**
 * What `policyData` may hold: getIAMPolicy's JSON, `{"bindings": [{"role", "members"}]}`. Its
 * `etag` and `version` are Google's bookkeeping and are left out; audit configs and conditions
 * have no local meaning, and running without them would not be a rehearsal, so they are refused.
 */
const policyDataSchema = z
  .object({
    bindings: z.array(bindingSchema).default([]),
    etag: z.string().optional(),
    version: z.number().optional(),
    auditConfigs: z.array(z.unknown()).max(0, "audit configs are not kept locally; remove them for the local stack").optional(),
  })
  .strict();

export type PolicyDataResult = { bindings: Binding[]; problem?: undefined } | { bindings?: undefined; problem: string };

export function parsePolicyData(text: unknown): PolicyDataResult {
  if (typeof text !== "string")
    return { problem: 'must be a JSON string such as {"bindings":[{"role":"roles/run.invoker","members":["allUsers"]}]}' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problem: `must be JSON (${(error as Error).message})` };
  }
  const bindings = (json as { bindings?: unknown } | null)?.bindings;
  const conditional = Array.isArray(bindings)
    ? bindings.findIndex((b) => (b as { condition?: unknown } | null)?.condition !== undefined)
    : -1;
  if (conditional >= 0) return { problem: `bindings[${conditional}].condition: ${IAM_CONDITION.refused}` };
  const parsed = policyDataSchema.safeParse(json);
  if (!parsed.success) {
    const first = violationsOf(parsed.error)[0];
    const at = first && first.field !== "(input)" ? `${first.field}: ` : "";
    return { problem: first ? `${at}${first.reason}` : "is not a policy" };
  }
  return { bindings: normalizeBindings({ bindings: parsed.data.bindings }).bindings };
}

/** The JSON getIAMPolicy would give for these bindings (a refresh writes drift back in this form). */
export function policyDataOf(bindings: readonly Binding[]): string {
  return JSON.stringify({ bindings: bindings.map((b) => ({ members: b.members, role: b.role })) });
}

/** `policyData` in one canonical form, so two texts of the same policy compare equal; unparsable text stays as it is. */
export function canonicalPolicyData(text: unknown): unknown {
  const parsed = parsePolicyData(text);
  return parsed.bindings ? canonicalJson(parsed.bindings) : text;
}
