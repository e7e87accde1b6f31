import test from "ava";
import { isUnknown } from "../../sdk/preview-values/unknowns";
import { domainMappingRules, jobRules, reportFields, serviceRules } from "../../sdk/gcp/field-rules";
import { secretName } from "../../sdk/gcp/secrets";

// Which fields have no local meaning (one warning names them), which are refused, and how a
// secret env finds its value.

test("a service's fields without local meaning are each named once, as written (ingress and serviceAccount have one)", (t) => {
  const report = reportFields(
    {
      name: "hello",
      location: "us-central1",
      project: "my-project",
      deletionProtection: false,
      invokerIamDisabled: true,
      template: {
        serviceAccount: "sa@p.iam.gserviceaccount.com",
        vpcAccess: { connector: "c" },
        encryptionKey: "k",
        executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2",
        scaling: { maxInstanceCount: 3, cpuUtilization: 0.6 },
        containers: [
          {
            image: "a:1",
            name: "app",
            // Honoured now (an HTTP GET every period), so not named; readinessProbe has no local meaning.
            livenessProbe: { httpGet: { path: "/" } },
            readinessProbe: { httpGet: { path: "/" } },
            resources: { limits: { cpu: "1", "nvidia.com/gpu": "1" }, cpuIdle: true },
          },
        ],
      },
      binaryAuthorization: { useDefault: true },
      traffics: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
      typo: 1,
    },
    serviceRules,
    isUnknown,
  );
  t.deepEqual(report.ignored, [
    "location",
    "project",
    "invokerIamDisabled",
    "template.vpcAccess",
    "template.encryptionKey",
    "template.executionEnvironment",
    "template.scaling.cpuUtilization",
    "template.containers[0].readinessProbe",
    "template.containers[0].resources.limits.nvidia.com/gpu",
    "template.containers[0].resources.cpuIdle",
    "binaryAuthorization",
  ]);
  t.deepEqual(report.unknown, ["typo"]);
  t.deepEqual(report.refused, []);
});

test("deletionProtection is named only when true: locally a destroy always deletes", (t) => {
  t.deepEqual(reportFields({ deletionProtection: true }, jobRules, isUnknown).ignored, ["deletionProtection"]);
  t.deepEqual(reportFields({ deletionProtection: false }, jobRules, isUnknown).ignored, []);
});

test("a job's and a mapping's fields without local meaning; volumes are honoured, a bucket's mount options ignored, a subPath refused", (t) => {
  const job = reportFields(
    {
      location: "l",
      template: {
        taskCount: 1,
        template: {
          serviceAccount: "s",
          volumes: [{ name: "v", gcs: { bucket: "b", mountOptions: ["implicit-dirs"] } }],
          containers: [{ image: "a", ports: [{ containerPort: 1 }], volumeMounts: [{ name: "v", mountPath: "/v", subPath: "x" }] }],
        },
      },
    },
    jobRules,
    isUnknown,
  );
  t.deepEqual(job.ignored, ["location", "template.template.volumes[0].gcs.mountOptions", "template.template.containers[0].ports"]);
  t.deepEqual(
    job.refused.map((f) => f.property),
    ["template.template.containers[0].volumeMounts[0].subPath"],
  );
  const mapping = reportFields(
    {
      name: "a.test",
      location: "l",
      metadata: { namespace: "p", labels: { a: "b" } },
      spec: { routeName: "s", certificateMode: "AUTOMATIC" },
    },
    domainMappingRules,
    isUnknown,
  );
  t.deepEqual(mapping.ignored, ["location", "metadata.namespace", "metadata.labels", "spec.certificateMode"]);
});

test("an opaque value (an Output, or unknown at preview) counts as present but is not looked into", (t) => {
  const report = reportFields({ template: { vpcAccess: "<output>", containers: "<output>" } }, serviceRules, (v) => v === "<output>");
  t.deepEqual(report.ignored, ["template.vpcAccess"]);
});

test("a secret's id and its name are the same secret", (t) => {
  t.is(secretName("projects/x/secrets/db"), "db");
  t.is(secretName("db"), "db");
  t.is(secretName("projects/x/secrets/db/versions/2"), "projects/x/secrets/db/versions/2");
});
