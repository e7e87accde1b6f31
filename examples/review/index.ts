import * as pulumi from "@pulumi/pulumi";
import * as skiff from "skiff-run";

const config = new pulumi.Config();
// A locally built image (no registry needed): see README.md.
const image = config.get("image") ?? "skiff-demo/hello:latest";
// The colour the stable revision shows, and the one being tried on a share of the users.
const color = config.get("color") ?? "green";
const canaryColor = config.get("canaryColor") ?? "blue";
const canaryPercent = config.getNumber("canaryPercent") ?? 20;
const canaryMemory = config.get("canaryMemory") ?? "512Mi";

const web = new skiff.Service("web", {
  template: { image, env: { COLOR: color } },
});

// The candidate: any change to it makes a new revision, created before the old one goes, so the
// TrafficTarget below moves its share to the new one first.
const candidate = new skiff.Revision("web-candidate", {
  service: web.name,
  template: { image, env: { COLOR: canaryColor }, resources: { memory: canaryMemory } },
});

new skiff.TrafficTarget("web", {
  service: web.name,
  traffic: [
    { revision: web.latestCreatedRevision, percent: 100 - canaryPercent },
    { revision: candidate.name, percent: canaryPercent, tag: "canary" },
  ],
});

export const url = web.url;
export const candidateRevision = candidate.name;
