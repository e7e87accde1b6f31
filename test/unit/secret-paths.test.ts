import test from "ava";
import { applyMountFlags } from "../../provider/cli/mount-flags";
import { secretListFlag } from "../../provider/cli/secret-flags";
import { UsageError } from "../../provider/cli/output";
import { jobSpecFromCloudRun } from "../../provider/knative/job-from-cloud-run";
import { planReplace } from "../../provider/knative/service-from-knative";
import { parseServiceTemplate, type ServiceTemplateInput } from "../../provider/model/template";

// A secret named by its full path, projects/NUMBER/secrets/NAME, as gcloud takes it in
// --set-secrets (secrets_mapping.py: the version may then be left out, and means latest), and the
// run.googleapis.com/secrets alias annotation gcloud sends the API for it.

const image = "img:1";
const base: ServiceTemplateInput = { image };
const message = (fn: () => unknown) => {
  try {
    fn();
    return "no error";
  } catch (error) {
    return error instanceof UsageError ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
  }
};

test("--set-secrets takes gcloud's full path: :VERSION, /versions/VERSION, or no version (latest)", (t) => {
  const out = applyMountFlags(base, {
    setSecrets: {
      A: "projects/123456789012/secrets/db-pass:2",
      B: "projects/123456789012/secrets/db-pass/versions/3",
      C: "projects/123456789012/secrets/api-key",
      "/keys/key": "projects/123456789012/secrets/api-key:latest",
    },
  });
  t.deepEqual(out.secretEnv, {
    A: { secret: "db-pass", version: "2" },
    B: { secret: "db-pass", version: "3" },
    C: { secret: "api-key", version: "latest" },
  });
  t.deepEqual(out.volumes, [{ name: "secret-api-key", secret: { secret: "api-key", items: [{ path: "key", version: "latest" }] } }]);
  t.notThrows(() => parseServiceTemplate(out));
});

test("a path that is not gcloud's form is still a name, refused as gcloud refuses it", (t) => {
  // gcloud's remote form needs a project number; with an id it reads a (bad) name.
  t.regex(
    message(() => applyMountFlags(base, { setSecrets: { A: "projects/my-proj/secrets/x:1" } })),
    /must be a secret name/,
  );
  t.regex(
    message(() => applyMountFlags(base, { setSecrets: { A: "projects/my-proj/secrets/x" } })),
    /No secret version specified for A/,
  );
});

/** What gcloud 528 sent for `deploy api --set-secrets B=projects/N/secrets/db-pass:1,/keys/key=projects/N/secrets/api-key:latest`. */
const gcloudService = (annotation: string | undefined) => ({
  apiVersion: "serving.knative.dev/v1",
  kind: "Service",
  metadata: { name: "api", namespace: "default" },
  spec: {
    template: {
      metadata: { annotations: annotation === undefined ? {} : { "run.googleapis.com/secrets": annotation } },
      spec: {
        containers: [
          {
            image,
            env: [{ name: "B", valueFrom: { secretKeyRef: { key: "1", name: "db-pa-bacfe250" } } }],
            volumeMounts: [{ name: "keys", mountPath: "/keys" }],
          },
        ],
        volumes: [{ name: "keys", secret: { secretName: "api-k-0b1c", items: [{ key: "latest", path: "key" }] } }],
      },
    },
  },
});

test("the API reads gcloud's secret aliases: each alias is the secret its path names", (t) => {
  const plan = planReplace(
    gcloudService("api-k-0b1c:projects/174020456071/secrets/api-key,db-pa-bacfe250:projects/174020456071/secrets/db-pass"),
    "default",
  );
  t.deepEqual(plan.spec.template.secretEnv, { B: { secret: "db-pass", version: "1" } });
  t.is(plan.spec.template.volumes?.[0]?.secret?.secret, "api-key");
  t.false(plan.ignored.some((p) => p.includes("run.googleapis.com/secrets")));
});

test("a secret alias annotation gcloud would not write is refused, naming it", (t) => {
  const error = t.throws(() => planReplace(gcloudService("db-pa-bacfe250:db-pass"), "default"));
  t.regex(error.message, /run\.googleapis\.com\/secrets/);
  t.regex(error.message, /ALIAS:projects\/NUMBER\/secrets\/NAME/);
});

test("a job's secret aliases are read from its execution template's annotations", (t) => {
  const plan = jobSpecFromCloudRun({
    apiVersion: "run.googleapis.com/v1",
    kind: "Job",
    metadata: { name: "migrate" },
    spec: {
      template: {
        metadata: { annotations: { "run.googleapis.com/secrets": "db-pa-1:projects/174020456071/secrets/db-pass" } },
        spec: {
          template: {
            spec: { containers: [{ image, env: [{ name: "PW", valueFrom: { secretKeyRef: { key: "latest", name: "db-pa-1" } } }] }] },
          },
        },
      },
    },
  });
  t.deepEqual(plan.spec.template.secretEnv, { PW: { secret: "db-pass", version: "latest" } });
});

test("a secret flag's keys lose the spaces around them, as gcloud strips them", (t) => {
  t.deepEqual(secretListFlag("--update-secrets")("S3 =db-pass:1, S4=db-pass:1"), { S3: "db-pass:1", S4: "db-pass:1" });
});
