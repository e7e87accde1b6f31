import * as pulumi from "@pulumi/pulumi";
import * as skiff from "skiff-run";

const config = new pulumi.Config();
// A locally built image (no registry needed): see README.md.
const image = config.get("image") ?? "skiff-demo/hello:latest";
const canaryImage = config.get("canaryImage") ?? image;
// Phase 1 (0, the default): the stable service alone. Phase 2: `pulumi config set canaryPercent 10`
// adds a canary revision and sends it that share of the requests; 100 promotes it.
const canaryPercent = config.getNumber("canaryPercent") ?? 0;
// A secret both revisions read. Pulumi keeps it encrypted in the state; previews and `skiff
// review` show it as [secret]. Set your own with `pulumi config set --secret apiKey ...`.
const apiKey = config.getSecret("apiKey") ?? pulumi.secret("demo-api-key");

// The stable service: 100 % of its traffic goes to its latest ready revision until the
// TrafficTarget below takes over.
const hello = new skiff.Service("hello", {
  template: { image, env: { GREETING: "Hello from the stable revision", API_KEY: apiKey } },
});

// The canary: a candidate revision of the same service, with no traffic of its own.
const canary =
  canaryPercent > 0
    ? new skiff.Revision("hello-canary", {
        service: hello.name,
        template: { image: canaryImage, env: { GREETING: "Hello from the canary", API_KEY: apiKey } },
      })
    : undefined;

// The split, and a tag URL that always reaches the canary.
const traffic = canary
  ? new skiff.TrafficTarget("hello", {
      service: hello.name,
      traffic: [
        { revision: hello.latestCreatedRevision, percent: 100 - canaryPercent },
        { revision: canary.name, percent: canaryPercent, tag: "canary" },
      ],
    })
  : undefined;

export const url = hello.url;
export const canaryUrl = traffic?.statuses.apply((s) => s.find((entry) => entry.tag === "canary")?.url);
export const stableRevision = hello.latestCreatedRevision;
export const canaryRevision = canary?.name;
export const split = traffic?.statuses.apply((s) => s.map((entry) => `${entry.revision}: ${entry.percent}%`));
