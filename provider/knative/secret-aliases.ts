import { invalid } from "../model/errors";
import { secretPathParts } from "../model/secret";

/**
 * gcloud's `run.googleapis.com/secrets` template annotation, `ALIAS:projects/NUMBER/secrets/NAME,...`:
 * when `--set-secrets` names a secret by its full path, gcloud makes up an alias, writes it where a
 * secret's name goes (an env var's `secretKeyRef.name`, a volume's `secretName`) and maps it to
 * the path here; Cloud Run reads the secret the alias maps. The engine's secrets are the
 * project's, so an alias stands for NAME (as the v2 API takes `projects/P/secrets/NAME`).
 */
export const SECRETS_ANNOTATION = "run.googleapis.com/secrets";

/** Alias → secret name; an entry that is not ALIAS:projects/NUMBER/secrets/NAME is refused, as gcloud refuses it. */
export function secretAliasesFromAnnotation(value: unknown, at: string): Map<string, string> {
  const aliases = new Map<string, string>();
  if (value === undefined || value === null || value === "") return aliases;
  if (typeof value !== "string") throw invalid(at, "must be a string: ALIAS:projects/NUMBER/secrets/NAME,...");
  for (const entry of value.split(",")) {
    const colon = entry.indexOf(":");
    const path = secretPathParts(entry.slice(colon + 1));
    if (colon <= 0 || !path || path.version !== undefined)
      throw invalid(at, `"${entry}" is not ALIAS:projects/NUMBER/secrets/NAME (gcloud writes one entry per secret named by its path)`);
    aliases.set(entry.slice(0, colon), path.secret);
  }
  return aliases;
}

interface WithSecretNames {
  secretEnv?: Record<string, { secret: string }>;
  volumes?: { secret?: { secret: string } }[];
  sidecars?: { secretEnv?: Record<string, { secret: string }> }[];
}

/** The template with each alias replaced by the secret it maps (in place: the template was just read from the file). */
export function resolveSecretAliases(t: WithSecretNames, aliases: ReadonlyMap<string, string>): void {
  if (aliases.size === 0) return;
  const resolve = (ref: { secret: string } | undefined) => {
    const name = ref && aliases.get(ref.secret);
    if (ref && name !== undefined) ref.secret = name;
  };
  for (const ref of Object.values(t.secretEnv ?? {})) resolve(ref);
  for (const volume of t.volumes ?? []) resolve(volume.secret);
  for (const sidecar of t.sidecars ?? []) for (const ref of Object.values(sidecar.secretEnv ?? {})) resolve(ref);
}
