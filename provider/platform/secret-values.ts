import { notFound, SkiffError } from "../model/errors";
import type { SecretStore, SecretVersionRow } from "../state/secret-store";

/**
 * A secret version as a template or `versions access` names it (`latest` or a number), with its
 * value: what Secret Manager's access does. `latest` is the newest version; a version that is
 * disabled or destroyed cannot be read. Every error names the secret and the version.
 */
export function secretVersionOf(secrets: SecretStore, project: string, secret: string, ref: string): SecretVersionRow {
  if (!secrets.get(project, secret))
    throw notFound("secret", secret, project, `create it with: skiff secrets create ${secret} --data-file FILE`);
  const version = ref === "latest" ? secrets.versions(project, secret)[0] : secrets.version(project, secret, Number(ref));
  if (!version) {
    const which = ref === "latest" ? "has no versions yet" : `has no version ${ref}`;
    throw new SkiffError("NOT_FOUND", `secret "${secret}" ${which} in project "${project}"`, [
      { field: "version", reason: `secret "${secret}" ${which}` },
    ]);
  }
  return version;
}

/** The value of an ENABLED version; a disabled or destroyed one is a 412 naming it. */
export function accessSecret(secrets: SecretStore, project: string, secret: string, ref: string): { version: number; value: Buffer } {
  const version = secretVersionOf(secrets, project, secret, ref);
  const value = version.state === "ENABLED" ? secrets.value(project, secret, version.version) : undefined;
  if (!value) {
    const alias = ref === "latest" ? ` (what "latest" names)` : "";
    const reason = `version ${version.version}${alias} of secret "${secret}" is ${version.state}`;
    throw new SkiffError("FAILED_PRECONDITION", `${reason} in project "${project}"; it cannot be read`, [{ field: "version", reason }]);
  }
  return { version: version.version, value };
}
