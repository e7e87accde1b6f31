import type { VersionState } from "../model/secret";
import type { Database } from "./db";
import { rowByName, rowsByProject } from "./queries";
import type { SecretCipher } from "./secret-cipher";

export interface SecretRow {
  project: string;
  name: string;
  labels: Record<string, string>;
  /** The number the next version gets. */
  nextVersion: number;
  createTime: string;
}

export interface SecretVersionRow {
  project: string;
  secret: string;
  version: number;
  state: VersionState;
  createTime: string;
  destroyTime?: string;
}

/**
 * The secrets tables: names, versions and their states, and each version's value sealed by the
 * cipher (never in plain text; a destroyed version's value is gone). Shares the Store's database
 * and its transactions.
 */
export class SecretStore {
  constructor(
    private readonly db: Database,
    private readonly cipher: SecretCipher,
  ) {}

  get(project: string, name: string): SecretRow | undefined {
    const row = rowByName(this.db, "secrets", project, name);
    return row ? toSecret(row) : undefined;
  }

  list(project?: string): SecretRow[] {
    return rowsByProject(this.db, "secrets", project).map(toSecret);
  }

  put(s: SecretRow): void {
    this.db
      .prepare(
        `INSERT INTO secrets (project, name, labels, next_version, create_time) VALUES (@project, @name, @labels, @nextVersion, @createTime)
         ON CONFLICT (project, name) DO UPDATE SET labels = @labels, next_version = @nextVersion`,
      )
      .run({ project: s.project, name: s.name, labels: JSON.stringify(s.labels), nextVersion: s.nextVersion, createTime: s.createTime });
  }

  delete(project: string, name: string): void {
    this.db.prepare("DELETE FROM secret_versions WHERE project = ? AND secret = ?").run(project, name);
    this.db.prepare("DELETE FROM secrets WHERE project = ? AND name = ?").run(project, name);
    this.db.prepare("DELETE FROM iam_policies WHERE project = ? AND kind = 'secret' AND name = ?").run(project, name);
  }

  /** Newest first. */
  versions(project: string, secret: string): SecretVersionRow[] {
    return this.db
      .prepare("SELECT * FROM secret_versions WHERE project = ? AND secret = ? ORDER BY version DESC")
      .all(project, secret)
      .map(toVersion);
  }

  version(project: string, secret: string, version: number): SecretVersionRow | undefined {
    const row = this.db
      .prepare("SELECT * FROM secret_versions WHERE project = ? AND secret = ? AND version = ?")
      .get(project, secret, version);
    return row ? toVersion(row) : undefined;
  }

  addVersion(v: SecretVersionRow, value: Buffer): void {
    this.db
      .prepare(
        `INSERT INTO secret_versions (project, secret, version, state, create_time, destroy_time, sealed)
         VALUES (?, ?, ?, ?, ?, NULL, ?)`,
      )
      .run(v.project, v.secret, v.version, v.state, v.createTime, this.cipher.seal(value, sealedFor(v.project, v.secret, v.version)));
  }

  /** A destroyed version keeps its row (its number is never reused) and loses its value. */
  setState(project: string, secret: string, version: number, state: VersionState, destroyTime?: string): void {
    if (state === "DESTROYED")
      this.db
        .prepare("UPDATE secret_versions SET state = ?, destroy_time = ?, sealed = NULL WHERE project = ? AND secret = ? AND version = ?")
        .run(state, destroyTime ?? null, project, secret, version);
    else
      this.db
        .prepare("UPDATE secret_versions SET state = ? WHERE project = ? AND secret = ? AND version = ?")
        .run(state, project, secret, version);
  }

  /** The version's value, undefined once destroyed. */
  value(project: string, secret: string, version: number): Buffer | undefined {
    const row = this.db
      .prepare("SELECT sealed FROM secret_versions WHERE project = ? AND secret = ? AND version = ?")
      .get(project, secret, version) as { sealed: Uint8Array | null } | undefined;
    if (!row?.sealed) return undefined;
    return this.cipher.open(Buffer.from(row.sealed), sealedFor(project, secret, version));
  }
}

function sealedFor(project: string, secret: string, version: number): string {
  return `${project}/${secret}/${version}`;
}

type Row = Record<string, any>;

function toSecret(row: unknown): SecretRow {
  const r = row as Row;
  return { project: r.project, name: r.name, labels: JSON.parse(r.labels), nextVersion: r.next_version, createTime: r.create_time };
}

function toVersion(row: unknown): SecretVersionRow {
  const r = row as Row;
  return {
    project: r.project,
    secret: r.secret,
    version: r.version,
    state: r.state,
    createTime: r.create_time,
    destroyTime: r.destroy_time ?? undefined,
  };
}
