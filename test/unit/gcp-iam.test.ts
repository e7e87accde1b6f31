import test from "ava";
import { checkIamBindingInputs, checkIamMemberInputs, checkIamPolicyInputs } from "../../sdk/check/cloudrunv2-iam";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";
import {
  diffIamBinding,
  diffIamMember,
  diffIamPolicy,
  iamBindingDiffTable,
  iamMemberDiffTable,
  iamPolicyDiffTable,
} from "../../sdk/diff/cloudrunv2-iam";
import { parsePolicyData, policyDataOf, resourceNameOf, withRoleMembers } from "../../sdk/gcp/iam";
import { getIAMPolicy } from "../../sdk/organizations";

// cloudrunv2.ServiceIamMember, ServiceIamBinding, ServiceIamPolicy and JobIamMember: what `check`
// names, what the diff tables decide, and the policy edits, all without an engine.

const reasons = (failures: { property: string; reason: string }[]) => failures.map((f) => `${f.property}: ${f.reason}`);
const WEB = "serviceAccount:web@my-project.iam.gserviceaccount.com";
const member = (extra: Record<string, unknown> = {}) => ({
  name: "api",
  location: "us-central1",
  project: "my-project",
  skiffProject: "dev",
  role: "roles/run.invoker",
  member: WEB,
  ...extra,
});
/** The state after create: the inputs, the etag and the serialized provider. */
const stateOf = (inputs: Record<string, unknown>) => ({ ...inputs, etag: "abc", __provider: "exports.handler = ..." });

test("name takes the resource id pulumi-gcp gives, or its shorter forms", (t) => {
  t.is(resourceNameOf("projects/my-project/locations/us-central1/services/api", "service"), "api");
  t.is(resourceNameOf("my-project/us-central1/api", "service"), "api");
  t.is(resourceNameOf("us-central1/api", "service"), "api");
  t.is(resourceNameOf("api", "service"), "api");
  t.is(resourceNameOf("projects/p/locations/l/jobs/migrate", "job"), "migrate");
});

test("a member's inputs are kept as written; name, role and member are checked with the engine's rules", (t) => {
  const ok = checkIamMemberInputs("service", member());
  t.deepEqual(ok.failures, []);
  t.deepEqual(ok.inputs, member());
  t.deepEqual(checkIamMemberInputs("service", member({ name: "projects/my-project/locations/us-central1/services/api" })).failures, []);
  t.deepEqual(
    reasons(
      checkIamMemberInputs("service", member({ name: "Api_1", role: "run.invoker", member: "web@my-project.iam.gserviceaccount.com" }))
        .failures,
    ),
    [
      "name: must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
      'role: must be a role such as "roles/run.invoker"',
      'member: must be allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN, got "web@my-project.iam.gserviceaccount.com"',
    ],
  );
});

test("a missing name, role or member is named; a condition is refused", (t) => {
  t.deepEqual(reasons(checkIamMemberInputs("job", { skiffProject: "dev", condition: { title: "t", expression: "true" } }).failures), [
    "condition: IAM conditions are not evaluated locally: the grant would hold at all times; remove the condition for the local stack",
    "name: is required: the job whose IAM policy this is (its name, or projects/P/locations/L/jobs/NAME)",
    'role: is required: the role to grant, such as "roles/run.invoker"',
    'member: is required: who gets the role, such as "allUsers" or "serviceAccount:EMAIL"',
  ]);
});

test("values unknown at preview pass: the service's name before it exists, an account's member", (t) => {
  t.deepEqual(checkIamMemberInputs("service", member({ name: UNKNOWN, member: UNKNOWN })).failures, []);
  t.deepEqual(checkIamBindingInputs("service", member({ member: undefined, members: [UNKNOWN, "allUsers"] })).failures, []);
  t.deepEqual(checkIamPolicyInputs("service", member({ member: undefined, role: undefined, policyData: UNKNOWN })).failures, []);
});

test("a binding needs a list of members", (t) => {
  const binding = (members: unknown) => ({ ...member({ member: undefined }), members });
  t.deepEqual(checkIamBindingInputs("service", binding([WEB, "allUsers"])).failures, []);
  t.deepEqual(checkIamBindingInputs("service", binding([])).failures, []);
  t.deepEqual(reasons(checkIamBindingInputs("service", binding("allUsers")).failures), ["members: must be a list of members"]);
  t.deepEqual(reasons(checkIamBindingInputs("service", binding(["everyone"])).failures), [
    'members[0]: must be allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN, got "everyone"',
  ]);
});

test("policyData is getIAMPolicy's JSON; what is wrong in it is named", (t) => {
  const data = JSON.stringify({ bindings: [{ role: "roles/run.invoker", members: [WEB, "allUsers"] }], etag: "BwX", version: 1 });
  t.deepEqual(parsePolicyData(data), { bindings: [{ role: "roles/run.invoker", members: ["allUsers", WEB] }] });
  const policy = (policyData: unknown) => ({ name: "api", skiffProject: "dev", policyData });
  t.deepEqual(checkIamPolicyInputs("service", policy(data)).failures, []);
  t.deepEqual(
    reasons(checkIamPolicyInputs("service", policy("{bindings:")).failures).map((r) => r.replace(/\(.*\)/, "(...)")),
    ["policyData: must be JSON (...)"],
  );
  t.deepEqual(
    reasons(
      checkIamPolicyInputs("service", policy(JSON.stringify({ bindings: [{ role: "roles/run.invoker", members: ["anyone"] }] }))).failures,
    ),
    [
      'policyData: bindings[0].members[0]: must be allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN, got "anyone"',
    ],
  );
  t.deepEqual(
    reasons(checkIamPolicyInputs("service", policy(JSON.stringify({ bindings: [], auditConfigs: [{ service: "allServices" }] }))).failures),
    ["policyData: auditConfigs: audit configs are not kept locally; remove them for the local stack"],
  );
  t.deepEqual(reasons(checkIamPolicyInputs("service", { name: "api", skiffProject: "dev" }).failures), [
    'policyData: is required: the policy as JSON, e.g. {"bindings":[{"role":"roles/run.invoker","members":["allUsers"]}]}',
  ]);
  t.deepEqual(parsePolicyData(policyDataOf([{ role: "roles/run.invoker", members: ["allUsers"] }])), {
    bindings: [{ role: "roles/run.invoker", members: ["allUsers"] }],
  });
});

test("a binding edit sets one role's members and keeps the other roles", (t) => {
  const bindings = [
    { role: "roles/run.invoker", members: ["allUsers"] },
    { role: "roles/viewer", members: [WEB] },
  ];
  t.deepEqual(withRoleMembers(bindings, "roles/run.invoker", [WEB]), [
    { role: "roles/run.invoker", members: [WEB] },
    { role: "roles/viewer", members: [WEB] },
  ]);
  t.deepEqual(withRoleMembers(bindings, "roles/run.invoker", []), [{ role: "roles/viewer", members: [WEB] }]);
});

test("a member with unchanged inputs is no change, whatever its etag and provider text", (t) => {
  t.deepEqual(diffIamMember("service", stateOf(member()), member()), {
    changes: false,
    replaces: [],
    stables: Object.keys(iamMemberDiffTable),
    deleteBeforeReplace: false,
  });
});

test("any change to a member replaces it, the new one granted before the old one is taken back", (t) => {
  for (const [key, value] of [
    ["name", "web"],
    ["role", "roles/run.developer"],
    ["member", "allUsers"],
    ["skiffProject", "prod"],
  ] as const) {
    const d = diffIamMember("service", stateOf(member()), member({ [key]: value }));
    t.deepEqual([d.changes, d.replaces, d.deleteBeforeReplace], [true, [key], false], key);
  }
});

test("a replace that grants the same thing deletes the old one first, or its delete would take the grant back", (t) => {
  for (const extra of [
    { location: "europe-west1" },
    { project: "other-project" },
    { name: "projects/my-project/locations/us-central1/services/api" },
  ]) {
    const d = diffIamMember("service", stateOf(member()), member(extra));
    t.true(d.deleteBeforeReplace, JSON.stringify(extra));
    t.deepEqual(d.replaces, Object.keys(extra));
  }
  t.false(diffIamMember("service", stateOf(member()), member({ name: UNKNOWN })).deleteBeforeReplace, "unknown: assume another grant");
});

test("a binding's members are a set: another order is no change, another member an in-place update", (t) => {
  const binding = (members: string[], extra: Record<string, unknown> = {}) => ({ ...member({ member: undefined }), members, ...extra });
  t.false(diffIamBinding("service", stateOf(binding([WEB, "allUsers"])), binding(["allUsers", WEB, WEB])).changes);
  t.deepEqual(diffIamBinding("service", stateOf(binding([WEB])), binding([WEB, "allUsers"])).replaces, []);
  t.true(diffIamBinding("service", stateOf(binding([WEB])), binding([WEB, "allUsers"])).changes);
  const moved = diffIamBinding("service", stateOf(binding([WEB])), binding([WEB], { role: "roles/viewer" }));
  t.deepEqual([moved.replaces, moved.deleteBeforeReplace], [["role"], false]);
  t.true(diffIamBinding("service", stateOf(binding([WEB])), binding([WEB], { location: "europe-west1" })).deleteBeforeReplace);
  t.deepEqual(
    Object.entries(iamBindingDiffTable)
      .filter(([, rule]) => rule === "update")
      .map(([key]) => key),
    ["members"],
  );
});

test("a policy compares as a policy: spacing and order are no change, a new binding an in-place update", (t) => {
  const policy = (bindings: unknown[], extra: Record<string, unknown> = {}) => ({
    name: "api",
    location: "l",
    skiffProject: "dev",
    project: "p",
    policyData: JSON.stringify({ bindings }),
    ...extra,
  });
  const before = policy([{ role: "roles/run.invoker", members: [WEB, "allUsers"] }]);
  const spaced = {
    ...before,
    policyData: JSON.stringify({ bindings: [{ members: ["allUsers", WEB], role: "roles/run.invoker" }] }, null, 2),
  };
  t.false(diffIamPolicy("service", stateOf(before), spaced).changes);
  const d = diffIamPolicy("service", stateOf(before), policy([{ role: "roles/run.invoker", members: [WEB] }]));
  t.deepEqual([d.changes, d.replaces], [true, []]);
  t.true(diffIamPolicy("service", stateOf(before), { ...before, location: "europe-west1" }).deleteBeforeReplace);
  t.deepEqual(Object.keys(iamPolicyDiffTable).sort(), ["location", "name", "policyData", "project", "skiffProject"]);
});

test("organizations.getIAMPolicy gives the policyData a ServiceIamPolicy takes; a conditional binding is refused by name", async (t) => {
  const { policyData, id } = await getIAMPolicy({
    bindings: [
      { role: "roles/run.invoker", members: [WEB, "allUsers", WEB] },
      { role: "roles/run.admin", members: ["user:ann@example.com"] },
    ],
  });
  t.is(
    policyData,
    JSON.stringify({
      bindings: [
        { members: ["user:ann@example.com"], role: "roles/run.admin" },
        { members: ["allUsers", WEB], role: "roles/run.invoker" },
      ],
    }),
  );
  t.regex(id, /^[0-9a-f]{16}$/);
  t.deepEqual(checkIamPolicyInputs("service", { name: "api", skiffProject: "dev", policyData }).failures, []);
  t.is((await getIAMPolicy()).policyData, "{}");
  const conditional = await getIAMPolicy({
    bindings: [
      { role: "roles/run.invoker", members: [WEB], condition: { title: "office hours", expression: "request.time.getHours() < 18" } },
    ],
  });
  t.deepEqual(reasons(checkIamPolicyInputs("service", { name: "api", skiffProject: "dev", policyData: conditional.policyData }).failures), [
    "policyData: bindings[0].condition: IAM conditions are not evaluated locally: the grant would hold at all times; remove the condition for the local stack",
  ]);
});
