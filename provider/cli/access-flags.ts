import type { z } from "zod";
import { ALL_USERS, memberSchema, roleSchema, serviceAccountSchema } from "../model/iam";
import { ingressSchema, type Ingress } from "../model/service";
import { UsageError } from "./output";

/**
 * Who may call a service and who it runs as, as gcloud's flags say it: `--service-account`,
 * `--ingress`, `--[no-]allow-unauthenticated`, and the `--member`/`--role` of the IAM commands.
 * Values are checked with the engine's own schemas before anything is sent, so a bad one is one
 * line naming the flag and nothing changes.
 */

/** A flag parser that checks its value with `schema`; the error names the flag and says why. */
function schemaFlag<T>(flag: string, schema: z.ZodType<T>) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const reason = parsed.error.issues[0]?.message ?? "is not valid";
    throw new UsageError(`${flag}: ${reason.includes(`"${value}"`) ? reason : `${reason}, got "${value}"`}`);
  };
}

/** `--service-account web@my-project.iam.gserviceaccount.com` (also `--impersonate-service-account`). */
export const serviceAccountFlag = (flag = "--service-account") => schemaFlag(flag, serviceAccountSchema);

export const memberFlag = schemaFlag("--member", memberSchema);

export const roleFlag = schemaFlag("--role", roleSchema);

const INGRESS_VALUES = ingressSchema.options.join(", ");

/** `--ingress all|internal|internal-and-cloud-load-balancing`. */
export function ingressFlag(value: string): Ingress {
  const parsed = ingressSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--ingress: must be one of ${INGRESS_VALUES}, got "${value}"`);
  return parsed.data;
}

/**
 * The invokers a deploy sends, with gcloud's meaning of the flags: `--allow-unauthenticated` adds
 * allUsers, `--no-allow-unauthenticated` removes it, other members stay; neither leaves the policy
 * alone (undefined: the engine keeps it; a new service starts public, where gcloud would ask).
 * `current` is what the service answer carried when the deploy read it; undefined for a new service.
 */
export function invokersAfterDeploy(
  current: readonly string[] | undefined,
  allowUnauthenticated: boolean | undefined,
): string[] | undefined {
  if (allowUnauthenticated === undefined) return undefined;
  const others = (current ?? []).filter((member) => member !== ALL_USERS);
  return allowUnauthenticated ? [...others, ALL_USERS] : others;
}

/** How gcloud describe says who may call: public, or only with a token. */
export function authenticationText(invokers: readonly string[]): string {
  return invokers.includes(ALL_USERS) ? "allow unauthenticated" : "require authentication";
}
