"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
// Each instance serves at most 2 requests at once; one instance always runs, at most maxInstances.
const api = new skiff.Service("api", {
  template: {
    image: config.require("image"),
    maxInstanceRequestConcurrency: 2,
    scaling: { minInstanceCount: 1, maxInstanceCount: config.getNumber("maxInstances") ?? 3 },
  },
});

exports.url = api.url;
exports.latestReadyRevision = api.latestReadyRevision;
