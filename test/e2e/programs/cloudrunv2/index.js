// Plain JavaScript, written as a pulumi-gcp program would be; config `scenario` picks what it shows.
"use strict";
const pulumi = require("@pulumi/pulumi");
const gcp = require("skiff-run");

const config = new pulumi.Config();
const image = config.require("image");
const scenario = config.require("scenario");
const location = "us-central1";
// A task of the fixture image: the node binary with a script of its own.
const task = (script) => ({ image, commands: ["/node"], args: ["-e", script] });
// A service pulumi-gcp creates is private; real programs for public services bind allUsers.
const makePublic = (resourceName, service) =>
  new gcp.cloudrunv2.ServiceIamMember(resourceName, { name: service.name, location, role: "roles/run.invoker", member: "allUsers" });

if (scenario === "warnings") {
  // Fields with no local meaning: accepted, named once per resource, never an error.
  const web = new gcp.cloudrunv2.Service("web", {
    location,
    project: "my-gcp-project",
    deletionProtection: true,
    invokerIamDisabled: true,
    binaryAuthorization: { useDefault: true },
    template: {
      serviceAccount: "web@my-gcp-project.iam.gserviceaccount.com",
      vpcAccess: { connector: "projects/my-gcp-project/locations/us-central1/connectors/c", egress: "ALL_TRAFFIC" },
      encryptionKey: "projects/my-gcp-project/locations/us-central1/keyRings/r/cryptoKeys/k",
      executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2",
      containers: [{ image }],
    },
  });
  new gcp.cloudrunv2.Job("batch", {
    location,
    template: { template: { serviceAccount: "batch@my-gcp-project.iam.gserviceaccount.com", containers: [task("0")] } },
  });
  makePublic("web-public", web);
  new gcp.cloudrun.DomainMapping("web", {
    location,
    name: config.require("domain"),
    metadata: { namespace: "my-gcp-project" },
    spec: { routeName: web.name },
  });
} else if (scenario === "invalid") {
  const mistake = config.require("mistake");
  const container = { image };
  const template = { containers: [container] };
  let traffics;
  if (mistake === "percent") traffics = [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 110 }];
  if (mistake === "containerPort") container.ports = { containerPort: 0 };
  if (mistake === "timeout") template.timeout = "soon";
  if (mistake === "secret")
    container.envs = [{ name: "DB_PASSWORD", valueSource: { secretKeyRef: { secret: "db/password", version: "latest" } } }];
  new gcp.cloudrunv2.Service("web", { location, template, traffics });
} else if (scenario === "lifecycle") {
  // Secret envs from Secret Manager: the latest of one secret (its value from stack config, a
  // Pulumi secret), a pinned version of another named by its id; the image comes from config.
  const dbPassword = new gcp.secretmanager.Secret("db-password", { secretId: "db-password", replication: { auto: {} } });
  const dbPasswordVersion = new gcp.secretmanager.SecretVersion("db-password", {
    secret: dbPassword.id,
    secretData: config.requireSecret("dbPassword"),
  });
  const apiKey = new gcp.secretmanager.Secret("api-key", { secretId: "api-key", replication: { auto: {} } });
  const apiKey1 = new gcp.secretmanager.SecretVersion("api-key-1", { secret: apiKey.id, secretData: "old-key" });
  const apiKey2 = new gcp.secretmanager.SecretVersion(
    "api-key-2",
    { secret: apiKey.id, secretData: "pinned-key" },
    { dependsOn: [apiKey1] },
  );
  const web = new gcp.cloudrunv2.Service(
    "web",
    {
      location,
      template: {
        containers: [
          {
            image,
            envs: [
              { name: "PLAIN", value: "visible" },
              { name: "FROM_LATEST", valueSource: { secretKeyRef: { secret: dbPassword.secretId, version: "latest" } } },
              { name: "FROM_PINNED", valueSource: { secretKeyRef: { secret: apiKey.id, version: apiKey2.version } } },
            ],
          },
        ],
      },
    },
    { dependsOn: [dbPasswordVersion] },
  );
  // Two members of one policy, created at once: neither edit may lose the other.
  makePublic("web-public", web);
  new gcp.cloudrunv2.ServiceIamMember("web-developer", {
    name: web.name,
    location,
    role: "roles/run.developer",
    member: "user:dev@example.com",
  });
  // Started, not waited for: it sleeps a minute.
  new gcp.cloudrunv2.Job("starter", {
    location,
    startExecutionToken: "start-once-created",
    template: { template: { containers: [task("setTimeout(() => {}, 60000)")] } },
  });
} else if (scenario === "failing-job") {
  // runExecutionToken: `pulumi up` waits for the execution; it fails (the fixture exits 3) until fixed.
  const container = config.getBoolean("fixed") ? task("0") : { image, envs: [{ name: "FIXTURE_MODE", value: "exit" }] };
  new gcp.cloudrunv2.Job("gate", {
    location,
    runExecutionToken: "migrate-once",
    template: { template: { containers: [container], maxRetries: 0 } },
  });
} else if (scenario === "liveness") {
  // A liveness probe as pulumi-gcp writes one: a GET of /healthz every `livenessPeriod` seconds.
  const web = new gcp.cloudrunv2.Service("web", {
    location,
    template: {
      containers: [
        {
          image,
          livenessProbe: { httpGet: { path: "/healthz" }, periodSeconds: config.requireNumber("livenessPeriod"), failureThreshold: 2 },
        },
      ],
    },
  });
  makePublic("web-public", web);
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
