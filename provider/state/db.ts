import Database from "better-sqlite3";

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
];

export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
