import * as pulumi from "@pulumi/pulumi";
import * as skiff from "skiff-run";

const config = new pulumi.Config();
// A locally built image (no registry needed): see README.md.
const image = config.get("image") ?? "skiff-demo/hello:latest";
const canaryImage = config.get("canaryImage") ?? image;

// The stable service: 100 % of its traffic goes to its latest ready revision until the
// TrafficTarget below takes over.
const hello = new skiff.Service("hello", {
  template: { image, env: { GREETING: "Hello from the stable revision" } },
});

// The canary: a candidate revision of the same service, with no traffic of its own.
const canary = new skiff.Revision("hello-canary", {
  service: hello.name,
  template: { image: canaryImage, env: { GREETING: "Hello from the canary" } },
});

// 90/10, and a tag URL that always reaches the canary.
const traffic = new skiff.TrafficTarget("hello", {
  service: hello.name,
  traffic: [
    { revision: hello.latestCreatedRevision, percent: 90 },
    { revision: canary.name, percent: 10, tag: "canary" },
  ],
});

export const url = hello.url;
export const canaryUrl = traffic.statuses.apply((s) => s.find((entry) => entry.tag === "canary")?.url);
export const stableRevision = hello.latestCreatedRevision;
export const canaryRevision = canary.name;
export const split = traffic.statuses.apply((s) => s.map((entry) => `${entry.revision}: ${entry.percent}%`));
