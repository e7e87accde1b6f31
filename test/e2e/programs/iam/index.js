// Plain JavaScript. Config `stage` (1, then 2) changes who may call what, as a later commit would.
"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const image = config.require("image");
const stage = config.getNumber("stage") ?? 1;
const location = "us-central1";
const account = (name) => `serviceAccount:${name}@my-project.iam.gserviceaccount.com`;

// skiff's own Service says who may call it: public, or internal and only for one account.
new skiff.Service("open", { template: { image }, invokers: ["allUsers"] });
new skiff.Service("inner", {
  template: { image, serviceAccount: "inner@my-project.iam.gserviceaccount.com" },
  ingress: "internal",
  invokers: stage === 1 ? [account("caller")] : [account("other"), account("caller")],
});

// pulumi-gcp's: a binding owns one role of a policy, a member adds to another role of it.
const team = new skiff.cloudrunv2.Service("team", { location, template: { containers: [{ image }] } });
new skiff.cloudrunv2.ServiceIamBinding("team-invokers", {
  name: team.name,
  location,
  role: "roles/run.invoker",
  members: stage === 1 ? ["user:ann@example.com", "user:bob@example.com"] : ["user:ann@example.com"],
});
new skiff.cloudrunv2.ServiceIamMember("team-developer", {
  name: team.name,
  location,
  role: "roles/run.developer",
  member: "user:cat@example.com",
});

// A policy owns all of another service's policy, named here by its Cloud Run id; at stage 2 it goes.
const locked = new skiff.cloudrunv2.Service("locked", { location, template: { containers: [{ image }] } });
if (stage === 1) {
  new skiff.cloudrunv2.ServiceIamPolicy("locked-policy", {
    name: pulumi.interpolate`projects/my-project/locations/${location}/services/${locked.name}`,
    location,
    // As pulumi-gcp's documentation builds it.
    policyData: skiff.organizations
      .getIAMPolicy({
        bindings: [
          { role: "roles/run.invoker", members: ["allUsers"] },
          { role: "roles/run.viewer", members: ["group:ops@example.com"] },
        ],
      })
      .then((policy) => policy.policyData),
  });
}

const batch = new skiff.cloudrunv2.Job("batch", {
  location,
  template: { template: { containers: [{ image, commands: ["/node"], args: ["-e", "0"] }] } },
});
new skiff.cloudrunv2.JobIamMember("batch-invoker", { name: batch.name, location, role: "roles/run.invoker", member: account("scheduler") });
