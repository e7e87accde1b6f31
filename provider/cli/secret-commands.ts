import { closeSync, openSync, readSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { MAX_SECRET_BYTES, secretNameSchema, versionRefSchema, type Secret, type SecretVersion } from "../model/secret";
import { commonOptions, connect, withCommon } from "./common";
import { confirmOrAbort } from "./confirm";
import { envListFlag } from "./flags";
import { render } from "./formats";
import { printTable, UsageError } from "./output";
import { listed, withListFlags } from "./list-flags";
import { addIamPolicyCommands } from "./iam-commands";
import { replicationProblem, withReplicationFlags } from "./secret-replication";

/**
 * `skiff secrets ...` in gcloud's words: `secrets create NAME --data-file F|-`, `list`, `describe`,
 * `delete`, and `secrets versions add|access|list|describe|enable|disable|destroy`. Only `versions
 * access` prints a value (as gcloud does: the bytes, nothing added); every other command names
 * versions and their states.
 */

/** A secret's name as an argument: checked here, since it becomes an API path segment. */
export function secretArg(label = "SECRET") {
  return (value: string): string => {
    const parsed = secretNameSchema.safeParse(value);
    if (!parsed.success) throw new UsageError(`${label}: "${value}" ${parsed.error.issues[0]?.message ?? "is not a secret name"}`);
    return value;
  };
}

function versionArg(value: string): string {
  const parsed = versionRefSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`VERSION: "${value}" ${parsed.error.issues[0]?.message ?? "is not a version"}`);
  return value;
}

/** `--data-file FILE` (`-`: stdin), read to at most Secret Manager's limit; the value is never echoed. */
async function readDataFile(file: string): Promise<Buffer> {
  const tooBig = () => new UsageError(`--data-file: "${file}" is larger than ${MAX_SECRET_BYTES} bytes, Secret Manager's limit`);
  if (file === "-") {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of process.stdin) {
      length += (chunk as Buffer).length;
      if (length > MAX_SECRET_BYTES) throw tooBig();
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new UsageError(`--data-file: cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    // Up to one byte past the limit: a bigger file is refused without being read whole.
    const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1);
    let length = 0;
    for (let got = 1; got > 0 && length < buffer.length; length += got) got = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_SECRET_BYTES) throw tooBig();
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function dataFlag(options: { dataFile?: string }): Promise<Buffer> {
  if (options.dataFile === undefined) throw new UsageError("--data-file: is required: a file with the value, or - for stdin");
  return readDataFile(options.dataFile);
}

const secretObject = (s: Secret) => ({
  name: `projects/${s.project}/secrets/${s.name}`,
  createTime: s.createTime,
  labels: s.labels,
  replication: { automatic: {} },
  ...(s.latestVersion !== undefined ? { latestVersion: s.latestVersion } : {}),
  versionCount: s.versionCount,
});

const versionObject = (v: SecretVersion) => ({
  name: `projects/${v.project}/secrets/${v.secret}/versions/${v.version}`,
  state: v.state,
  createTime: v.createTime,
  ...(v.destroyTime ? { destroyTime: v.destroyTime } : {}),
});

/**
 * What `versions access --format ...` prints, as gcloud prints Secret Manager's
 * AccessSecretVersionResponse: the value is `payload.data`, base64url as apitools writes bytes, so
 * gcloud's own recipe `--format='get(payload.data)' | tr '_-' '/+' | base64 -d` gives the bytes back.
 */
export const accessObject = (project: string, secret: string, access: { version: number; value: Buffer }) => ({
  name: `projects/${project}/secrets/${secret}/versions/${access.version}`,
  payload: { data: access.value.toString("base64").replace(/\+/g, "-").replace(/\//g, "_") },
});

function versionCommands(): Command {
  const versions = new Command("versions").description("add, read and retire a secret's versions");

  withCommon(versions.command("add"))
    .argument("<secret>", "secret name", secretArg())
    .requiredOption("--data-file <file>", "the new version's value: a file, or - for stdin")
    .description("add a version: what `latest` names from now on")
    .action(async (secret: string, options) => {
      const { project, format } = commonOptions(options);
      const v = await (await connect()).addSecretVersion(project, secret, await dataFlag(options));
      render(format, versionObject(v), () => process.stdout.write(`Created version [${v.version}] of the secret [${secret}].\n`));
    });

  withCommon(versions.command("access"))
    .argument("<version>", "a version number or latest", versionArg)
    .requiredOption("--secret <secret>", "secret name", secretArg("--secret"))
    .option("--out-file <file>", "write the value to this file (mode 0600) instead of stdout")
    .description("print a version's value, as it was added")
    .action(async (version: string, options) => {
      const { project, format } = commonOptions(options);
      const access = await (await connect()).accessSecretVersion(project, options.secret, version);
      if (options.outFile) writeFileSync(options.outFile, access.value, { mode: 0o600 });
      else render(format, accessObject(project, options.secret, access), () => process.stdout.write(access.value));
    });

  withListFlags(withCommon(versions.command("list")))
    .argument("<secret>", "secret name", secretArg())
    .description("list a secret's versions, newest first")
    .action(async (secret: string, options) => {
      const { project, format } = commonOptions(options);
      const { items: list, objects } = listed(await (await connect()).listSecretVersions(project, secret), versionObject, options);
      render(format, objects, () =>
        printTable([
          ["NAME", "STATE", "CREATED", "DESTROYED"],
          ...list.map((v) => [String(v.version), v.state, v.createTime, v.destroyTime ?? "-"]),
        ]),
      );
    });

  withCommon(versions.command("describe"))
    .argument("<version>", "a version number or latest", versionArg)
    .requiredOption("--secret <secret>", "secret name", secretArg("--secret"))
    .action(async (version: string, options) => {
      const { project, format } = commonOptions(options);
      const v = await (await connect()).getSecretVersion(project, options.secret, version);
      render(format, versionObject(v), () =>
        process.stdout.write(`Version ${v.version} of secret ${v.secret}: ${v.state}, created ${v.createTime}\n`),
      );
    });

  for (const [action, done, help] of [
    ["enable", "Enabled", "let the version be read again"],
    ["disable", "Disabled", "stop the version from being read (reversible)"],
    ["destroy", "Destroyed", "destroy the version's value for good (its number is never reused)"],
  ] as const) {
    withCommon(versions.command(action))
      .argument("<version>", "a version number or latest", versionArg)
      .requiredOption("--secret <secret>", "secret name", secretArg("--secret"))
      .option("-q, --quiet", "do not ask to confirm (destroy)")
      .description(help)
      .action(async (version: string, options) => {
        const { project, format } = commonOptions(options);
        if (action === "destroy") await confirmOrAbort(`Version [${version}] of secret [${options.secret}]`, options.quiet);
        const v = await (await connect()).changeSecretVersion(project, options.secret, version, action);
        render(format, versionObject(v), () => process.stdout.write(`${done} version [${v.version}] of the secret [${v.secret}].\n`));
      });
  }
  return versions;
}

export function secretCommands(): Command {
  const secrets = new Command("secrets").description("a local Secret Manager: secrets with numbered versions, for services and jobs");
  addIamPolicyCommands(secrets, "secret");

  withReplicationFlags(withCommon(secrets.command("create")))
    .argument("<secret>", "secret name: letters, digits, - and _", secretArg())
    .option("--data-file <file>", "the first version's value: a file, or - for stdin")
    .option("--labels <K=V,...>", "labels", envListFlag("--labels"))
    .description("create a secret (with its first version, given --data-file)")
    .action(async (secret: string, options) => {
      const { project, format } = commonOptions(options);
      const replication = replicationProblem(options);
      if (replication) throw new UsageError(replication);
      const value = options.dataFile === undefined ? undefined : await dataFlag(options);
      const s = await (await connect()).createSecret(project, secret, value, options.labels);
      render(format, secretObject(s), () =>
        process.stdout.write(`Created secret [${secret}]${value ? " with version [1]" : ""} in project [${project}].\n`),
      );
    });

  withListFlags(withCommon(secrets.command("list")))
    .description("list secrets")
    .action(async (options) => {
      const { project, format } = commonOptions(options);
      const { items: list, objects } = listed(await (await connect()).listSecrets(project), secretObject, options);
      render(format, objects, () =>
        printTable([
          ["NAME", "LATEST", "VERSIONS", "CREATED"],
          ...list.map((s) => [s.name, String(s.latestVersion ?? "-"), String(s.versionCount), s.createTime]),
        ]),
      );
    });

  withCommon(secrets.command("describe"))
    .argument("<secret>", "secret name", secretArg())
    .action(async (secret: string, options) => {
      const { project, format } = commonOptions(options);
      const s = await (await connect()).getSecret(project, secret);
      render(format, secretObject(s), () =>
        process.stdout.write(
          [
            `Secret ${s.name} in project ${s.project}`,
            `  Versions: ${s.versionCount}${s.latestVersion !== undefined ? `, latest ${s.latestVersion}` : ""}`,
            `  Labels:   ${
              Object.entries(s.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(" ") || "-"
            }`,
            `  Created:  ${s.createTime}`,
            "",
          ].join("\n"),
        ),
      );
    });

  withCommon(secrets.command("delete"))
    .argument("<secret>", "secret name", secretArg())
    .option("-q, --quiet", "do not ask to confirm")
    .description("delete a secret with all its versions")
    .action(async (secret: string, options) => {
      const { project } = commonOptions(options);
      await confirmOrAbort(`Secret [${secret}] and all of its versions`, options.quiet);
      await (await connect()).deleteSecret(project, secret);
      process.stdout.write(`Deleted secret [${secret}].\n`);
    });

  secrets.addCommand(versionCommands());
  return secrets;
}
