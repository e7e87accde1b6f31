import { checkField, notFound, SkiffError } from "../model/errors";
import { checkProject } from "../model/names";
import {
  addVersionBodySchema,
  createSecretBodySchema,
  parseBody,
  secretNameSchema,
  updateSecretBodySchema,
  versionRefSchema,
  type Secret,
  type SecretAccess,
  type SecretVersion,
} from "../model/secret";
import { accessSecret, secretVersionOf } from "../platform/secret-values";
import type { SecretRow, SecretVersionRow } from "../state/secret-store";
import type { Store } from "../state/store";

/** What a version's state change is called on the command line and in the API path. */
export type VersionAction = "enable" | "disable" | "destroy";

/**
 * The local Secret Manager: secrets and their numbered versions. Values come in with a create or
 * an added version and go out only through `access`; every other answer names versions and their
 * states. A change to a secret's versions is told to `onVersionsChanged` (mounted files that follow
 * `latest` are rewritten; a running container's env keeps what it started with, as on Cloud Run).
 */
export class SecretController {
  constructor(
    private readonly store: Store,
    private readonly onVersionsChanged: (project: string, secret: string) => void,
  ) {}

  list(project: string): Secret[] {
    checkProject(project);
    return this.store.secrets.list(project).map((s) => this.view(s));
  }

  get(project: string, name: string): Secret {
    return this.view(this.require(project, name));
  }

  create(project: string, body: unknown): Secret {
    checkProject(project);
    const { name, labels, data } = parseBody(createSecretBodySchema, body);
    const { secrets } = this.store;
    const created = this.store.transaction(() => {
      if (secrets.get(project, name)) {
        const reason = `"${name}" already exists in project "${project}"; add a version with: skiff secrets versions add ${name} --data-file FILE`;
        throw new SkiffError("ALREADY_EXISTS", `secret ${reason}`, [{ field: "secret", reason }]);
      }
      const row: SecretRow = { project, name, labels, nextVersion: 1, createTime: new Date().toISOString() };
      secrets.put(row);
      if (data !== undefined) this.appendVersion(row, Buffer.from(data, "base64"));
      return secrets.get(project, name)!;
    });
    return this.view(created);
  }

  /** Sets the secret's labels; its versions stay as they are. */
  update(project: string, name: string, body: unknown): Secret {
    const { labels } = parseBody(updateSecretBodySchema, body);
    const row = this.store.transaction(() => {
      const current = this.require(project, name);
      this.store.secrets.put({ ...current, labels });
      return this.store.secrets.get(project, name)!;
    });
    return this.view(row);
  }

  /** The secret with all its versions; files of it that containers mount can no longer be read. */
  delete(project: string, name: string): void {
    this.require(project, name);
    this.store.transaction(() => this.store.secrets.delete(project, name));
    this.onVersionsChanged(project, name);
  }

  listVersions(project: string, name: string): SecretVersion[] {
    this.require(project, name);
    return this.store.secrets.versions(project, name).map(versionView);
  }

  getVersion(project: string, name: string, ref: string): SecretVersion {
    this.require(project, name);
    checkField("version", versionRefSchema, ref);
    return versionView(secretVersionOf(this.store.secrets, project, name, ref));
  }

  addVersion(project: string, name: string, body: unknown): SecretVersion {
    const { data } = parseBody(addVersionBodySchema, body);
    const version = this.store.transaction(() => this.appendVersion(this.require(project, name), Buffer.from(data, "base64")));
    this.onVersionsChanged(project, name);
    return versionView(version);
  }

  /** The value of an enabled version: the one answer that carries one. */
  access(project: string, name: string, ref: string): SecretAccess {
    this.require(project, name);
    checkField("version", versionRefSchema, ref);
    const { version, value } = accessSecret(this.store.secrets, project, name, ref);
    return { secret: name, version, data: value.toString("base64") };
  }

  /** Enable, disable or destroy (for good: the value is gone, the number is never reused) a version. */
  changeVersion(project: string, name: string, ref: string, action: VersionAction): SecretVersion {
    this.require(project, name);
    checkField("version", versionRefSchema, ref);
    const { secrets } = this.store;
    const changed = this.store.transaction(() => {
      const version = secretVersionOf(secrets, project, name, ref);
      if (version.state === "DESTROYED" && action !== "destroy") {
        const reason = `version ${version.version} of secret "${name}" is destroyed; it cannot be ${action}d`;
        throw new SkiffError("FAILED_PRECONDITION", reason, [{ field: "version", reason }]);
      }
      const state = action === "enable" ? "ENABLED" : action === "disable" ? "DISABLED" : "DESTROYED";
      if (version.state !== state) secrets.setState(project, name, version.version, state, new Date().toISOString());
      return secrets.version(project, name, version.version)!;
    });
    this.onVersionsChanged(project, name);
    return versionView(changed);
  }

  private appendVersion(secret: SecretRow, value: Buffer): SecretVersionRow {
    const version: SecretVersionRow = {
      project: secret.project,
      secret: secret.name,
      version: secret.nextVersion,
      state: "ENABLED",
      createTime: new Date().toISOString(),
    };
    this.store.secrets.addVersion(version, value);
    this.store.secrets.put({ ...secret, nextVersion: secret.nextVersion + 1 });
    return version;
  }

  private require(project: string, name: string): SecretRow {
    checkProject(project);
    checkField("secret", secretNameSchema, name);
    const row = this.store.secrets.get(project, name);
    if (!row) throw notFound("secret", name, project, `create it with: skiff secrets create ${name} --data-file FILE`);
    return row;
  }

  private view(row: SecretRow): Secret {
    const versions = this.store.secrets.versions(row.project, row.name);
    return {
      name: row.name,
      project: row.project,
      labels: row.labels,
      ...(versions[0] ? { latestVersion: versions[0].version } : {}),
      versionCount: versions.length,
      createTime: row.createTime,
    };
  }
}

function versionView(v: SecretVersionRow): SecretVersion {
  return {
    secret: v.secret,
    project: v.project,
    version: v.version,
    state: v.state,
    createTime: v.createTime,
    ...(v.destroyTime ? { destroyTime: v.destroyTime } : {}),
  };
}
