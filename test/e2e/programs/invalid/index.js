// Plain JavaScript on purpose: the examples cover TypeScript programs, this one the other path.
// Config `mistake` picks what is wrong, since Pulumi stops a preview at the first resource in error.
"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const image = config.get("image") || "skiff-demo/hello:latest";
const mistake = config.require("mistake");

// A valid service beside the mistake: it must not be created either.
const ok = new skiff.Service("fine", { template: { image } });

if (mistake === "name") {
  new skiff.Service("bad", { name: "Bad_Name", template: { image } });
} else if (mistake === "concurrency") {
  new skiff.Service("zero", { template: { image, maxInstanceRequestConcurrency: 0 } });
} else if (mistake === "percents") {
  new skiff.TrafficTarget("split", {
    service: ok.name,
    traffic: [
      { revision: ok.latestCreatedRevision, percent: 100 },
      { latestRevision: true, percent: 10, tag: "extra" },
    ],
  });
} else {
  throw new Error(`unknown mistake ${mistake}`);
}
