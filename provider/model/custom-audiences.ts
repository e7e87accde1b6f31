import { z } from "zod";

/**
 * A service's custom audiences (Cloud Run's `customAudiences`): besides the service's own URLs, a
 * private service takes an identity token whose `aud` is exactly one of these strings (a name
 * clients behind a load balancer or a custom domain know it by). A service-level setting, like its
 * invokers: it applies to every revision and a change makes no new revision. Cloud Run's one limit:
 * the list, JSON-encoded, is at most 32,768 characters. Any non-empty string will do (Cloud Run's
 * examples: `myservice`, `https://myservice.example.com`); the same one twice counts once.
 */
export const MAX_CUSTOM_AUDIENCES_JSON_LENGTH = 32_768;

export const customAudiencesSchema = z
  .array(z.string({ error: "must be a string" }).min(1, "must not be empty"), { error: "must be a list of strings" })
  .check((ctx) => {
    const length = JSON.stringify(ctx.value).length;
    if (length > MAX_CUSTOM_AUDIENCES_JSON_LENGTH)
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `is ${length} characters as a JSON list; Cloud Run takes at most ${MAX_CUSTOM_AUDIENCES_JSON_LENGTH}`,
      });
  })
  .transform((list) => [...new Set(list)]);

/** gcloud's four flags, at most one of which is given: set replaces, add appends, remove takes out, clear empties. */
export type CustomAudiencesChange =
  { set: readonly string[] } | { add: readonly string[] } | { remove: readonly string[] } | { clear: true };

/** The audiences after `change`, in order, each once. */
export function applyCustomAudiencesChange(current: readonly string[], change: CustomAudiencesChange): string[] {
  if ("set" in change) return [...new Set(change.set)];
  if ("add" in change) return [...new Set([...current, ...change.add])];
  if ("remove" in change) {
    const removed = new Set(change.remove);
    return current.filter((a) => !removed.has(a));
  }
  return [];
}
