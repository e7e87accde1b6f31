import * as pulumi from "@pulumi/pulumi";
import * as skiff from "skiff-run";

const config = new pulumi.Config();
// A locally built image (no registry needed): see README.md. The same image serves and migrates.
const image = config.get("image") ?? "skiff-demo/hello:latest";
// The release being rolled out: its revision gets the traffic once its migration has run.
const release = config.get("release") ?? "v1";
// Set to a message to act out a migration that fails (the rollout then stops before the traffic).
const migrationFail = config.get("migrationFail");

const web = new skiff.Service("web", {
  template: { image, env: { GREETING: "Hello from the first release" } },
});

// The release's revision: a candidate with no traffic until the TrafficTarget below moves it.
const next = new skiff.Revision("web-next", {
  service: web.name,
  template: { image, env: { GREETING: `Hello from release ${release}` } },
});

// The migration runs whenever its template changes (here: with each release) and `pulumi up`
// waits for it; if it fails, the up fails and everything that depends on it stays as it was.
const migrate = new skiff.Job("migrate", {
  template: {
    image,
    env: { SCHEMA_VERSION: release, ...(migrationFail ? { MIGRATION_FAIL: migrationFail } : {}) },
    maxRetries: 1,
    timeout: 120,
  },
  execute: "onChange",
});

// Only after the migration succeeded does the new revision get the traffic.
const traffic = new skiff.TrafficTarget(
  "web",
  { service: web.name, traffic: [{ revision: next.name, percent: 100 }] },
  { dependsOn: [migrate] },
);

export const url = web.url;
export const servingRevision = traffic.statuses.apply((s) => s.find((entry) => entry.percent === 100)?.revision);
export const migration = migrate.latestExecution;
