// A service in skiff's shape and one in pulumi-gcp's, each revision listening only after a few
// seconds, so the test can stop the engine or press Ctrl-C while `pulumi up` waits for one.
"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const image = config.require("image");
const LISTEN_DELAY_MS = "4000";

const api = new skiff.Service("api", {
  template: { image, env: { VERSION: config.get("apiVersion") ?? "1", FIXTURE_LISTEN_DELAY_MS: LISTEN_DELAY_MS } },
});
const web = new skiff.cloudrunv2.Service("web", {
  template: {
    containers: [
      {
        image,
        envs: [
          { name: "VERSION", value: config.get("webVersion") ?? "1" },
          { name: "FIXTURE_LISTEN_DELAY_MS", value: LISTEN_DELAY_MS },
        ],
      },
    ],
  },
});

exports.apiRevision = api.latestReadyRevision;
exports.webRevision = web.latestReadyRevision;
