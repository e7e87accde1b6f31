// Plain JavaScript, as a pulumi-gcp program would be written: only the import differs.
"use strict";
const pulumi = require("@pulumi/pulumi");
const gcp = require("skiff-run");

const config = new pulumi.Config();
// Service.scaling: the service's own minimum (config `min`), apart from the template's scaling.
const web = new gcp.cloudrunv2.Service("web", {
  location: "us-central1",
  scaling: { minInstanceCount: config.requireNumber("min") },
  template: { containers: [{ image: config.require("image") }] },
});

exports.uri = web.uri;
exports.latestReadyRevision = web.latestReadyRevision;
