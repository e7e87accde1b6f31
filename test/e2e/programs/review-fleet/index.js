"use strict";
// N services, each with a candidate revision (env COLOR from the stack's config) and a 90/10
// TrafficTarget with the tag canary: a change of color replaces every candidate and moves every
// split, which is what bench/review.ts times `skiff review` on.
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const count = config.requireNumber("count");
const image = config.require("image");
const color = config.get("color") ?? "blue";
for (let i = 1; i <= count; i++) {
  const service = new skiff.Service(`svc-${i}`, { template: { image, env: { COLOR: "green" } } });
  const candidate = new skiff.Revision(`svc-${i}-candidate`, { service: service.name, template: { image, env: { COLOR: color } } });
  new skiff.TrafficTarget(`svc-${i}`, {
    service: service.name,
    traffic: [
      { revision: service.latestCreatedRevision, percent: 90 },
      { revision: candidate.name, percent: 10, tag: "canary" },
    ],
  });
}
