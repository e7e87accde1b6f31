"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
// FIXTURE_MODE=exit makes the fixture server exit with code 3 before it listens.
new skiff.Service("crashy", {
  template: {
    image: config.require("image"),
    env: { FIXTURE_MODE: config.get("mode") || "exit" },
    startupProbe: { timeoutSeconds: 5, periodSeconds: 5, failureThreshold: 1 },
  },
});
