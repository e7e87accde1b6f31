import { notFound, SkiffError } from "../model/errors";
import type { MountedTemplate } from "../model/template";
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

/** What a template names of Secret Manager: its and its sidecars' secret variables, and its secret volumes. */
interface SecretsOfTemplate extends MountedTemplate {
  sidecars?: { secretEnv?: MountedTemplate["secretEnv"] }[];
}

/**
 * Refuses (404) a deploy whose template names a secret, or a numbered version of one, that does
 * not exist, before anything is made, naming the field: Cloud Run checks every secret a template
 * uses, as a variable or a volume, when the service or job is deployed, and the deploy fails. A
 * version that exists but is disabled or destroyed is not refused here: as on Cloud Run, an
 * instance that needs it as a variable does not start (its revision fails, saying why), and a
 * mounted one fails when read.
 */
export function checkTemplateSecrets(secrets: SecretStore, project: string, template: SecretsOfTemplate, prefix = "template"): void {
  const refs: { field: string; secret: string; version: string }[] = [];
  const envOf = (env: MountedTemplate["secretEnv"], at: string) =>
    Object.entries(env ?? {}).forEach(([name, ref]) => refs.push({ field: `${at}.secretEnv.${name}`, ...ref }));
  envOf(template.secretEnv, prefix);
  template.sidecars?.forEach((s, i) => envOf(s.secretEnv, `${prefix}.sidecars[${i}]`));
  (template.volumes ?? []).forEach((volume, i) => {
    if (!volume.secret) return;
    const at = `${prefix}.volumes[${i}].secret`;
    const items = volume.secret.items ?? [{ version: "latest" }];
    items.forEach((item, j) =>
      refs.push({ field: volume.secret!.items ? `${at}.items[${j}].version` : at, secret: volume.secret!.secret, version: item.version }),
    );
  });
  for (const ref of refs) {
    try {
      secretVersionOf(secrets, project, ref.secret, ref.version);
    } catch (error) {
      if (!(error instanceof SkiffError) || error.code !== "NOT_FOUND") throw error;
      throw new SkiffError("NOT_FOUND", `${ref.field}: ${error.message}`, [{ field: ref.field, reason: error.message }]);
    }
  }
}
