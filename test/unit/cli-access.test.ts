import test from "ava";
import {
  authenticationText,
  ingressFlag,
  invokersAfterDeploy,
  memberFlag,
  roleFlag,
  serviceAccountFlag,
} from "../../provider/cli/access-flags";
import { gcloudPolicy, parsePolicyFile } from "../../provider/cli/iam-commands";
import { planReplace } from "../../provider/knative/service-from-knative";
import { UsageError } from "../../provider/cli/output";

// The CLI's rules for who may call a service, without an engine: what a deploy's
// --[no-]allow-unauthenticated sends, how flags are checked, how a policy prints and reads back,
// and how services replace reads serviceAccountName and the ingress annotation.

test("--allow-unauthenticated adds allUsers and keeps the other invokers; --no-allow-unauthenticated removes only allUsers; neither sends nothing", (t) => {
  const current = ["allUsers", "serviceAccount:x@p.iam.gserviceaccount.com"];
  t.deepEqual(invokersAfterDeploy(current, false), ["serviceAccount:x@p.iam.gserviceaccount.com"]);
  t.deepEqual(invokersAfterDeploy(["user:a@b.c"], true), ["user:a@b.c", "allUsers"]);
  t.deepEqual(invokersAfterDeploy(current, true), ["serviceAccount:x@p.iam.gserviceaccount.com", "allUsers"], "allUsers once");
  t.is(invokersAfterDeploy(current, undefined), undefined, "the engine keeps the policy as it is");
  t.deepEqual(invokersAfterDeploy(undefined, false), [], "a new private service: no invoker but the owner");
  t.deepEqual(invokersAfterDeploy(undefined, true), ["allUsers"]);
});

test("authentication as describe says it", (t) => {
  t.is(authenticationText(["allUsers", "user:a@b.c"]), "allow unauthenticated");
  t.is(authenticationText(["allAuthenticatedUsers"]), "require authentication");
  t.is(authenticationText([]), "require authentication");
});

test("flag values are checked with the engine's schemas; errors name the flag and the value", (t) => {
  t.is(ingressFlag("internal"), "internal");
  t.is(
    t.throws(() => ingressFlag("private"), { instanceOf: UsageError })?.message,
    '--ingress: must be one of all, internal, internal-and-cloud-load-balancing, got "private"',
  );
  t.is(serviceAccountFlag()("web@p.iam.gserviceaccount.com"), "web@p.iam.gserviceaccount.com");
  t.regex(
    t.throws(() => serviceAccountFlag("--impersonate-service-account")("web"))?.message ?? "",
    /^--impersonate-service-account: must be a service account email .*, got "web"$/,
  );
  t.is(memberFlag("domain:example.com"), "domain:example.com");
  t.is(
    t.throws(() => memberFlag("user:nobody"))?.message,
    '--member: must be allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN, got "user:nobody"',
    "the value is named once",
  );
  t.is(roleFlag("roles/run.invoker"), "roles/run.invoker");
  t.is(t.throws(() => roleFlag("run.invoker"))?.message, '--role: must be a role such as "roles/run.invoker", got "run.invoker"');
});

test("a policy prints as gcloud prints it: members before role, etag, version 1; no bindings key when there are none", (t) => {
  t.deepEqual(Object.keys(gcloudPolicy({ bindings: [{ role: "roles/run.invoker", members: ["allUsers"] }], etag: "e" })), [
    "bindings",
    "etag",
    "version",
  ]);
  t.deepEqual(gcloudPolicy({ bindings: [{ role: "roles/run.invoker", members: ["allUsers"] }], etag: "e" }).bindings, [
    { members: ["allUsers"], role: "roles/run.invoker" },
  ]);
  t.deepEqual(Object.keys((gcloudPolicy({ bindings: [{ role: "r", members: ["m"] }], etag: "e" }).bindings as object[])[0]), [
    "members",
    "role",
  ]);
  t.deepEqual(gcloudPolicy({ bindings: [], etag: "e" }), { etag: "e", version: 1 });
});

test("set-iam-policy's file: what get-iam-policy printed reads back; conditions, other versions and unknown fields are refused naming them", (t) => {
  const printed = gcloudPolicy({ bindings: [{ role: "roles/run.invoker", members: ["allUsers"] }], etag: "abc" });
  t.deepEqual(parsePolicyFile(printed), { bindings: [{ members: ["allUsers"], role: "roles/run.invoker" }], etag: "abc" });
  t.deepEqual(parsePolicyFile({}), { bindings: [] }, "an empty policy: no etag, set as it is");
  const refusal = (doc: unknown) => t.throws(() => parsePolicyFile(doc), { instanceOf: UsageError })?.message;
  t.is(
    refusal({ bindings: [{ role: "roles/run.invoker", members: ["allUsers"], condition: { expression: "true" } }], version: 3 }),
    "FILE: version: must be 1 (policies with conditions are not supported), got 3",
  );
  t.is(
    refusal({ bindings: [{ role: "roles/run.invoker", members: ["allUsers"], condition: { expression: "true" } }] }),
    "FILE: bindings[0].condition: conditional bindings are not supported",
  );
  t.is(refusal({ bindings: [], auditConfigs: [] }), 'FILE: "auditConfigs": not part of a policy skiff keeps (bindings, etag, version)');
  t.is(refusal(["allUsers"]), "FILE: must be a policy: a mapping with bindings (and etag, version)");
  t.is(refusal({ bindings: {} }), "FILE: bindings: must be a list of { role, members }");
});

test("services replace reads spec.template.spec.serviceAccountName and the ingress annotation; ingress-status is the platform's and read back silently", (t) => {
  const plan = planReplace(
    {
      apiVersion: "serving.knative.dev/v1",
      kind: "Service",
      metadata: { name: "web", annotations: { "run.googleapis.com/ingress": "internal", "run.googleapis.com/ingress-status": "internal" } },
      spec: { template: { spec: { serviceAccountName: "web@p.iam.gserviceaccount.com", containers: [{ image: "img" }] } } },
    },
    "default",
  );
  t.is(plan.spec.template.serviceAccount, "web@p.iam.gserviceaccount.com");
  t.is(plan.spec.ingress, "internal");
  t.deepEqual(plan.ignored, []);
  t.false("invokers" in plan.spec, "the file says nothing about the IAM policy: it stays");
});
