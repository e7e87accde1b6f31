// A staging service with a tagged canary and a migration job, in skiff's own shapes. The test
// changes them with the skiff CLI behind Pulumi's back and reads what refresh and preview say.
"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const image = config.require("image");

const api = new skiff.Service("api", {
  template: {
    image,
    env: { GREETING: "hello", MODE: "staging" },
    scaling: { maxInstanceCount: 3 },
    resources: { cpu: "1", memory: "512Mi" },
    timeout: 60,
  },
  labels: { team: "core" },
  invokers: ["allUsers"],
});
const canary = new skiff.Revision("api-canary", { service: api.name, template: { image, env: { GREETING: "canary" } } });
new skiff.TrafficTarget("api", {
  service: api.name,
  traffic: [
    { revision: api.latestCreatedRevision, percent: 90 },
    { revision: canary.name, percent: 10, tag: "canary" },
  ],
});
new skiff.Job("migrate", { template: { image, env: { STEP: "1" } }, labels: { team: "core" } });

exports.apiUrl = api.url;
