import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { reportFields, type Fields } from "./field-rules";

/**
 * What the cloudrunv2/cloudrun resources do in the program's own process, where pulumi.log
 * reaches the CLI and the stack config and the program's folder are at hand: name the fields
 * without local meaning. Nothing here is serialized into the state.
 */

/** One warning per resource naming every field it sets that has no local effect. */
export function warnFieldsWithoutLocalEffect(kind: string, name: string, args: object, rules: Fields, resource: pulumi.Resource): void {
  const { ignored, unknown } = reportFields(args, rules, (v) => pulumi.Output.isInstance(v));
  const parts: string[] = [];
  if (ignored.length > 0) parts.push(`accepted without local effect: ${ignored.join(", ")}`);
  if (unknown.length > 0) parts.push(`not known to skiff, ignored: ${unknown.join(", ")}`);
  // A warning is the engine's to show; its delivery is not awaited, as Pulumi's own calls of it are not.
  if (parts.length > 0) void pulumi.log.warn(`${kind} "${name}": ${parts.join("; ")}`, resource);
}

/**
 * Before skiff had a Secret Manager, secret envs were read in the program from stack config
 * `skiff:secrets` or a `skiff-secrets.json` file. They are not any more (their values ended up in
 * the engine's state in plain text): a program that still has either is told, once, how to move
 * each secret into the engine, where a `secretKeyRef` now reads it.
 */
let toldAboutOldSecrets = false;

export function warnAboutOldSecretsConfig(resource: pulumi.Resource): void {
  if (toldAboutOldSecrets) return;
  const config = new pulumi.Config("skiff");
  const file = config.get("secretsFile") ?? "skiff-secrets.json";
  const sources = [
    config.get("secrets") !== undefined ? "stack config skiff:secrets" : undefined,
    fs.existsSync(path.resolve(file)) ? `the file ${file}` : undefined,
  ].filter(Boolean);
  if (sources.length === 0) return;
  toldAboutOldSecrets = true;
  void pulumi.log.warn(
    `${sources.join(" and ")} ${sources.length > 1 ? "are" : "is"} no longer read: secretKeyRef names a secret of skiff's Secret Manager. ` +
      "Move each secret there with `skiff secrets create NAME --data-file FILE` (or a skiff.secretmanager.Secret and SecretVersion in the program)",
    resource,
  );
}
