import test from "ava";
import { checkGcpDomainMappingInputs } from "../../sdk/check/cloudrun-domain-mapping";
import { checkGcpJobInputs } from "../../sdk/check/cloudrunv2-job";
import { checkGcpServiceInputs } from "../../sdk/check/cloudrunv2-service";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";
import { translateJob } from "../../sdk/gcp/job-spec";
import { gcpServiceTemplate } from "../../sdk/gcp/render";
import { serviceTemplateSchema } from "../../provider/model/template";
import { translateService } from "../../sdk/gcp/service-spec";

// pulumi-gcp's arguments translate to the engine's model, and its validation names the path the
// user wrote; values unknown at preview are let through.

const reasons = (failures: { property: string; reason: string }[]) => failures.map((f) => `${f.property}: ${f.reason}`);
const service = (extra: Record<string, unknown> = {}, template: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  name: "hello",
  skiffProject: "dev",
  location: "us-central1",
  template: { containers: [{ image: "img:1", ...container }], ...template },
  ...extra,
});

test("the example's service translates to the engine's spec", (t) => {
  const result = translateService(
    service(
      {
        ingress: "INGRESS_TRAFFIC_ALL",
        labels: { team: "web" },
        traffics: [
          { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "hello-v1", percent: 90 },
          { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 10, tag: "canary" },
        ],
      },
      { revision: "hello-v2", scaling: { minInstanceCount: 0, maxInstanceCount: 3 }, maxInstanceRequestConcurrency: 80, timeout: "300s" },
      {
        commands: ["/node"],
        args: ["/server.js"],
        envs: [{ name: "GREETING", value: "hi" }, { name: "EMPTY" }],
        ports: { containerPort: 8081 },
        resources: { limits: { cpu: "2", memory: "1Gi" } },
      },
    ),
  );
  t.deepEqual(result.failures, []);
  t.is(result.revisionSuffix, "v2");
  t.deepEqual(result.spec, {
    template: {
      image: "img:1",
      command: ["/node"],
      args: ["/server.js"],
      env: { GREETING: "hi", EMPTY: "" },
      resources: { cpu: "2", memory: "1Gi" },
      port: 8081,
      maxInstanceRequestConcurrency: 80,
      timeout: 300,
      scaling: { minInstanceCount: 0, maxInstanceCount: 3 },
    },
    labels: { team: "web" },
    ingress: "all",
    traffic: [
      { type: "REVISION", revision: "hello-v1", percent: 90 },
      { type: "LATEST", percent: 10, tag: "canary" },
    ],
    customAudiences: [],
    description: "",
    defaultUriDisabled: false,
    serviceScaling: { scalingMode: "AUTOMATIC" },
  });
});

test("without traffics the engine gets [] (100 % to the latest ready revision), and ingress defaults to all", (t) => {
  const { spec, failures } = translateService(service());
  t.deepEqual(failures, []);
  t.deepEqual(spec.traffic, []);
  t.is(spec.ingress, "all");
  t.deepEqual(spec.template, { image: "img:1", scaling: {} });
});

test("the issue's invalid fields fail at the path as written", (t) => {
  t.deepEqual(
    reasons(translateService(service({ traffics: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 110 }] })).failures),
    ["traffics[0].percent: must be between 0 and 100"],
  );
  t.deepEqual(reasons(translateService(service({}, {}, { ports: { containerPort: 0 } })).failures), [
    "template.containers[0].ports.containerPort: must be between 1 and 65535",
  ]);
  t.deepEqual(reasons(translateService(service({}, { timeout: "soon" })).failures), [
    'template.timeout: must be a duration in seconds such as "300s", got "soon"',
  ]);
  t.deepEqual(
    reasons(
      translateJob({ name: "migrate", skiffProject: "dev", template: { template: { containers: [{ image: "img:1" }], timeout: "soon" } } })
        .failures,
    ),
    ['template.template.timeout: must be a duration in seconds such as "300s", got "soon"'],
  );
});

test("pulumi-gcp traffics: a tag too long beside the service's name fails at its path", (t) => {
  const tag = "t".repeat(42); // "hello" + 42 = 47 > 46, Cloud Run's limit for both
  t.deepEqual(
    reasons(translateService(service({ traffics: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100, tag }] })).failures),
    [
      `traffics[0].tag: tag "${tag}" and service name "hello" together are 47 characters; Cloud Run allows at most 46 for both (the tag URL is ${tag}---hello)`,
    ],
  );
});

test("the engine's rules are named at the user's paths", (t) => {
  const result = translateService(
    service(
      {
        ingress: "INGRESS_TRAFFIC_NONE",
        traffics: [
          { type: "LATEST", percent: 50 },
          { revision: "hello-v1", percent: 40, tag: "Bad" },
        ],
      },
      { timeout: "4000s", scaling: { minInstanceCount: 5, maxInstanceCount: 2 }, maxInstanceRequestConcurrency: 0 },
      {
        envs: [
          { name: "PORT", value: "1" },
          { name: "A", value: "x" },
          { name: "A", value: "y" },
        ],
        resources: { limits: { memory: "lots" } },
      },
    ),
  );
  t.deepEqual(reasons(result.failures).sort(), [
    'ingress: must be one of INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY, INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER, got "INGRESS_TRAFFIC_NONE"',
    "template.containers[0].envs[0].name: is reserved: the platform sets PORT, K_SERVICE, K_REVISION and K_CONFIGURATION",
    'template.containers[0].envs[2].name: duplicate variable "A": template.containers[0].envs[1] sets it too',
    'template.containers[0].resources.limits.memory: must be a quantity such as 512Mi or 1Gi, got "lots"',
    "template.maxInstanceRequestConcurrency: must be between 1 and 1000",
    "template.scaling.minInstanceCount: minInstanceCount must not exceed maxInstanceCount",
    "template.timeout: must be between 1 and 3600 seconds",
    'traffics[0].type: must be TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST or TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, got "LATEST"',
    "traffics[1].tag: must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
  ]);
});

test("percents must sum to 100, tags be unique; a revision the engine has not made yet is not judged here", (t) => {
  const result = translateService(
    service({
      traffics: [
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "hello-old", percent: 50, tag: "a" },
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 40, tag: "a" },
      ],
    }),
  );
  t.deepEqual(reasons(result.failures), [
    'traffics[1].tag: duplicate tag "a": traffic[0] has it too; tags must be unique',
    "traffics: percents must sum to 100, got 90",
  ]);
});

test("shapes of pulumi-gcp's other resources and what skiff cannot run are refused at their path", (t) => {
  const result = translateService(
    service(
      {},
      {
        revision: "other-v1",
        containers: [{ image: "a:1", ports: [{ containerPort: 8080 }], workingDir: "/app" }, { image: "sidecar:1" }],
      },
    ),
  );
  t.deepEqual(reasons(result.failures).sort(), [
    "template.containers[0].ports: must be one object {containerPort, name} in cloudrunv2.Service, not a list",
    "template.containers[0].workingDir: skiff's engine runs the image's own working directory; remove workingDir (or set it in the image)",
    // A second container is a sidecar now: it needs its name.
    "template.containers[1].name: must be a string",
    'template.revision: must start with the service\'s name and a hyphen ("hello-..."), got "other-v1"',
  ]);
});

test("service-level scaling is the service's own (divided over the split by the engine), apart from the template's", (t) => {
  const both = translateService(
    service({ scaling: { minInstanceCount: 2, maxInstanceCount: 4 } }, { scaling: { minInstanceCount: 1, maxInstanceCount: 10 } }),
  );
  t.deepEqual((both.spec.template as { scaling: unknown }).scaling, { minInstanceCount: 1, maxInstanceCount: 10 });
  t.deepEqual(both.spec.serviceScaling, { scalingMode: "AUTOMATIC", minInstanceCount: 2, maxInstanceCount: 4 });
  const manual = translateService(service({ scaling: { scalingMode: "MANUAL", manualInstanceCount: 3 } }));
  t.deepEqual(manual.spec.serviceScaling, { scalingMode: "MANUAL", manualInstanceCount: 3 });
  t.deepEqual(translateService(service()).spec.serviceScaling, { scalingMode: "AUTOMATIC" }, "none written: none");
  t.deepEqual(reasons(translateService(service({ scaling: { minInstanceCount: 5, maxInstanceCount: 2 } })).failures), [
    "scaling.minInstanceCount: must not exceed maxInstanceCount (5 > 2)",
  ]);
  t.deepEqual(reasons(translateService(service({ scaling: { manualInstanceCount: 2 } })).failures), [
    "scaling.manualInstanceCount: needs scalingMode MANUAL",
  ]);
});

test("a startup probe's httpGet is an HTTP probe of its path, port and headers; a grpc one a health check of its port and service", (t) => {
  const { spec, failures } = translateService(
    service(
      {},
      {},
      {
        startupProbe: {
          httpGet: { path: "/healthz", port: 8080, httpHeaders: [{ name: "X-Probe", value: "1" }, { name: "X-Empty" }] },
          periodSeconds: 3,
          failureThreshold: 2,
        },
      },
    ),
  );
  t.deepEqual(failures, []);
  t.deepEqual((spec.template as { startupProbe: unknown }).startupProbe, {
    periodSeconds: 3,
    failureThreshold: 2,
    httpGet: {
      path: "/healthz",
      port: 8080,
      httpHeaders: [
        { name: "X-Probe", value: "1" },
        { name: "X-Empty", value: "" },
      ],
    },
  });
  const bare = translateService(service({}, {}, { startupProbe: { httpGet: {} } }));
  t.deepEqual((bare.spec.template as { startupProbe: unknown }).startupProbe, { httpGet: {} }, "path and port: the engine's defaults");
  const grpc = translateService(service({}, {}, { startupProbe: { grpc: { port: 9000, service: "health" } } }));
  t.deepEqual(
    (grpc.spec.template as { startupProbe: unknown }).startupProbe,
    { grpc: { port: 9000, service: "health" } },
    "a gRPC health check",
  );
  t.deepEqual(reasons(translateService(service({}, {}, { startupProbe: { httpGet: { path: "healthz" } } })).failures), [
    "template.containers[0].startupProbe.httpGet.path: must be an absolute path such as /healthz (starting with /, no spaces)",
  ]);
  t.deepEqual(reasons(translateService(service({}, {}, { startupProbe: { tcpSocket: {}, grpc: {}, periodSeconds: 999 } })).failures), [
    "template.containers[0].startupProbe: must set one of tcpSocket, httpGet or grpc, not tcpSocket and grpc",
    "template.containers[0].startupProbe.periodSeconds: must be at most 240",
  ]);
});

test("values unknown at preview pass wherever they are, even where a number or a list is expected", (t) => {
  for (const inputs of [
    service(
      {
        name: UNKNOWN,
        traffics: [
          { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: UNKNOWN },
          { type: UNKNOWN, revision: UNKNOWN, percent: 10 },
        ],
      },
      { revision: "hello-v2", timeout: UNKNOWN },
      { image: UNKNOWN, ports: { containerPort: UNKNOWN } },
    ),
    service({ template: UNKNOWN, traffics: UNKNOWN, labels: UNKNOWN, ingress: UNKNOWN }),
    service({}, { containers: UNKNOWN, scaling: UNKNOWN }),
    service({}, { containers: [UNKNOWN] }),
    service({}, {}, { envs: UNKNOWN, resources: UNKNOWN, startupProbe: UNKNOWN }),
    service(
      {},
      {},
      {
        envs: [
          { name: UNKNOWN, value: "x" },
          { name: "B", value: UNKNOWN },
        ],
        resources: { limits: { cpu: UNKNOWN } },
      },
    ),
    service({}, {}, { envs: [{ name: "DB", valueSource: { secretKeyRef: { secret: UNKNOWN, version: "latest" } } }] }),
    service({}, { volumes: UNKNOWN }, { volumeMounts: [{ name: "v", mountPath: UNKNOWN }] }),
  ]) {
    t.deepEqual(checkGcpServiceInputs(inputs).failures, [], JSON.stringify(inputs));
  }
  t.deepEqual(checkGcpJobInputs({ name: "m", skiffProject: "dev", template: { taskCount: UNKNOWN, template: UNKNOWN } }).failures, []);
});

test("check keeps the inputs as written (what preview --diff shows); nothing is added", (t) => {
  const inputs = service({ traffics: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }] });
  t.deepEqual(checkGcpServiceInputs(inputs).inputs, inputs);
});

test("a secret env is a reference to a secret of the engine, by name (an id names the same secret), version latest when none is given", (t) => {
  const envs = [
    { name: "DB_PASSWORD", valueSource: { secretKeyRef: { secret: "projects/p/secrets/db-password", version: "2" } } },
    { name: "API_KEY", valueSource: { secretKeyRef: { secret: "api-key" } } },
    { name: "PLAIN", value: "x" },
  ];
  const translated = translateService(service({}, {}, { envs }));
  t.deepEqual(translated.failures, []);
  t.deepEqual((translated.spec.template as { env: unknown; secretEnv: unknown }).env, { PLAIN: "x" });
  t.deepEqual((translated.spec.template as { secretEnv: unknown }).secretEnv, {
    DB_PASSWORD: { secret: "db-password", version: "2" },
    API_KEY: { secret: "api-key", version: "latest" },
  });
  const bad = translateService(
    service({}, {}, { envs: [{ name: "X", valueSource: { secretKeyRef: { secret: "a/b", version: "newest" } } }] }),
  );
  t.deepEqual(
    bad.failures.map((f) => f.property),
    ["template.containers[0].envs[0].valueSource.secretKeyRef.secret", "template.containers[0].envs[0].valueSource.secretKeyRef.version"],
  );
});

test("volumes and mounts translate to the engine's, and their failures name the paths as written", (t) => {
  const template = {
    volumes: [
      { name: "cloudsql", cloudSqlInstance: { instances: ["proj:europe-west1:db"] } },
      { name: "data", gcs: { bucket: "my-bucket", readOnly: true, mountOptions: ["implicit-dirs"] } },
      { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
      { name: "key", secret: { secret: "projects/p/secrets/api-key", items: [{ path: "api-key", version: "latest" }] } },
    ],
  };
  const volumeMounts = [
    { name: "cloudsql", mountPath: "/cloudsql" },
    { name: "data", mountPath: "/data" },
    { name: "scratch", mountPath: "/scratch" },
    { name: "key", mountPath: "/secrets" },
  ];
  const ok = translateService(service({}, template, { volumeMounts }));
  t.deepEqual(ok.failures, []);
  t.deepEqual((ok.spec.template as { volumes: unknown }).volumes, [
    { name: "cloudsql", cloudSqlInstance: { instances: ["proj:europe-west1:db"] } },
    { name: "data", gcs: { bucket: "my-bucket", readOnly: true } },
    { name: "scratch", emptyDir: { medium: "MEMORY", sizeLimit: "64Mi" } },
    { name: "key", secret: { secret: "api-key", items: [{ path: "api-key", version: "latest" }] } },
  ]);
  const bad = translateService(
    service(
      {},
      {
        volumes: [
          { name: "n", nfs: { server: "nfs.test" } },
          { name: "m", emptyDir: {} },
        ],
      },
      {
        volumeMounts: [
          { name: "m", mountPath: "/proc" },
          { name: "m", mountPath: "/x", subPath: "a" },
        ],
      },
    ),
  );
  t.deepEqual(
    bad.failures.map((f) => f.property).sort(),
    ["template.containers[0].volumeMounts[0].mountPath", "template.containers[0].volumeMounts[1].subPath"].sort(),
  );
  // An NFS volume of a Service needs its path (a Job's defaults to the export's root).
  const noPath = translateService(service({}, { volumes: [{ name: "n", nfs: { server: "nfs.test", path: "relative" } }] }, {}));
  t.deepEqual(
    noPath.failures.map((f) => f.property),
    ["template.volumes[0].nfs.path"],
  );
});

test("a job translates to the engine's job template, failures at the user's paths", (t) => {
  const result = translateJob({
    name: "migrate",
    skiffProject: "dev",
    labels: { a: "b" },
    template: {
      taskCount: 3,
      parallelism: 2,
      template: {
        containers: [{ image: "img:1", envs: [{ name: "V", value: "1" }], ports: [{ containerPort: 1 }] }],
        maxRetries: 1,
        timeout: "120s",
      },
    },
  });
  t.deepEqual(result.failures, []);
  t.deepEqual(result.spec, {
    template: { image: "img:1", env: { V: "1" }, taskCount: 3, parallelism: 2, maxRetries: 1, timeout: 120 },
    labels: { a: "b" },
  });
  const bad = translateJob({
    name: "migrate",
    skiffProject: "dev",
    runExecutionToken: "a",
    startExecutionToken: "b",
    template: {
      taskCount: 0,
      template: { containers: [{ image: "img:1", envs: [{ name: "CLOUD_RUN_JOB", value: "x" }] }], maxRetries: 11 },
    },
  });
  t.deepEqual(reasons(bad.failures), [
    "template.template.containers[0].envs[0].name: is reserved: the platform sets CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION, CLOUD_RUN_TASK_INDEX, CLOUD_RUN_TASK_ATTEMPT and CLOUD_RUN_TASK_COUNT",
    "startExecutionToken: must not be set together with runExecutionToken: set one (run waits for the execution, start does not)",
    "template.taskCount: must be between 1 and 10000",
    "template.template.maxRetries: must be between 0 and 10",
  ]);
});

test("template.serviceAccount is the account a service's instances or a job's tasks run as; a bad one is named where written", (t) => {
  const account = "web@my-project.iam.gserviceaccount.com";
  t.is((translateService(service({}, { serviceAccount: account })).spec.template as { serviceAccount: unknown }).serviceAccount, account);
  t.false("serviceAccount" in (translateService(service()).spec.template as object), "left out: the project's default compute account");
  const job = translateJob({
    name: "migrate",
    skiffProject: "dev",
    template: { template: { serviceAccount: account, containers: [{ image: "img:1" }] } },
  });
  t.is((job.spec.template as { serviceAccount: unknown }).serviceAccount, account);
  t.deepEqual(reasons(translateService(service({}, { serviceAccount: "web" })).failures), [
    "template.serviceAccount: must be a service account email such as web@my-project.iam.gserviceaccount.com",
  ]);
  t.deepEqual(
    reasons(
      translateJob({
        name: "migrate",
        skiffProject: "dev",
        template: { template: { serviceAccount: 7, containers: [{ image: "img:1" }] } },
      }).failures,
    ),
    ["template.template.serviceAccount: must be a string"],
  );
  t.deepEqual(checkGcpServiceInputs(service({}, { serviceAccount: UNKNOWN })).failures, []);
});

test("a refresh writes the service account the engine runs back in pulumi-gcp's shape, or takes it out", (t) => {
  const user = { serviceAccount: "old@my-project.iam.gserviceaccount.com", containers: [{ image: "img:1" }] };
  const changed = serviceTemplateSchema.parse({ image: "img:1", serviceAccount: "new@my-project.iam.gserviceaccount.com" });
  t.is(gcpServiceTemplate(changed, user).serviceAccount, "new@my-project.iam.gserviceaccount.com");
  t.false("serviceAccount" in gcpServiceTemplate(serviceTemplateSchema.parse({ image: "img:1" }), user));
});

test("a domain mapping names the domain and the service at their pulumi-gcp paths", (t) => {
  t.deepEqual(
    checkGcpDomainMappingInputs({
      name: "api.example.test",
      skiffProject: "dev",
      location: "x",
      metadata: { namespace: "p" },
      spec: { routeName: "hello" },
    }).failures,
    [],
  );
  t.deepEqual(
    reasons(checkGcpDomainMappingInputs({ name: "Not A Domain", skiffProject: "dev", spec: { routeName: "Bad_Name" } }).failures),
    [
      "name: must be a lowercase domain name such as api.example.test",
      "spec.routeName: must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
    ],
  );
  t.deepEqual(checkGcpDomainMappingInputs({ name: UNKNOWN, skiffProject: "dev", spec: { routeName: UNKNOWN } }).failures, []);
});

test("a missing template or container is named once", (t) => {
  t.deepEqual(reasons(translateService({ name: "hello", skiffProject: "dev", location: "l" }).failures), [
    "template: is required: the template revisions are made from",
  ]);
  t.deepEqual(reasons(translateService(service({}, { containers: [] })).failures), [
    "template.containers: must list the container to run (one, with its image)",
  ]);
  t.deepEqual(reasons(translateService(service({}, {}, { image: undefined })).failures), [
    "template.containers[0].image: is required: the container image to run",
  ]);
});
