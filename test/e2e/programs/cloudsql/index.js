// Written as a pulumi-gcp program is (the import is the only mention of skiff): the database
// password in Secret Manager, a service with the Cloud SQL volume that Cloud Run's documentation
// shows, public through an IAM member; with config `expectNote`, a job that reads the notes back
// and must find that one (runExecutionToken: `pulumi up` waits for it and fails if it fails).
"use strict";
const pulumi = require("@pulumi/pulumi");
const gcp = require("skiff-run");

const config = new pulumi.Config();
const image = config.require("image");
const instance = config.get("instance") ?? "proj:europe-west1:db";
const location = "europe-west1";

const password = new gcp.secretmanager.Secret("db-pass", { secretId: "db-pass", replication: { auto: {} } });
const passwordVersion = new gcp.secretmanager.SecretVersion("db-pass", {
  secret: password.id,
  secretData: config.requireSecret("dbPassword"),
});

const container = {
  image,
  envs: [
    { name: "INSTANCE_CONNECTION_NAME", value: instance },
    { name: "DB_PASSWORD", valueSource: { secretKeyRef: { secret: password.secretId, version: "latest" } } },
  ],
  volumeMounts: [{ name: "cloudsql", mountPath: "/cloudsql" }],
};
const volumes = [{ name: "cloudsql", cloudSqlInstance: { instances: [instance] } }];

const notes = new gcp.cloudrunv2.Service(
  "notes",
  { location, deletionProtection: false, template: { containers: [container], volumes } },
  { dependsOn: [passwordVersion] },
);
new gcp.cloudrunv2.ServiceIamMember("notes-public", { name: notes.name, location, role: "roles/run.invoker", member: "allUsers" });

const expectNote = config.get("expectNote");
if (expectNote) {
  new gcp.cloudrunv2.Job(
    "reader",
    {
      location,
      deletionProtection: false,
      runExecutionToken: expectNote,
      template: {
        template: {
          maxRetries: 0,
          containers: [{ ...container, envs: [...container.envs, { name: "EXPECT_NOTE", value: expectNote }] }],
          volumes,
        },
      },
    },
    { dependsOn: [passwordVersion] },
  );
}

exports.uri = notes.uri;
exports.passwordVersion = passwordVersion.version;
