// A staging service with a tagged canary and a migration job, in skiff's own shapes, and a
// service in pulumi-gcp's. The test
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
// The same kind of service in pulumi-gcp's shape, with a tag on its latest revision.
const web = new skiff.cloudrunv2.Service("web", {
  location: "us-central1",
  deletionProtection: false,
  labels: { team: "core" },
  template: {
    containers: [{ image, envs: [{ name: "GREETING", value: "hello" }], resources: { limits: { cpu: "1", memory: "512Mi" } } }],
    scaling: { maxInstanceCount: 2 },
    timeout: "30s",
  },
  traffics: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100, tag: "live" }],
});
new skiff.cloudrunv2.Job("seed", {
  location: "us-central1",
  deletionProtection: false,
  template: { template: { containers: [{ image, envs: [{ name: "STEP", value: "1" }] }], maxRetries: 1 } },
});
new skiff.Job("migrate", { template: { image, env: { STEP: "1" } }, labels: { team: "core" } });

exports.apiUrl = api.url;
exports.webUri = web.uri;
