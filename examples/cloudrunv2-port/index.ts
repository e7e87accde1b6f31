import * as pulumi from "@pulumi/pulumi";
import * as gcp from "skiff-run";

const config = new pulumi.Config();
const location = config.get("location") ?? "us-central1";
const gcpProject = new pulumi.Config("gcp").get("project") ?? "my-project-name";
const image = config.get("image") ?? "skiff-demo/hello:latest";
const domain = config.get("domain") ?? "hello.example.test";
// The release being rolled out. With previousRelease set, the new release is a canary: it takes
// 10 % of the requests and the tag URL "canary", the previous release keeps 90 %.
const release = config.get("release") ?? "v1";
const previousRelease = config.get("previousRelease");
// Where the service keeps what users upload (a Cloud Storage bucket; locally a folder).
const uploadsBucket = config.get("uploadsBucket") ?? "hello-uploads";

// The key the service calls its partner API with, in Secret Manager: the program never reads it
// back, the state keeps it encrypted, and the service gets it as an env var when it starts.
const apiKey = new gcp.secretmanager.Secret("api-key", { secretId: "hello-api-key", replication: { auto: {} } });
const apiKeyVersion = new gcp.secretmanager.SecretVersion("api-key", {
  secret: apiKey.id,
  secretData: config.getSecret("apiKey") ?? pulumi.secret("demo-api-key"),
});

// The schema migration of the release: runExecutionToken runs it whenever the release changes,
// and the job is ready only once that execution succeeded.
const migrate = new gcp.cloudrunv2.Job("migrate", {
  name: "migrate",
  location,
  deletionProtection: false,
  runExecutionToken: release,
  template: {
    taskCount: 1,
    template: {
      containers: [
        {
          image,
          envs: [{ name: "SCHEMA_VERSION", value: release }],
          resources: { limits: { cpu: "1", memory: "512Mi" } },
        },
      ],
      maxRetries: 1,
      timeout: "120s",
    },
  },
});

const hello = new gcp.cloudrunv2.Service(
  "hello",
  {
    name: "hello",
    location,
    deletionProtection: false,
    ingress: "INGRESS_TRAFFIC_ALL",
    template: {
      revision: `hello-${release}`,
      containers: [
        {
          image,
          envs: [
            { name: "GREETING", value: `Hello from release ${release}` },
            { name: "API_KEY", valueSource: { secretKeyRef: { secret: apiKey.secretId, version: "latest" } } },
          ],
          ports: { containerPort: 8080 },
          resources: { limits: { cpu: "1", memory: "512Mi" } },
          volumeMounts: [
            { name: "uploads", mountPath: "/uploads" },
            { name: "scratch", mountPath: "/scratch" },
          ],
        },
      ],
      volumes: [
        { name: "uploads", gcs: { bucket: uploadsBucket, readOnly: false } },
        // In memory, counted toward the instance's 512Mi.
        { name: "scratch", emptyDir: { medium: "MEMORY", sizeLimit: "64Mi" } },
      ],
      scaling: { minInstanceCount: 0, maxInstanceCount: 3 },
      maxInstanceRequestConcurrency: 80,
      timeout: "300s",
    },
    traffics:
      previousRelease === undefined
        ? [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }]
        : [
            { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: `hello-${previousRelease}`, percent: 90 },
            { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 10, tag: "canary" },
          ],
  },
  { dependsOn: [migrate, apiKeyVersion] },
);

// Public, as `gcloud run deploy --allow-unauthenticated` makes a service: a service pulumi-gcp
// creates is private (callers need an identity token of an invoker) until a binding opens it.
new gcp.cloudrunv2.ServiceIamMember("hello-public", {
  name: hello.name,
  location: hello.location,
  role: "roles/run.invoker",
  member: "allUsers",
});

const mapping = new gcp.cloudrun.DomainMapping("hello", {
  location,
  name: domain,
  metadata: { namespace: gcpProject },
  spec: { routeName: hello.name },
});

export const uri = hello.uri;
export const latestReadyRevision = hello.latestReadyRevision;
export const trafficStatuses = hello.trafficStatuses;
export const canaryUri = hello.trafficStatuses.apply((statuses) => statuses.find((s) => s.tag === "canary")?.uri);
export const migration = migrate.latestCreatedExecutions;
export const mappedDomain = mapping.name;
export const mappingStatuses = mapping.statuses;
