"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
// The service's own scaling: a minimum over the whole service (config `min`), or with config
// `manual` exactly that many instances; config `urlOff` turns its URL off.
const manual = config.getNumber("manual");
const web = new skiff.Service("web", {
  template: { image: config.require("image") },
  description: "the settings e2e's service",
  defaultUriDisabled: config.getBoolean("urlOff") ?? false,
  scaling:
    manual !== undefined ? { scalingMode: "MANUAL", manualInstanceCount: manual } : { minInstanceCount: config.requireNumber("min") },
});

exports.url = web.url;
exports.latestReadyRevision = web.latestReadyRevision;
