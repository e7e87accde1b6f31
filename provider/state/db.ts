import type { DatabaseSync } from "node:sqlite";

/**
 * Durable engine state. WAL so readers never block the writer; every change the controller makes
 * runs in one transaction (see Store.transaction), so a kill -9 leaves either all of it or none.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE services (
     project TEXT NOT NULL, name TEXT NOT NULL,
     spec TEXT NOT NULL,            -- JSON: { template, labels, ingress }
     traffic TEXT NOT NULL,         -- JSON: TrafficTarget[] ([] = 100 % to the latest ready revision)
     next_generation INTEGER NOT NULL,
     create_time TEXT NOT NULL, update_time TEXT NOT NULL,
     PRIMARY KEY (project, name));
   CREATE TABLE revisions (
     project TEXT NOT NULL, name TEXT NOT NULL, service TEXT NOT NULL,
     generation INTEGER NOT NULL, origin TEXT NOT NULL,
     template TEXT NOT NULL, fingerprint TEXT NOT NULL,
     image TEXT NOT NULL, image_digest TEXT NOT NULL,
     status TEXT NOT NULL, error TEXT,
     create_time TEXT NOT NULL,
     PRIMARY KEY (project, name));
   CREATE INDEX revisions_by_service ON revisions (project, service, generation);
   CREATE TABLE instances (
     id TEXT PRIMARY KEY, project TEXT NOT NULL, service TEXT NOT NULL, revision TEXT NOT NULL,
     container_id TEXT NOT NULL, host_port INTEGER, create_time TEXT NOT NULL);
   CREATE TABLE domain_mappings (
     domain TEXT PRIMARY KEY, project TEXT NOT NULL, service TEXT NOT NULL, create_time TEXT NOT NULL);`,
  // The last failure of a ready revision's instances (an out-of-memory kill, an exit), and the
  // generation of each service's spec, which a client's change must name to be applied.
  `ALTER TABLE revisions ADD COLUMN instance_error TEXT;
   ALTER TABLE services ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;`,
  // Jobs; each execution snapshots the template it runs; each task keeps its attempt and container.
  `CREATE TABLE jobs (
     project TEXT NOT NULL, name TEXT NOT NULL,
     spec TEXT NOT NULL,            -- JSON: { template, labels }
     generation INTEGER NOT NULL, execution_count INTEGER NOT NULL,
     create_time TEXT NOT NULL, update_time TEXT NOT NULL,
     PRIMARY KEY (project, name));
   CREATE TABLE executions (
     project TEXT NOT NULL, name TEXT NOT NULL, job TEXT NOT NULL,
     template TEXT NOT NULL,        -- JSON: the job's template with the execution's overrides
     status TEXT NOT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0,
     create_time TEXT NOT NULL, start_time TEXT NOT NULL, completion_time TEXT,
     PRIMARY KEY (project, name));
   CREATE INDEX executions_by_job ON executions (project, job, create_time);
   CREATE TABLE tasks (
     project TEXT NOT NULL, execution TEXT NOT NULL, task_index INTEGER NOT NULL,
     state TEXT NOT NULL, attempt INTEGER NOT NULL, exit_code INTEGER, last_error TEXT,
     container_id TEXT, start_time TEXT, completion_time TEXT,
     PRIMARY KEY (project, execution, task_index));`,
  // Who may call a service or run a job: its IAM bindings, apart from its spec (as on Cloud Run).
  // No row: the default (a service is public). The etag is the bindings' hash.
  `CREATE TABLE iam_policies (
     project TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
     bindings TEXT NOT NULL,        -- JSON: [{ role, members }], normalised
     PRIMARY KEY (project, kind, name));`,
  // Secrets with numbered versions; a version's value is sealed (state/secret-cipher.ts) and gone
  // once destroyed. What buckets, NFS exports and Cloud SQL instances are mapped to on this machine.
  `CREATE TABLE secrets (
     project TEXT NOT NULL, name TEXT NOT NULL,
     labels TEXT NOT NULL,          -- JSON
     next_version INTEGER NOT NULL, create_time TEXT NOT NULL,
     PRIMARY KEY (project, name));
   CREATE TABLE secret_versions (
     project TEXT NOT NULL, secret TEXT NOT NULL, version INTEGER NOT NULL,
     state TEXT NOT NULL, create_time TEXT NOT NULL, destroy_time TEXT,
     sealed BLOB,                   -- nonce, tag and AES-256-GCM ciphertext; NULL once destroyed
     PRIMARY KEY (project, secret, version));
   CREATE TABLE volume_mappings (
     kind TEXT NOT NULL, name TEXT NOT NULL,
     target TEXT NOT NULL,          -- JSON: { path } or { target, type }
     create_time TEXT NOT NULL,
     PRIMARY KEY (kind, name));`,
  // The image id each sidecar of a revision runs, pinned with the ingress container's (NULL: no sidecars).
  `ALTER TABLE revisions ADD COLUMN sidecar_digests TEXT;`,
];

export type Database = DatabaseSync;

/**
 * Node's built-in SQLite (node:sqlite), so installing skiff runs no install script and needs no
 * compiler, headers or download. Node 22 warns once, on load, that the module is experimental
 * (Node 24 no longer does): that one warning is kept out of the engine's output; any other passes.
 */
function loadSqlite(): typeof import("node:sqlite") {
  // Kept unbound on purpose: it goes back in place as it was, and is called with process as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("SQLite is an experimental feature")) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  try {
    return require("node:sqlite") as typeof import("node:sqlite");
  } finally {
    process.emitWarning = emitWarning;
  }
}

export function openDatabase(path: string): Database {
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  const current = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  for (let v = current; v < MIGRATIONS.length; v++) {
    inTransaction(db, () => {
      db.exec(MIGRATIONS[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
  return db;
}

const depths = new WeakMap<Database, number>();

/**
 * Runs fn in one transaction: all of its writes land, or none (a throw rolls them back). A
 * transaction begun inside another is a savepoint of it.
 */
export function inTransaction<T>(db: Database, fn: () => T): T {
  const depth = depths.get(db) ?? 0;
  const savepoint = `nested_${depth}`;
  db.exec(depth === 0 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`);
  depths.set(db, depth + 1);
  try {
    const result = fn();
    db.exec(depth === 0 ? "COMMIT" : `RELEASE ${savepoint}`);
    return result;
  } catch (error) {
    db.exec(depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
    throw error;
  } finally {
    depths.set(db, depth);
  }
}
