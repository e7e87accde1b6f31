import { z } from "zod";
import { invalidFromViolations, violationsOf } from "./errors";

/**
 * Who may call a service (or run a job): an IAM policy in Google's shape, `{ bindings: [{ role,
 * members }], etag }`. Only `roles/run.invoker` has a local effect (the ingress checks it); other
 * roles are kept as given. A service's policy is its own resource, apart from the service's spec,
 * as on Cloud Run, so a deploy never undoes a binding someone added.
 */

export const INVOKER_ROLE = "roles/run.invoker";
/** Everyone, without a token: a public service. */
export const ALL_USERS = "allUsers";
export const ALL_AUTHENTICATED_USERS = "allAuthenticatedUsers";

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$/;

/** A service account's email, as Cloud Run's `serviceAccount` takes it. */
export const serviceAccountSchema = z
  .string({ error: "must be a string" })
  .max(254, "must be at most 254 characters")
  .regex(EMAIL, "must be a service account email such as web@my-project.iam.gserviceaccount.com");

/** `allUsers`, `allAuthenticatedUsers`, `user:EMAIL`, `serviceAccount:EMAIL`, `group:EMAIL` or `domain:DOMAIN`. */
export const memberSchema = z.string({ error: "must be a string" }).check((ctx) => {
  const member = ctx.value;
  if (member === ALL_USERS || member === ALL_AUTHENTICATED_USERS) return;
  const colon = member.indexOf(":");
  const kind = member.slice(0, colon);
  const id = member.slice(colon + 1);
  const valid =
    colon > 0 && (["user", "serviceAccount", "group"].includes(kind) ? EMAIL.test(id) : kind === "domain" && /^[a-z0-9.-]+$/.test(id));
  if (!valid) {
    ctx.issues.push({
      code: "custom",
      input: member,
      message: `must be allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN, got "${member}"`,
    });
  }
});

export const roleSchema = z
  .string({ error: "must be a string" })
  .regex(/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/, 'must be a role such as "roles/run.invoker"');

export const bindingSchema = z.object({ role: roleSchema, members: z.array(memberSchema) }).strict();

/** What a client sends to set a policy; `etag` (from the policy it read) makes the change fail if someone changed it meanwhile. */
export const policySchema = z
  .object({
    bindings: z.array(bindingSchema).default([]),
    etag: z.string().optional(),
  })
  .strict();

export type Binding = z.output<typeof bindingSchema>;
export type PolicyInput = z.input<typeof policySchema>;
/** A policy as the engine answers with it: always with its etag. */
export type Policy = { bindings: Binding[]; etag: string };

export function parsePolicy(input: unknown): z.output<typeof policySchema> {
  const result = policySchema.safeParse(input);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error, "policy"));
  return normalizeBindings(result.data);
}

/** Bindings with one entry per role, members once each and sorted, empty roles dropped: equal policies compare equal. */
export function normalizeBindings<T extends { bindings: Binding[] }>(policy: T): T {
  const byRole = new Map<string, Set<string>>();
  for (const { role, members } of policy.bindings) {
    const set = byRole.get(role) ?? new Set<string>();
    for (const member of members) set.add(member);
    byRole.set(role, set);
  }
  const bindings = [...byRole.entries()]
    .filter(([, members]) => members.size > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([role, members]) => ({ role, members: [...members].sort() }));
  return { ...policy, bindings };
}

/** The members a policy makes invokers. */
export function invokersOf(bindings: readonly Binding[]): string[] {
  return bindings.find((b) => b.role === INVOKER_ROLE)?.members ?? [];
}

/** The policy with `member` added to `role` (gcloud's add-iam-policy-binding). */
export function withMember(bindings: readonly Binding[], role: string, member: string): Binding[] {
  return normalizeBindings({ bindings: [...bindings, { role, members: [member] }] }).bindings;
}

/** The policy without `member` in `role` (gcloud's remove-iam-policy-binding). */
export function withoutMember(bindings: readonly Binding[], role: string, member: string): Binding[] {
  return normalizeBindings({
    bindings: bindings.map((b) => (b.role === role ? { role, members: b.members.filter((m) => m !== member) } : b)),
  }).bindings;
}

/** A policy whose invokers are exactly `members`, other roles kept. */
export function withInvokers(bindings: readonly Binding[], members: readonly string[]): Binding[] {
  return normalizeBindings({
    bindings: [...bindings.filter((b) => b.role !== INVOKER_ROLE), { role: INVOKER_ROLE, members: [...members] }],
  }).bindings;
}

/** The etag of a policy: its content's hash, so a client that read it can say which one it changes. */
export function policyEtag(bindings: readonly Binding[]): string {
  // node:crypto is loaded here, at first use, not with the module: a CLI call that hashes nothing starts faster (SPEC §8).
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(JSON.stringify(bindings)).digest("base64url").slice(0, 16);
}

/** What a service has until someone sets its policy: public, as skiff has always served. */
export const DEFAULT_SERVICE_BINDINGS: readonly Binding[] = [{ role: INVOKER_ROLE, members: [ALL_USERS] }];
