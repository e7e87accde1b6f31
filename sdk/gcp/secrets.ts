/**
 * Secrets as pulumi-gcp programs name them: a secret's id `projects/P/secrets/NAME` (what
 * `secretmanager.Secret`'s `id` and `name` are) and its plain name `NAME` (its `secretId`) are the
 * same secret of skiff's Secret Manager.
 */
export function secretName(secret: string): string {
  const match = /^projects\/[^/]+\/secrets\/([^/]+)$/.exec(secret);
  return match ? match[1] : secret;
}
