/**
 * Secret env vars (`valueSource.secretKeyRef {secret, version}`): on Cloud Run they come from
 * Secret Manager; locally from a store the program reads (stack config `skiff:secrets`, else the
 * JSON file `skiff-secrets.json` beside the program, or the file named by `skiff:secretsFile`).
 * A store maps a secret's name to its value (any version), or to an object of versions:
 *   { "db-password": "s3cret", "api-key": { "1": "old", "2": "new" } }
 * "latest" is the key "latest" if there is one, else the highest numbered version.
 */
export type SecretStore = Record<string, unknown>;

/** `projects/p/secrets/db-password` and `db-password` name the same secret. */
export function secretName(secret: string): string {
  const match = /^projects\/[^/]+\/secrets\/([^/]+)$/.exec(secret);
  return match ? match[1] : secret;
}

/** The key of a resolved value in the resource's `secretEnvValues` input. */
export function secretKey(secret: string, version: string | undefined): string {
  return `${secretName(secret)}:${version ?? "latest"}`;
}

export function lookupSecret(store: SecretStore, secret: string, version: string | undefined): string | undefined {
  const entry = store[secretName(secret)];
  if (typeof entry === "string") return entry;
  if (!entry || typeof entry !== "object" || Array.isArray(entry)) return undefined;
  const versions = entry as Record<string, unknown>;
  const wanted = version ?? "latest";
  if (typeof versions[wanted] === "string") return versions[wanted];
  if (wanted !== "latest") return undefined;
  const numbered = Object.keys(versions)
    .filter((k) => /^\d+$/.test(k) && typeof versions[k] === "string")
    .sort((a, b) => Number(b) - Number(a));
  return numbered.length > 0 ? (versions[numbered[0]] as string) : undefined;
}

export function missingSecretReason(secret: string, version: string | undefined): string {
  const name = secretName(secret);
  return (
    `secret "${name}" (version "${version ?? "latest"}") is not in stack config skiff:secrets nor in the secrets file ` +
    `(skiff-secrets.json beside the program, or skiff:secretsFile); set it with ` +
    `\`pulumi config set --secret --path 'skiff:secrets.${name}' VALUE\``
  );
}
